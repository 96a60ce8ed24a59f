"""The fault campaign, bounded for CI: a few seeded scenarios must hold every invariant; and the invariants
themselves must catch what they claim to (a check that cannot fail proves nothing).

``SOAK_SCENARIOS`` and ``SOAK_SEED`` widen or move the run; ``make soak`` runs the long one.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from tests.soak.__main__ import main as soak_main
from tests.soak.adapter import FlowAdapter
from tests.soak.contact_customer import ContactCustomer
from tests.soak.contact_values import contact_fields, customer_fields
from tests.soak.edits import Edit, EditLog
from tests.soak.figures import DUPLICATE, LOST
from tests.soak.product_product import ProductProduct
from tests.soak.quoteline_orderline import QuoteLineOrderLine
from tests.soak.runner import ADAPTERS, Options, Scenario, run_campaign
from tests.soak.sale_order import Model as OrderModel
from tests.soak.sale_order import SaleOrder
from tests.soak.world import World, open_world

pytestmark = pytest.mark.slow

SCENARIOS = int(os.environ.get("SOAK_SCENARIOS", "4"))
SEED = int(os.environ.get("SOAK_SEED", "20261201"))


CONTACTS = Options(flows=("contact_customer",))


def test_a_bounded_campaign_holds_every_invariant():
    """Every adapter in every scenario (each acts in turn), so all three flows meet faults and kills."""
    figures = run_campaign(range(SEED, SEED + SCENARIOS), Options())

    assert not figures.violations, figures.summary() + "\n" + "\n".join(v.line() for v in figures.violations)
    assert figures.scenarios == SCENARIOS
    assert figures.faults > 0 and figures.kills > 0, "faults and kills really happened"
    assert figures.edits > 5 * SCENARIOS and figures.checks > SCENARIOS
    acted = {name.split(":")[0] for name in figures.actions}
    assert acted == set(ADAPTERS), f"every flow's users acted: {sorted(acted)}"


def test_the_invariants_catch_unrecorded_writes_a_duplicate_and_a_lost_update(tmp_path: Path):
    world = open_world(tmp_path / "datasets", contacts=6, customers=2, seed=3)
    try:
        scenario = Scenario(0, world, CONTACTS)
        [adapter] = scenario.adapters
        assert isinstance(adapter, ContactCustomer)
        adapter.begin(world)
        assert scenario.clean_check(baseline=True) == []

        customers = {c["external_refs"].get("superoffice_contact_id"): c for c in world.systems.customers()}
        world.systems.edit_customer(customers["2"]["id"], department="Endret bak modellens rygg")
        adapter.model.edits.append(Edit("shop", "3", "note", "Aldri skrevet", None))
        found = scenario.clean_check()  # the model counts no user action, yet the sync writes the shop's edit
        assert {(v.invariant, v.detail.split(":")[0]) for v in found} >= {
            ("writes bounded by edits", "1 writes for a budget of 0"),
            ("nothing changes unedited", "contact 2 department"),
            (LOST, "contact 3 note holds None; edits [('shop', 'Aldri skrevet')]"),
        }

        twin = {k: v for k, v in customers["4"].items() if k not in {"id", "version", "created_at", "updated_at"}}
        twin["email"] = "tvilling@soak.example"
        world.systems.shop_session().post(f"{world.systems.shop_api}/customers", json=twin).raise_for_status()
        adapter.model.edits.clear()
        found = scenario.clean_check()
        assert DUPLICATE in {v.invariant for v in found}
    finally:
        world.systems.stop()


def test_an_edit_its_own_side_undid_after_a_sync_carried_it_is_no_lost_update(tmp_path: Path):
    """Seed 1203's history, step by step: the shop sets a department R, an unchecked sync carries R to SuperOffice
    (agreed R), the shop goes R -> I -> R while SuperOffice goes R -> Z. Since the agreed R only SuperOffice
    changed the field, so Z wins without a conflict, which is right; the model must judge from that R too. A
    value both sides settle on that no edit explains is still a lost update."""
    world = open_world(tmp_path / "datasets", contacts=6, customers=2, seed=3)
    try:
        scenario = Scenario(0, world, CONTACTS)
        [adapter] = scenario.adapters
        assert isinstance(adapter, ContactCustomer)
        adapter.begin(world)
        assert scenario.clean_check(baseline=True) == []
        customer_id = next(
            c["id"] for c in world.systems.customers() if c["external_refs"].get("superoffice_contact_id") == "3"
        )

        def shop_sets(value: str) -> None:
            before = customer_fields(world.systems.customer(customer_id))
            after = world.systems.edit_customer(customer_id, department=value)
            adapter.model.record("shop", "3", before, customer_fields(after))

        shop_sets("Ring først")
        world.clean_sync()  # unchecked: no checkpoint, as a faulty sync that got through
        scenario._observe()
        shop_sets("Innkjøp")
        before = contact_fields(world.systems.contact("3"))
        after = world.systems.edit_contact("3", Department="北欧")
        adapter.model.record("superoffice", "3", before, contact_fields(after))
        shop_sets("Ring først")
        assert scenario.clean_check() == []
        assert world.systems.customer(customer_id)["department"] == "北欧"

        adapter.model.edits.append(Edit("shop", "3", "note", "Aldri skrevet", None))  # claimed, never made
        world.clean_sync()
        scenario._observe()
        found = scenario.clean_check()
        assert [(v.invariant, v.detail.split(";")[0]) for v in found] == [(LOST, "contact 3 note settled on None")]
    finally:
        world.systems.stop()


@contextmanager
def _opened(tmp_path: Path, flow: str) -> Iterator[tuple[World, Scenario, FlowAdapter]]:
    """One flow's world and scenario, its users begun and a clean baseline checked; the systems stop after."""
    world = open_world(tmp_path / "datasets", contacts=6, customers=2, seed=3, enable=ADAPTERS[flow].enables)
    try:
        scenario = Scenario(0, world, Options(flows=(flow,)))
        [adapter] = scenario.adapters
        adapter.begin(world)
        assert scenario.clean_check(baseline=True) == []
        yield world, scenario, adapter
    finally:
        world.systems.stop()


