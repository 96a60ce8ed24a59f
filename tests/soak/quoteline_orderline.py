"""The Quoteline ↔ order line adapter: on draft quotes, shop users edit an order's lines (quantity, unit price,
discount), add and remove lines; SuperOffice users do the same to the quote lines through the Quote agent (a save or
delete, then ``RecalculateQuoteAlternative``, as the CRM does). After each clean sync the flow's invariants are
checked over HTTP.

Rule: a line is a record of its own, named by the flow's key (``_id``: the QuoteLineId, or ``cws:<shop line id>``
for a line born in the shop), and its edits are modelled by ``edits.EditLog``; this module holds the lines' own
rules, as the flow documents them (pipes/quoteline_orderline): per linked order, the same lines on both sides
(sku, quantity, unit price, discount), each once; a line added on either side arrives on the other, a line removed
on either side goes from both. Quote lines carry no timestamps, so a field edited on both sides goes to the shop's
edit, recorded as a conflict. Users act only on lines of a draft version (edits of a sent or sold version are
refused by design, the e2e tests' part) and never remove a line edited in the same window (remove-versus-edit is
not modelled). Orders whose sale was deleted, whose shop order was deleted or whose contact has no active link are
not judged (the order adapter holds those rules).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sluice.project import Project
from tests.e2e.test_sale_order_sync import active_alternatives
from tests.soak.edits import EditLog, active_links, conflicts, dead_letters
from tests.soak.figures import DUPLICATE, Violation
from tests.soak.world import World, shop_records

FLOW = "quoteline_orderline"
ORDERS = "sale_order"
FIELDS = ("quantity", "unit_price", "discount_percent")
"""The two-way fields (pipes/quoteline_orderline/flow.py ``WRITTEN_BACK``); sku goes to the shop only."""
QUANTITIES = ("1", "2", "3", "5", "7", "12", "0.5")
PRICES = ("10.00", "99.90", "123.40", "1500.00", "0.50")
DISCOUNTS = ("0", "5", "12.5", "15", "50")
DRAFTS = 3
NAMES = ("Montering 🚀", "Frakt «ekspress»", "Ünïcödé linje", "Rabattert pakke")


def _number(value: Any) -> Decimal | None:
    """A line number as both systems are compared (two decimals: SuperOffice keeps doubles)."""
    if value is None or str(value).strip() == "":
        return None
    return Decimal(str(round(float(value), 2))).quantize(Decimal("0.01"))


def so_fields(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "sku": line.get("Code") or None,
        "quantity": _number(line.get("Quantity")),
        "unit_price": _number(line.get("UnitListPrice")),
        "discount_percent": _number(line.get("DiscountPercent")),
    }


def shop_fields(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "sku": line.get("sku") or None,
        "quantity": _number(line.get("quantity")),
        "unit_price": _number(line.get("unit_price")),
        "discount_percent": _number(line.get("discount_percent")),
    }


def so_key(line: dict[str, Any]) -> str:
    """The flow's ``_id`` of a quote line: its ``ERPQuoteLineKey`` when born in the shop, else its QuoteLineId."""
    erp = str(line.get("ERPQuoteLineKey") or "")
    return erp if erp.startswith("cws:") else str(line["QuoteLineId"])


def shop_key(line: dict[str, Any], so_keys: set[str]) -> str:
    """The flow's ``_id`` of a shop line: ``cws:<id>`` when SuperOffice holds it so (or it is not synced yet), else
    its stamped QuoteLineId."""
    born = f"cws:{line['id']}"
    ref = (line.get("external_refs") or {}).get("superoffice_quoteline_id")
    return born if born in so_keys or not ref else str(ref)


@dataclass
class Order:
    """One linked order as both systems hold it now."""

    key: str
    shop: dict[str, Any]
    alternative: int
    draft: bool
    so_lines: list[dict[str, Any]]

    @property
    def so_by_key(self) -> dict[str, dict[str, Any]]:
        return {so_key(x): x for x in self.so_lines}

    def shop_by_key(self) -> dict[str, dict[str, Any]]:
        keys = set(self.so_by_key)
        return {shop_key(x, keys): x for x in self.shop["lines"]}


