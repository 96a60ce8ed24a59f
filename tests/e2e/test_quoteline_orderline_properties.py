"""A property of the order lines over real HTTP: random line edits, adds and removes on both sides, interleaved
with syncs, always converge, lose no update, make no duplicate line, and cost writes bounded by the edits.

Each example is a fresh pair of simulators (SuperOffice with strict quote totals) and a project synced once. A
round makes a few edits, each on a line no other edit of the round touched (so there is no conflict to resolve:
every edit must survive), then syncs once; after the sync every edit of the round holds on both sides.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Systems
from tests.e2e.test_quoteline_orderline_sync import (
    agent,
    assert_lines_equal,
    assert_no_op,
    edit_lines,
    lines_project,
    quote_lines,
    strict_systems,
    synced_orders,
    with_lines,
)

pytestmark = pytest.mark.slow

EDIT = st.tuples(st.sampled_from(["superoffice", "shop"]), st.sampled_from(["edit", "add", "remove"]),
                 st.integers(0, 1000))  # fmt: skip
ROUNDS = st.lists(st.lists(EDIT, min_size=1, max_size=4), min_size=1, max_size=3)
WRITES_PER_EDIT = 3
"""An edit costs at most: a line save (or create, or delete) and the alternative's recalculation in SuperOffice,
or one order PATCH in the shop (shared by the edits of one order)."""


def so_key(line: dict[str, Any]) -> str:
    erp = line.get("ERPQuoteLineKey") or ""
    return erp if erp.startswith("cws:") else str(line["QuoteLineId"])


def shop_key(line: dict[str, Any]) -> str:
    return (line.get("external_refs") or {}).get("superoffice_quoteline_id") or f"cws:{line['id']}"


class Story:
    """The edits of one round and what they promise after the next sync."""

    def __init__(self, systems: Systems, targets: list[tuple[str, int]], serial: int = 0) -> None:
        """``serial``: the last edit number of the rounds before, so every added line's sku is new (a round that
        reused ``SHOP-3`` made two lines of one sku on purpose, which the duplicate check cannot tell apart)."""
        self.systems = systems
        self.targets = targets
        self.touched: set[str] = set()
        self.quantities: dict[tuple[str, str], float] = {}
        self.added: set[tuple[str, str]] = set()
        self.removed: set[tuple[str, str]] = set()
        self.edits = 0
        self.serial = serial

    def apply(self, side: str, op: str, n: int) -> None:
        key, alternative = self.targets[n % len(self.targets)]
        self.serial += 1
        if side == "superoffice":
            lines = [x for x in quote_lines(self.systems, alternative) if so_key(x) not in self.touched]
            self._superoffice(key, alternative, op, n, lines)
        else:
            order = synced_orders(self.systems)[key]
            self._shop(key, order, op, n)

    def _superoffice(self, key: str, alternative: int, op: str, n: int, lines: list[dict[str, Any]]) -> None:
        if op == "add":
            sku = f"CRM-{self.serial}"
            line = agent(self.systems, "SaveQuoteLine", {"QuoteLine": {
                "QuoteLineId": 0, "QuoteAlternativeId": alternative, "Code": sku, "Name": sku, "Quantity": 2.0,
                "UnitListPrice": 5.0, "VAT": 25.0, "Rank": 90 + self.serial}})  # fmt: skip
            self.touched.add(str(line["QuoteLineId"]))
            self.added.add((key, sku))
        elif not lines or (op == "remove" and len(lines) < 2):
            return
        elif op == "edit":
            line = lines[n % len(lines)]
            quantity = float(100 + self.serial)
            agent(self.systems, "SaveQuoteLine", {"QuoteLine": {**line, "Quantity": quantity}})
            self.touched.add(so_key(line))
            self.quantities[(key, so_key(line))] = quantity
        else:
            line = lines[n % len(lines)]
            agent(self.systems, "DeleteQuoteLine", {"QuoteLineId": line["QuoteLineId"]})
            self.touched.add(so_key(line))
            self.removed.add((key, so_key(line)))
        agent(self.systems, "RecalculateQuoteAlternative", {"QuoteAlternative": alternative})
        self.edits += 1

    def _shop(self, key: str, order: dict[str, Any], op: str, n: int) -> None:
        free = [x for x in order["lines"] if shop_key(x) not in self.touched]
        elements: list[dict[str, Any]] = [{"id": x["id"]} for x in order["lines"]]
        if op == "add":
            sku = f"SHOP-{self.serial}"
            elements.append({"sku": sku, "name": sku, "quantity": "3", "unit_price": "7", "vat_rate": "25"})
            self.added.add((key, sku))
        elif not free or (op == "remove" and len(free) < 2):
            return
        elif op == "edit":
            line = free[n % len(free)]
            quantity = float(500 + self.serial)
            next(e for e in elements if e["id"] == line["id"])["quantity"] = str(int(quantity))
            self.touched.add(shop_key(line))
            self.quantities[(key, shop_key(line))] = quantity
        else:
            line = free[n % len(free)]
            elements = [e for e in elements if e["id"] != line["id"]]
            self.touched.add(shop_key(line))
            self.removed.add((key, shop_key(line)))
        updated = edit_lines(self.systems, order, elements)
        if op == "add":
            self.touched |= {shop_key(x) for x in updated["lines"] if x["sku"] == f"SHOP-{self.serial}"}
        self.edits += 1

    def check(self) -> None:
        """Every promise of the round holds on both sides (no lost update, no duplicate)."""
        orders = synced_orders(self.systems)
        for key, alternative in self.targets:
            shop = {shop_key(x): x for x in orders[key]["lines"]}
            crm = {so_key(x): x for x in quote_lines(self.systems, alternative)}
            assert len(shop) == len(orders[key]["lines"]) and sorted(shop) == sorted(crm), key
            for (order, line), quantity in self.quantities.items():
                if order == key:
                    assert float(shop[line]["quantity"]) == quantity == crm[line]["Quantity"], (key, line)
            for order, line in self.removed:
                assert order != key or (line not in shop and line not in crm), (key, line)
            for order, sku in self.added:
                if order == key:
                    assert Counter(x["sku"] for x in shop.values())[sku] == 1, (key, sku)
                    assert Counter(x["Code"] for x in crm.values())[sku] == 1, (key, sku)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each example is seconds of real HTTP
)
@given(rounds=ROUNDS)
def test_random_line_edits_on_both_sides_converge_without_loss_or_duplicates(
    tmp_path_factory: pytest.TempPathFactory, rounds: list[list[tuple[str, str, int]]]
) -> None:
    world = strict_systems()
    systems = next(world)
    try:
        root: Path = tmp_path_factory.mktemp("lines")
        with lines_project(systems, root) as project:
            project.sync()
            targets = [(key, alternative) for key, _, alternative in with_lines(systems)[:2]]
            assert targets
            serial = 0
            for round_ in rounds:
                story = Story(systems, targets, serial)
                for side, op, n in round_:
                    story.apply(side, op, n)
                systems.reset_stats()
                report = project.sync()
                assert all(f.dead_letters == 0 for f in report.flows)
                assert sum(systems.writes()) <= WRITES_PER_EDIT * story.edits
                story.check()
                serial = story.serial
            assert_lines_equal(systems)
            assert_no_op(systems, project)
    finally:
        next(world, None)