def test_the_product_invariants_catch_a_change_nobody_made_and_a_duplicate(tmp_path: Path):
    with _opened(tmp_path, "product_product") as (world, scenario, adapter):
        assert isinstance(adapter, ProductProduct)
        shop = world.systems.shop_session()
        products = adapter._shop_products(world)
        changed = products["2"]
        shop.patch(f"{world.systems.shop_api}/products/{changed['id']}", json={"price": "1.50"}).raise_for_status()
        found = scenario.clean_check()  # no user action in the model, yet the price moves to SuperOffice
        assert {(v.invariant, v.detail.split(":")[0]) for v in found} >= {
            ("writes bounded by edits", "1 writes for a budget of 0"),
            ("nothing changes unedited", "product 2 price"),
        }

        twin = {k: products["3"][k] for k in ("name", "price", "currency", "external_refs")}
        twin["sku"] = "TWIN-1"
        shop.post(f"{world.systems.shop_api}/products", json=twin).raise_for_status()
        assert DUPLICATE in {v.invariant for v in scenario.clean_check()}


def test_the_order_invariants_catch_a_change_nobody_made_and_a_duplicate(tmp_path: Path):
    with _opened(tmp_path, "sale_order") as (world, scenario, adapter):
        assert isinstance(adapter, SaleOrder)
        orders = adapter._orders(world)
        key = sorted(orders)[0]
        sale_id = key.split(":")[1]
        world.systems.so().patch(f"{world.systems.so_api}/Sale/{sale_id}", json={"Heading": "Bak ryggen"})
        found = scenario.clean_check()  # a heading nobody in the model changed reaches the shop
        assert any(
            v.invariant == "nothing changes unedited" and v.detail.startswith(f"order {key} title") for v in found
        )
        assert any(v.invariant == "writes bounded by edits" for v in found)

        order = orders[key]
        twin = {k: order[k] for k in ("customer_id", "status", "currency", "external_refs")}
        twin["order_number"] = "TWIN-1"
        world.systems.shop_session().post(f"{world.systems.shop_api}/orders", json=twin).raise_for_status()
        assert DUPLICATE in {v.invariant for v in scenario.clean_check()}