@dataclass
class Model(EditLog):
    what: str = "line"
    budget: int = 0
    added: dict[str, str] = field(default_factory=dict)
    """Line key -> its order key, for the lines users added since the last check."""
    removed: dict[str, str] = field(default_factory=dict)
    """Line key -> its order key, for the lines users removed since the last check."""
    conflict_ids: set[str] = field(default_factory=set)
    serial: int = 0
    shop_removes: int = 0
    """Lines shop users removed over the whole scenario: the only quote lines the sync may delete."""


class QuoteLineOrderLine:
    """The flow's adapter (see ``FlowAdapter``)."""

    name = FLOW
    enables: tuple[str, ...] = (ORDERS, FLOW)

    def __init__(self, features: set[str]) -> None:
        self.features = features
        self.model = Model()

    def begin(self, world: World) -> None:
        """Draft quotes to act on: the seeded ones are mostly sold (locked), so up to ``DRAFTS`` sales without a quote
        get one (a draft) with two lines, as a CRM user would make them, before the first sync."""
        self.model.story = world.story
        sales = [int(r["PrimaryKey"]) for r in self._get(world, "Sale", {"$select": "saleId", "$top": 1000})["value"]]
        bare = [s for s in sorted(sales) if not active_alternatives(world.systems, s)]
        for sale_id in bare[:DRAFTS]:
            body = {"SaleId": sale_id, "ConnectionId": 0, "FirstAlternativeName": "A"}
            self._agent(world, "CreateAndSaveQuote", body)
            [alternative] = active_alternatives(world.systems, sale_id)
            for n in (1, 2):
                self._save(world, {"QuoteLineId": 0, "QuoteAlternativeId": alternative, "ERPProductKey": "",
                                   "Code": f"SEED-{sale_id}-{n}", "Name": "Linje", "Quantity": float(n),
                                   "UnitListPrice": 100.0, "VAT": 25.0, "Rank": n})  # fmt: skip
            self._agent(world, "RecalculateQuoteAlternative", {"QuoteAlternative": alternative})
            self.model.tell(f"  a draft quote with two lines for sale {sale_id}")

    def wants_full(self) -> bool:
        return False

    def clean_syncs(self) -> int:
        return 1

    def write_budget(self) -> int:
        return self.model.budget

    # -- both systems -------------------------------------------------------------------------

    def _get(self, world: World, path: str, params: dict[str, Any] | None = None) -> Any:
        response = world.systems.so().get(f"{world.systems.so_api}/{path}", params=params)
        response.raise_for_status()
        return response.json()

    def _agent(self, world: World, method: str, body: dict[str, Any]) -> Any:
        response = world.systems.so().post(f"{world.systems.so_api}/Agents/Quote/{method}", json=body)
        response.raise_for_status()
        return response.json() if response.content.strip() else None

    def _save(self, world: World, line: dict[str, Any]) -> dict[str, Any]:
        return self._agent(world, "SaveQuoteLine", {"QuoteLine": line})

    def _orders(self, world: World, project: Project | None = None) -> dict[str, Order]:
        """Every live shop order the order flow links, whose sale is live and has a quote, with both sides' lines."""
        if project is None:
            with world.project() as opened:
                links = active_links(opened, ORDERS)
        else:
            links = active_links(project, ORDERS)
        out: dict[str, Order] = {}
        for order in shop_records(world, "orders"):
            key = (order.get("external_refs") or {}).get("superoffice_sale_id")
            if not key or links.get(key) != str(order["id"]) or key in out:
                continue
            sale_id, ordinal = int(key.split(":")[1]), int(key.split(":")[2])
            if world.systems.so().get(f"{world.systems.so_api}/Sale/{sale_id}").status_code != 200:
                continue  # deleted: the order adapter's rule (cancelled)
            quote = self._agent(world, "GetQuoteEntityFromSaleId", {"SaleId": sale_id})
            alternatives = active_alternatives(world.systems, sale_id)
            if not quote or not quote.get("QuoteId") or len(alternatives) < ordinal:
                continue
            version = self._agent(world, "GetQuoteVersion", {"QuoteVersionId": quote["ActiveQuoteVersionId"]}) or {}
            alternative = alternatives[ordinal - 1]
            lines = self._agent(world, "GetQuoteLines", {"QuoteAlternativeId": alternative}) or []
            out[key] = Order(key, order, alternative, version.get("State") == "Draft", lines)
        return out

    # -- the users ----------------------------------------------------------------------------

    def act(self, world: World, rng: random.Random) -> str | None:
        actions = [(self._shop_edit, 30), (self._so_edit, 30), (self._shop_add, 10), (self._so_add, 10)]
        actions += [(self._shop_remove, 5), (self._so_remove, 5)]
        action = rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        orders = [o for o in self._orders(world).values() if o.draft]
        if not orders:
            return None
        order = self._fresh(world, rng.choice(sorted(orders, key=lambda o: o.key)))
        if order is None:
            return None
        return action.__name__.strip("_").replace("_", " ") if action(world, rng, order) else None

    def _fresh(self, world: World, order: Order) -> Order | None:
        """The order as both systems hold it now: users open an order just before they save it. Listing every
        order takes seconds while a sync runs, and a line list that old, sent back whole, removes the lines the
        sync added meanwhile (seed 80773: a shop user's PATCH left out line 23, and the sync rightly deleted it
        in SuperOffice). None when the shop order is gone."""
        response = world.systems.shop_session().get(f"{world.systems.shop_api}/orders/{order.shop['id']}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        lines = self._agent(world, "GetQuoteLines", {"QuoteAlternativeId": order.alternative}) or []
        return replace(order, shop=response.json(), so_lines=lines)

    def _untouched(self, lines: dict[str, dict[str, Any]], edited: bool = True) -> list[str]:
        """Line keys a user may act on: not removed, and (for a removal) neither edited nor added in the window."""
        busy = set(self.model.removed)
        if not edited:
            busy |= self.model.pending() | set(self.model.added)
        return sorted(k for k in lines if k not in busy)

    def _values(self, rng: random.Random) -> dict[str, str]:
        names = rng.sample(FIELDS, rng.randint(1, 2))
        pools = {"quantity": QUANTITIES, "unit_price": PRICES, "discount_percent": DISCOUNTS}
        return {name: rng.choice(pools[name]) for name in names}

    def _patch_lines(
        self, world: World, order: Order, build: Callable[[Order], list[dict[str, Any]] | None]
    ) -> tuple[Order, dict[str, Any]] | None:
        """A shop user's save of an order's lines, ``build(order)`` (None: nothing to do), sent with ``If-Match``
        on the version they were built from, as a shop UI does: when the sync wrote the order in between (412),
        the user reopens it and saves again. Returns the order saved from and the shop's answer."""
        url = f"{world.systems.shop_api}/orders/{order.shop['id']}"
        for _ in range(10):
            elements = build(order)
            if elements is None:
                return None
            headers = {"If-Match": f'"{order.shop["version"]}"'}
            response = world.systems.shop_session().patch(url, json={"lines": elements}, headers=headers)
            if response.status_code != 412:
                response.raise_for_status()
                return order, response.json()
            reopened = self._fresh(world, order)
            if reopened is None:
                return None
            order = reopened
        raise AssertionError(f"shop order {order.shop['id']} was refused ten saves in a row")

    def _shop_edit(self, world: World, rng: random.Random, order: Order) -> bool:
        lines = order.shop_by_key()
        keys = self._untouched(lines)
        if not keys:
            return False
        key = rng.choice(keys)
        values = self._values(rng)

        def build(now: Order) -> list[dict[str, Any]] | None:
            current = now.shop_by_key()
            if key not in current:
                return None
            return [{"id": x["id"], **(values if k == key else {})} for k, x in current.items()]

        if (saved := self._patch_lines(world, order, build)) is None:
            return False
        before = saved[0].shop_by_key()[key]
        after = next(x for x in saved[1]["lines"] if x["id"] == before["id"])
        self.model.record_edit("shop", key, shop_fields(before), shop_fields(after), FIELDS)
        self.model.budget += 2  # the line's save and its alternative's recalculation
        return True

    def _shop_add(self, world: World, rng: random.Random, order: Order) -> bool:
        self.model.serial += 1
        sku = f"SOAK-{self.model.serial}"
        new = {"sku": sku, "name": rng.choice(NAMES), "quantity": rng.choice(QUANTITIES)}
        new |= {"unit_price": rng.choice(PRICES), "vat_rate": "25"}
        saved = self._patch_lines(world, order, lambda now: [*({"id": x["id"]} for x in now.shop["lines"]), new])
        if saved is None:
            return False
        before = {x["id"] for x in saved[0].shop["lines"]}
        [line] = [x for x in saved[1]["lines"] if x["id"] not in before]
        self.model.added[f"cws:{line['id']}"] = order.key
        self.model.tell(f"  shop add line cws:{line['id']} ({sku}) to order {order.key}")
        self.model.budget += 3  # the quote line's save, the recalculation, the shop line's stamp
        return True

    def _shop_remove(self, world: World, rng: random.Random, order: Order) -> bool:
        lines = order.shop_by_key()
        keys = self._untouched(lines, edited=False)
        if len(lines) < 2 or not keys or len(self.model.removed) >= 2:
            return False
        key = rng.choice(keys)

        def build(now: Order) -> list[dict[str, Any]] | None:
            current = now.shop_by_key()
            return [{"id": x["id"]} for k, x in current.items() if k != key] if key in current else None

        if self._patch_lines(world, order, build) is None:
            return False
        self.model.removed[key] = order.key
        self.model.shop_removes += 1
        self.model.forget(key)
        self.model.tell(f"  shop remove line {key} from order {order.key}")
        self.model.budget += 2  # the quote line's delete and the recalculation
        return True

    def _recalculate(self, world: World, order: Order) -> None:
        self._agent(world, "RecalculateQuoteAlternative", {"QuoteAlternative": order.alternative})

    def _so_edit(self, world: World, rng: random.Random, order: Order) -> bool:
        """A CRM user edits a quote line (the discount as a percentage, as the flow writes it), then recalculates."""
        lines = order.so_by_key
        keys = self._untouched(lines)
        if not keys:
            return False
        key = rng.choice(keys)
        changes = {
            {"quantity": "Quantity", "unit_price": "UnitListPrice", "discount_percent": "DiscountPercent"}[n]: float(v)
            for n, v in self._values(rng).items()
        }
        if "DiscountPercent" in changes:
            changes["UserValueOverride"] = "DiscountPercent"
        self._save(world, {**lines[key], **changes})
        self._recalculate(world, order)
        after = {so_key(x): x for x in self._agent(world, "GetQuoteLines", {"QuoteAlternativeId": order.alternative})}
        self.model.record_edit("superoffice", key, so_fields(lines[key]), so_fields(after[key]), FIELDS)
        self.model.budget += 1  # the order's one PATCH
        return True

    def _so_add(self, world: World, rng: random.Random, order: Order) -> bool:
        self.model.serial += 1
        code = f"CRM-{self.model.serial}"
        line = {"QuoteLineId": 0, "QuoteAlternativeId": order.alternative, "ERPProductKey": "", "Code": code,
                "Name": rng.choice(NAMES), "Quantity": float(rng.choice(QUANTITIES)),
                "UnitListPrice": float(rng.choice(PRICES)), "VAT": 25.0, "Rank": 90 + self.model.serial}  # fmt: skip
        self._save(world, line)
        self._recalculate(world, order)
        lines = self._agent(world, "GetQuoteLines", {"QuoteAlternativeId": order.alternative}) or []
        [saved] = [x for x in lines if x.get("Code") == code]
        self.model.added[so_key(saved)] = order.key
        self.model.tell(f"  so add line {so_key(saved)} ({code}) to order {order.key}")
        self.model.budget += 1
        return True

    def _so_remove(self, world: World, rng: random.Random, order: Order) -> bool:
        lines = order.so_by_key
        keys = self._untouched(lines, edited=False)
        if len(lines) < 2 or not keys or len(self.model.removed) >= 2:
            return False
        key = rng.choice(keys)
        self._agent(world, "DeleteQuoteLine", {"QuoteLineId": lines[key]["QuoteLineId"]})
        self._recalculate(world, order)
        self.model.removed[key] = order.key
        self.model.forget(key)
        self.model.tell(f"  so remove line {key} from order {order.key}")
        self.model.budget += 1
        return True

    # -- the invariants -----------------------------------------------------------------------

    def observe(self, world: World) -> None:
        """After an unchecked sync: edited fields both systems now agree on are settled (``EditLog.settle``)."""
        pending = self.model.pending()
        if not pending:
            return
        for order in self._orders(world).values():
            shop = order.shop_by_key()
            for key, line in order.so_by_key.items():
                if key in pending and key in shop:
                    self.model.settle(key, so_fields(line), shop_fields(shop[key]), FIELDS)

    def check(self, world: World, project: Project) -> list[Violation]:
        found = dead_letters(project, FLOW, "line")
        recorded = conflicts(project, FLOW)
        judged: set[str] = set()
        orders = self._orders(world, project)
        for order in orders.values():
            found += self._one_each(order)
            so, shop = order.so_by_key, order.shop_by_key()
            for key in sorted(so.keys() - shop.keys()):
                found.append(Violation("lines equal on both sides", f"order {order.key}: line {key} not in the shop"))
            for key in sorted(shop.keys() - so.keys()):
                detail = f"order {order.key}: shop line {key} not in SuperOffice"
                found.append(Violation("lines equal on both sides", detail))
            for key in sorted(so.keys() & shop.keys()):
                judged.add(key)
                held, shown = so_fields(so[key]), shop_fields(shop[key])
                found += [
                    Violation("mapped fields equal", f"line {key} {n}: {held[n]!r} vs {shown[n]!r}")
                    for n in ("sku", *FIELDS)
                    if held[n] != shown[n]
                ]
                found += self.model.judge(key, held, FIELDS, recorded)
        for key, order_key in sorted(self.model.added.items()):
            if order_key in orders and key not in judged:
                found.append(Violation("an added line is on both sides", f"line {key} of order {order_key}"))
        for key, order_key in sorted(self.model.removed.items()):
            if key in judged or (order_key in orders and key in orders[order_key].so_by_key):
                found.append(Violation("a removed line goes from both sides", f"line {key} of order {order_key}"))
        deleted = world.so_writes.sync_line_deletes
        if deleted > self.model.shop_removes:
            detail = f"the sync deleted {deleted} quote lines, shop users removed {self.model.shop_removes}"
            found.append(Violation("nothing changed that nobody edited", detail))
        return found + self.model.judge_settled(recorded, judged)

    def _one_each(self, order: Order) -> list[Violation]:
        refs = Counter(
            (x.get("external_refs") or {}).get("superoffice_quoteline_id") or f"cws:{x['id']}"
            for x in order.shop["lines"]
        )
        erp = Counter(so_key(x) for x in order.so_lines)
        added = [x.get("sku") for x in order.shop["lines"] if str(x.get("sku") or "").startswith(("SOAK-", "CRM-"))]
        skus = Counter(added)
        found = [Violation(DUPLICATE, f"order {order.key}: {n} shop lines for {k}") for k, n in refs.items() if n > 1]
        found += [Violation(DUPLICATE, f"order {order.key}: {n} quote lines for {k}") for k, n in erp.items() if n > 1]
        found += [Violation(DUPLICATE, f"order {order.key}: {n} shop lines {s}") for s, n in skus.items() if n > 1]
        return found

    def checkpoint(self, world: World, project: Project) -> int:
        base = {}
        for order in self._orders(world, project).values():
            base |= {key: so_fields(line) for key, line in order.so_by_key.items()}
        self.model.restart(base)
        self.model.budget = 0
        self.model.added, self.model.removed = {}, {}
        recorded = {row["_id"] for row in conflicts(project, FLOW)}
        new, self.model.conflict_ids = len(recorded - self.model.conflict_ids), recorded
        return new