def test_the_line_invariants_catch_a_change_nobody_made_a_lost_edit_and_a_duplicate(tmp_path: Path):
    with _opened(tmp_path, "quoteline_orderline") as (world, scenario, adapter):
        assert isinstance(adapter, QuoteLineOrderLine)
        order = next(o for o in adapter._orders(world).values() if o.draft)
        first, second = sorted(order.so_by_key.items())[:2]
        adapter._save(world, {**first[1], "Quantity": 77.0})  # a CRM edit the model never heard of
        adapter._recalculate(world, order)
        adapter.model.edits.append(Edit("shop", second[0], "unit_price", Decimal("4321.00"), None))  # never made
        found = scenario.clean_check()
        assert {(v.invariant, v.detail.split(":")[0]) for v in found} >= {
            ("writes bounded by edits", "1 writes for a budget of 0"),
            ("nothing changes unedited", f"line {first[0]} quantity"),
            (LOST, f"line {second[0]} unit_price holds Decimal('100.00'); edits [('shop', Decimal('4321.00'))]"),
        }

        adapter.model.edits.clear()
        order = adapter._orders(world)[order.key]
        twin = {k: v for k, v in order.shop["lines"][0].items() if k in ("sku", "name", "quantity", "unit_price")}
        twin["external_refs"] = order.shop["lines"][0]["external_refs"]
        adapter._patch_lines(world, order, lambda now: [*({"id": x["id"]} for x in now.shop["lines"]), twin])
        with world.project() as project:  # read before any sync could repair it
            assert DUPLICATE in {v.invariant for v in adapter.check(world, project)}


def test_a_shop_users_save_from_a_stale_order_keeps_the_line_a_sync_added_meanwhile(tmp_path: Path):
    """Seed 80773: a shop user listed the orders, a running sync added a CRM line to one, then the user saved that
    order's lines from the old listing, leaving the new line out (so removing it), and the next sync rightly
    deleted it in SuperOffice: a harness user's lost update, reported as the sync's. A user's save carries
    ``If-Match``, so the stale save is refused and redone from the order as it is now."""
    with _opened(tmp_path, "quoteline_orderline") as (world, scenario, adapter):
        assert isinstance(adapter, QuoteLineOrderLine)
        stale = next(o for o in adapter._orders(world).values() if o.draft)
        assert adapter._so_add(world, random.Random(1), stale)
        world.clean_sync()  # the sync adds the CRM line to the shop order the user still sees without it
        [crm_line] = adapter.model.added

        assert adapter._shop_add(world, random.Random(2), stale)

        shop = adapter._orders(world)[stale.key].shop_by_key()
        assert crm_line in shop, "the user's save kept the line the sync had added"
        assert scenario.clean_check() == []
        assert world.so_writes.sync_line_deletes == 0


def test_a_scenario_replays_from_its_seed(tmp_path: Path):
    """Same seed, same story. Without faults and kills (whose effects depend on thread timing) two runs draw the
    same actions and reach the same figures."""
    options = Options(flows=CONTACTS.flows, weights={"act": 80, "check": 20})
    runs = []
    for n in range(2):
        world = open_world(tmp_path / f"d{n}", contacts=6, customers=2, seed=9)
        try:
            figures = Scenario(9, world, options).run()  # seed 9: its first sync runs clean
        finally:
            world.systems.stop()
        runs.append((figures.edits, figures.checks, figures.violations))
    assert runs[0] == runs[1]
    assert runs[0][0] > 5


def test_an_order_status_conflict_resolved_in_the_shops_words_counts_as_recorded():
    """``sync_conflicts`` keeps an order's resolved status in the shop's words ("pending"), the adapter compares
    in SuperOffice's ("Open"): the shop's older edit that won is a recorded conflict, not a lost update (long run
    seed 30090). Read without the vocabulary, the same row proves nothing."""
    edits = [
        Edit("shop", "sale:8:1", "status", "Open", "Stalled"),
        Edit("superoffice", "sale:8:1", "status", "Lost", "Stalled"),
    ]
    row = {"a_id": "sale:8:1", "field": "status", "resolved_value": json.dumps("pending")}
    orders, plain = OrderModel(edits=list(edits)), EditLog(edits=list(edits))
    assert orders.judge("sale:8:1", {"status": "Open"}, ("status",), [row]) == []
    assert [v.invariant for v in plain.judge("sale:8:1", {"status": "Open"}, ("status",), [row])] == [LOST]


def test_a_sibling_of_an_order_deleted_with_its_edit_pending_may_hold_either_value():
    """Seed 40062: the shop edits order sale:8:2 (its sibling sale:8:1 is to follow through the sale), then deletes
    sale:8:2 before any sync read the edit. Whether the sale (and so sale:8:1) took the edit is timing; any other
    value is still a change nobody made."""
    log = EditLog(what="order")
    log.base = {"sale:8:1": {"status": "Open"}, "sale:8:2": {"status": "Open"}}
    log.record_edit("shop", "sale:8:2", {"status": "Open"}, {"status": "Stalled"}, ["status"])
    log.record_edit("shop", "sale:8:1", {"status": "Open"}, {"status": "Stalled"}, ["status"], source="sale:8:2")
    assert log.judge("sale:8:1", {"status": "Open"}, ["status"], [])  # before the delete: the edit is expected
    log.forget("sale:8:2")
    assert log.judge("sale:8:1", {"status": "Open"}, ["status"], []) == []
    assert log.judge("sale:8:1", {"status": "Stalled"}, ["status"], []) == []
    [moved] = log.judge("sale:8:1", {"status": "Lost"}, ["status"], [])
    assert moved.invariant == "nothing changes unedited"


def test_a_header_conflict_recorded_on_one_order_of_a_sale_decides_its_other_orders():
    """Long-run seed 106 (``--flow sale_order``): the shop retitled order sale:11:2, the CRM the sale; the sync
    recorded the conflict on sale:11:2 (the shop won) and sale:11:1 took the title next run. One sale, one title:
    the recorded conflict covers both orders. Read per order only, sale:11:1 looked like a lost update."""
    adapter = SaleOrder(set())
    adapter.model.edits = [
        Edit("shop", "sale:11:1", "title", "two\nlines", "R", derived=True),
        Edit("superoffice", "sale:11:1", "title", "Ny avtale", "R"),
    ]
    row = {"a_id": "sale:11:2", "field": "title", "resolved_value": json.dumps("two\nlines")}
    held = {"title": "two\nlines"}
    assert adapter.model.judge("sale:11:1", held, ("title",), adapter._per_sale([row])) == []
    assert [v.invariant for v in adapter.model.judge("sale:11:1", held, ("title",), [row])] == [LOST]
    other = row | {"a_id": "sale:12:1"}  # another sale's conflict decides nothing here
    assert [v.invariant for v in adapter.model.judge("sale:11:1", held, ("title",), adapter._per_sale([other]))] == [
        LOST
    ]


def test_a_stopped_campaign_resumes_with_the_seeds_it_had_not_run(tmp_path: Path, capsys, monkeypatch):
    """A thousand scenarios outlast a session: ``--resume`` runs only the seeds the file has not done, on the same
    commit and campaign, and adds them to its figures; a file from another campaign is refused."""
    for name in [n for n in os.environ if n.startswith("SLUICE_")]:
        monkeypatch.delenv(name)  # the CLI drops them; restored after the test
    figures = tmp_path / "figures.json"
    first = ["--seed", "7", "--flow", "contact_customer", "--quiet"]
    assert soak_main([*first, "--scenarios", "1", "--resume", str(figures)]) == 0  # no file yet: a first run
    one = json.loads(figures.read_text())
    assert one["done"] == [7] and one["scenarios"] == 1 and one["run"]["commit"]

    assert soak_main([*first, "--scenarios", "2", "--resume", str(figures)]) == 2  # it ran a 1-scenario campaign
    assert "scenarios 1 (now 2)" in capsys.readouterr().err

    figures.write_text(json.dumps(one | {"run": one["run"] | {"scenarios": 2}}))  # as if stopped after seed 7
    assert soak_main([*first, "--scenarios", "2", "--resume", str(figures)]) == 0
    both = json.loads(figures.read_text())
    assert both["done"] == [7, 8] and both["scenarios"] == 2 and both["syncs"] > one["syncs"]
    assert both["seconds"] >= one["seconds"] and "resuming, 1 scenarios done, 1 to run" in capsys.readouterr().out
