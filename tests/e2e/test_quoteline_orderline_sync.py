"""Quoteline ↔ order line, end to end over real HTTP: both simulators (SuperOffice with strict quote totals: a
line save leaves them stale until ``RecalculateQuoteAlternative``), the real pipes, the real store.

The project enables the order flow and the line flow (the repository ships them disabled) beside the contact
flow, as an operator would. Lines are records of their own: each edit below, on either side, arrives after one
sync; a CRM edit on one line and a shop edit on another line of the same order both survive; a sync with nothing
edited sends nothing at either simulator (the Quote agent's reads are not writes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.config import load_config
from sluice.project import Project
from sluice.secrets import Secret
from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.superoffice import BasicAuth, SuperOfficeClient
from tests.e2e.conftest import FAST_RETRY, REPO, Systems
from tests.e2e.test_sale_order_sync import active_alternatives, agent, edit_order, sale, synced_orders

pytestmark = pytest.mark.slow

FLOW = "quoteline_orderline"
ORDERS = "sale_order"


def lines_project(systems: Systems, root: Path, toml: str = "", orders: str = "") -> Project:
    """A project with the order and line flows enabled; ``orders``: more ``[flows.sale_order]`` settings."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sluice.toml").write_text(
        f'[paths]\npipes = "{REPO / "pipes"}"\n\n[flows.{ORDERS}]\nenabled = true\n{orders}\n'
        f"[flows.{FLOW}]\nenabled = true\n" + toml
    )
    so = SuperOfficeClient(systems.tenant_url, BasicAuth(DEMO.username, Secret(DEMO.password)), retry=FAST_RETRY)
    shop = CustomwebshopClient(systems.shop_server.url, DEMO_API_KEY, retry=FAST_RETRY)
    return Project(load_config(root, datasets=root / "datasets"), clients={"superoffice": so, "customwebshop": shop})


def strict_systems() -> Iterator[Systems]:
    """Both simulators served, SuperOffice with strict quote totals (as a real tenant: stale until Recalculate)."""
    so = SuperOfficeSimulator(contacts=20, seed=5, auth="basic", strict_quotes=True)
    shop = CustomwebshopSimulator(customers=5, seed=5)
    servers = [ServerThread(so.app).start(), ServerThread(shop.app).start()]
    yield Systems(so, shop, servers[0], servers[1])
    for server in servers:
        server.stop()


systems = pytest.fixture(strict_systems, name="systems")


@pytest.fixture
def project(systems: Systems, tmp_path: Path) -> Iterator[Project]:
    with lines_project(systems, tmp_path) as proj:
        yield proj


# -- both systems as a user sees them ----------------------------------------------------------------


def quote_lines(systems: Systems, alternative: int) -> list[dict[str, Any]]:
    return sorted(agent(systems, "GetQuoteLines", {"QuoteAlternativeId": alternative}) or [],
                  key=lambda x: (x["Rank"], x["QuoteLineId"]))  # fmt: skip


def alternative_of(systems: Systems, key: str) -> int:
    sale_id, ordinal = int(key.split(":")[1]), int(key.split(":")[2])
    return active_alternatives(systems, sale_id)[ordinal - 1]


def with_lines(systems: Systems) -> list[tuple[str, dict[str, Any], int]]:
    """(order key, shop order, alternative id) of every synced order with at least two lines, by key."""
    found = []
    for key, order in sorted(synced_orders(systems).items()):
        if len(order["lines"]) >= 2:
            found.append((key, order, alternative_of(systems, key)))
    return found


def edit_lines(systems: Systems, order: dict[str, Any], elements: list[dict[str, Any]]) -> dict[str, Any]:
    return edit_order(systems, order["id"], lines=elements)


def save_line(systems: Systems, line: dict[str, Any], **changes: Any) -> None:
    agent(systems, "SaveQuoteLine", {"QuoteLine": {**line, **changes}})
    agent(systems, "RecalculateQuoteAlternative", {"QuoteAlternative": line["QuoteAlternativeId"]})


def so_writes(systems: Systems) -> int:
    return systems.writes()[0]


def shop_writes(systems: Systems) -> int:
    return systems.writes()[1]


def flow_of(report: Any, name: str = FLOW) -> Any:
    return next(f for f in report.flows if f.flow == name)


def assert_no_op(systems: Systems, project: Project) -> None:
    systems.reset_stats()
    report = project.sync()
    for flow in report.flows:
        assert flow.writes == 0, flow
    assert systems.writes() == (0, 0)


def assert_lines_equal(systems: Systems) -> None:
    """Every synced order's lines equal its alternative's in count, sku, quantity, price and discount."""
    for key, order in synced_orders(systems).items():
        alternatives = active_alternatives(systems, int(key.split(":")[1]))
        if not alternatives:
            assert order["lines"] == []
            continue
        lines = quote_lines(systems, alternative_of(systems, key))
        shop = sorted((x["sku"] or "", float(x["quantity"]), float(x["unit_price"]), float(x["discount_percent"]))
                      for x in order["lines"])  # fmt: skip
        crm = sorted((x["Code"] or "", float(x["Quantity"]), round(float(x["UnitListPrice"]), 2),
                      round(float(x["DiscountPercent"]), 2)) for x in lines)  # fmt: skip
        assert shop == crm, key


# -- acceptance ----------------------------------------------------------------------------------------


def test_every_order_gets_its_alternative_s_lines_and_a_second_sync_sends_nothing(
    systems: Systems, project: Project
) -> None:
    report = project.sync()
    assert [f.flow for f in report.flows] == ["contact_customer", ORDERS, FLOW]
    flow = flow_of(report)
    assert flow.dead_letters == 0 and flow.creates > 0
    assert_lines_equal(systems)
    for order in synced_orders(systems).values():
        for line in order["lines"]:
            assert line["external_refs"]["superoffice_quoteline_id"].isdigit()
    assert_no_op(systems, project)


def test_each_shop_line_edit_arrives_in_superoffice_after_one_sync(systems: Systems, project: Project) -> None:
    project.sync()
    key, order, alternative = with_lines(systems)[0]
    first, second, *rest = order["lines"]
    edited = [
        {"id": first["id"], "quantity": "7", "unit_price": "123.40"},
        {"id": second["id"], "discount_percent": "15"},
        *({"id": x["id"]} for x in rest[1:]),  # the third line (if any) is removed
        {"sku": "SHOP-ADD", "name": "Lagt til i butikken", "quantity": "2", "unit_price": "10", "vat_rate": "25"},
    ]
    edit_lines(systems, order, edited)
    removed = rest[0]["external_refs"]["superoffice_quoteline_id"] if rest else None
    report = project.sync()
    flow = flow_of(report)
    assert flow.dead_letters == 0 and flow.conflicts == 0
    lines = {x["QuoteLineId"]: x for x in quote_lines(systems, alternative)}
    one, two = (lines[int(x["external_refs"]["superoffice_quoteline_id"])] for x in (first, second))
    assert (one["Quantity"], one["UnitListPrice"]) == (7, 123.4)
    assert two["DiscountPercent"] == 15 and two["UserValueOverride"] == "DiscountPercent"
    if removed:
        assert int(removed) not in lines
    (added,) = [x for x in lines.values() if x["Code"] == "SHOP-ADD"]
    shop_line = next(x for x in synced_orders(systems)[key]["lines"] if x["sku"] == "SHOP-ADD")
    assert added["ERPQuoteLineKey"] == f"cws:{shop_line['id']}" and added["Quantity"] == 2
    assert_lines_equal(systems)
    assert_no_op(systems, project)


def test_each_superoffice_line_edit_arrives_in_the_shop_after_one_sync(systems: Systems, project: Project) -> None:
    project.sync()
    key, _order, alternative = with_lines(systems)[0]
    first, second, *_ = quote_lines(systems, alternative)
    agent(systems, "SaveQuoteLine", {"QuoteLine": {**first, "Quantity": 11.0, "UnitListPrice": 77.5}})
    agent(systems, "SaveQuoteLine", {"QuoteLine": {**second, "DiscountPercent": 12.0,
                                                   "UserValueOverride": "DiscountPercent"}})  # fmt: skip
    agent(systems, "SaveQuoteLine", {"QuoteLine": {"QuoteLineId": 0, "QuoteAlternativeId": alternative,
                                                   "ERPProductKey": "", "Code": "CRM-ADD", "Name": "Fra CRM",
                                                   "Quantity": 3.0, "UnitListPrice": 9.0, "VAT": 25.0,
                                                   "Rank": 99}})  # fmt: skip
    agent(systems, "RecalculateQuoteAlternative", {"QuoteAlternative": alternative})
    report = project.sync()
    assert flow_of(report).dead_letters == 0
    shop = {x["external_refs"]["superoffice_quoteline_id"]: x for x in synced_orders(systems)[key]["lines"]}
    assert (
        float(shop[str(first["QuoteLineId"])]["quantity"]),
        float(shop[str(first["QuoteLineId"])]["unit_price"]),
    ) == (
        11,
        77.5,
    )
    assert float(shop[str(second["QuoteLineId"])]["discount_percent"]) == 12
    assert [x["sku"] for x in shop.values()].count("CRM-ADD") == 1
    assert_lines_equal(systems)
    assert_no_op(systems, project)

    agent(systems, "DeleteQuoteLine", {"QuoteLineId": first["QuoteLineId"]})
    agent(systems, "RecalculateQuoteAlternative", {"QuoteAlternative": alternative})
    project.sync()
    shop = {x["external_refs"]["superoffice_quoteline_id"] for x in synced_orders(systems)[key]["lines"]}
    assert str(first["QuoteLineId"]) not in shop
    assert_lines_equal(systems)
    assert_no_op(systems, project)


def test_a_crm_edit_on_one_line_and_a_shop_edit_on_another_line_of_the_same_order_both_survive(
    systems: Systems, project: Project
) -> None:
    project.sync()
    key, order, alternative = with_lines(systems)[0]
    crm_line, shop_line = quote_lines(systems, alternative)[:2]
    save_line(systems, crm_line, Quantity=42.0)
    in_shop = next(
        x for x in order["lines"] if x["external_refs"]["superoffice_quoteline_id"] == str(shop_line["QuoteLineId"])
    )
    edit_lines(systems, order, [{"id": x["id"], **({"quantity": "5"} if x is in_shop else {})} for x in order["lines"]])
    report = project.sync()
    assert flow_of(report).conflicts == 0
    lines = {x["QuoteLineId"]: x for x in quote_lines(systems, alternative)}
    assert lines[crm_line["QuoteLineId"]]["Quantity"] == 42 and lines[shop_line["QuoteLineId"]]["Quantity"] == 5
    shop = {x["external_refs"]["superoffice_quoteline_id"]: x for x in synced_orders(systems)[key]["lines"]}
    assert float(shop[str(crm_line["QuoteLineId"])]["quantity"]) == 42
    assert float(shop[str(shop_line["QuoteLineId"])]["quantity"]) == 5
    assert_no_op(systems, project)


def test_line_edits_on_a_version_that_is_not_a_draft_are_refused_as_conflicts_while_the_status_lands(
    systems: Systems, project: Project
) -> None:
    project.sync()
    key, order, alternative = with_lines(systems)[0]
    sale_id = int(key.split(":")[1])
    quote = agent(systems, "GetQuoteEntityFromSaleId", {"SaleId": sale_id})
    version = agent(systems, "GetQuoteVersion", {"QuoteVersionId": quote["ActiveQuoteVersionId"]})
    agent(systems, "SaveQuoteVersion", {"QuoteVersion": {**version, "State": "Sent"}})
    project.sync()
    before = quote_lines(systems, alternative)
    order = synced_orders(systems)[key]
    first, _second, *rest = order["lines"]
    edit_order(
        systems, order["id"], status="on_hold",
        lines=[{"id": first["id"], "quantity": "99"}, *({"id": x["id"]} for x in rest),
               {"sku": "NOPE", "quantity": "1", "unit_price": "1"}],
    )  # fmt: skip
    report = project.sync()
    flow = flow_of(report)
    assert flow.conflicts == 3 and flow.updates_to_superoffice == flow.creates_in_superoffice == 0
    assert flow.deletes_in_superoffice == 0
    conflicts = {c["field"] for c in project.conflicts().to_pylist() if c["flow"] == FLOW}
    assert conflicts == {"quantity", "removed", "added"}
    assert [(x["QuoteLineId"], x["Quantity"]) for x in quote_lines(systems, alternative)] == [
        (x["QuoteLineId"], x["Quantity"]) for x in before
    ]
    assert sale(systems, sale_id)["Status"] == "Stalled"  # the header edit is taken whatever the quote's state
    assert_lines_equal(systems)  # the shop's line edits were undone
    project.sync()  # the sale's other orders take its new status
    assert_no_op(systems, project)


def test_a_new_quote_version_keeps_the_order_ids_and_replaces_the_lines_once(
    systems: Systems, project: Project
) -> None:
    project.sync()
    key, order, _alternative = with_lines(systems)[0]
    edit_lines(systems, order, [*({"id": x["id"]} for x in order["lines"]),
                                {"sku": "KEPT", "quantity": "1", "unit_price": "2"}])  # fmt: skip
    project.sync()
    before = {k: o["id"] for k, o in synced_orders(systems).items()}
    sale_id = int(key.split(":")[1])
    quote = agent(systems, "GetQuoteEntityFromSaleId", {"SaleId": sale_id})
    agent(systems, "CreateAndSaveQuoteVersion", {"QuoteVersionId": quote["ActiveQuoteVersionId"]})
    systems.reset_stats()
    project.sync()
    after = synced_orders(systems)
    assert {k: o["id"] for k, o in after.items()} == before
    assert [x["sku"] for x in after[key]["lines"]].count("KEPT") == 1
    assert_lines_equal(systems)
    assert_no_op(systems, project)


def test_a_no_op_sync_after_superoffice_recalculated_every_alternative_sends_nothing(
    systems: Systems, project: Project
) -> None:
    project.sync()
    project.sync()
    for key in sorted(synced_orders(systems)):
        for alternative in active_alternatives(systems, int(key.split(":")[1])):
            agent(systems, "RecalculateQuoteAlternative", {"QuoteAlternative": alternative})
    assert_no_op(systems, project)


def test_a_line_names_its_linked_shop_product_and_a_line_of_an_unlinked_product_goes_without(
    systems: Systems, tmp_path: Path
) -> None:
    with lines_project(systems, tmp_path, "\n[flows.product_product]\nenabled = true\n") as project:
        report = project.sync()
        assert [f.flow for f in report.flows] == ["contact_customer", "product_product", ORDERS, FLOW]
        products = {
            r["a_id"]: r["b_id"] for r in project.links("product_product").to_pylist() if r["status"] == "active"
        }
        pulled = project.store.current_arrow("superoffice_product").to_pylist()
        by_key = {p["ERPProductKey"]: str(p["ProductId"]) for p in pulled}
        named = without = 0
        for key, order in synced_orders(systems).items():
            alternatives = active_alternatives(systems, int(key.split(":")[1]))
            if not alternatives:
                continue
            crm = {str(x["QuoteLineId"]): x for x in quote_lines(systems, alternative_of(systems, key))}
            for line in order["lines"]:
                product = by_key.get(crm[line["external_refs"]["superoffice_quoteline_id"]].get("ERPProductKey") or "")
                if product in products:
                    assert str(line["product_id"]) == products[product]
                    named += 1
                else:
                    assert line.get("product_id") is None
                    without += 1
        assert named > 0 and without > 0  # the shop's currency links one price list of several
        assert_no_op(systems, project)


def test_with_orders_for_favorite_only_the_favourite_alternatives_lines_sync_and_none_waits(
    systems: Systems, tmp_path: Path
) -> None:
    with lines_project(systems, tmp_path, orders='orders_for = "favorite"\n') as project:
        report = project.sync()
        flow = flow_of(report)
        assert flow.waiting == 0 and flow.dead_letters == 0 and flow.creates > 0
        assert_lines_equal(systems)
        assert_no_op(systems, project)


def plan_now(project: Project) -> None:
    """A sync up to the line flow's plan: every pull, the pipes and the flows before it, then the line plan."""
    names = project.flow_names()
    for step in project.steps(names):
        if step.kind == "pull":
            project.pull(step.names[0])
        elif step.kind == "pipes":
            project.run_pipes(list(step.names))
        elif step.names[0] != FLOW:
            project.sync_flow(step.names[0])
        else:
            project.plan_flow(FLOW)
            return


def test_a_shop_edit_between_plan_and_push_is_kept_and_the_stale_patch_is_rebuilt_not_lost(
    systems: Systems, project: Project
) -> None:
    project.sync()
    key, order, alternative = with_lines(systems)[0]
    crm_line, other = quote_lines(systems, alternative)[:2]
    save_line(systems, crm_line, Quantity=31.0)
    plan_now(project)
    order = synced_orders(systems)[key]
    ref = str(other["QuoteLineId"])
    edit_lines(systems, order, [{"id": x["id"], **({"quantity": "8"} if shop_ref(x) == ref else {})}
                                for x in order["lines"]])  # fmt: skip
    result = project.push_sink(FLOW, "b")  # If-Match the pulled version: 412, re-read, rebuilt
    project.push_sink(FLOW, "a")
    project.commit_flow(FLOW)
    assert (result.updated, result.failed) == (1, 0)
    shop = {x["external_refs"]["superoffice_quoteline_id"]: x for x in synced_orders(systems)[key]["lines"]}
    assert float(shop[str(crm_line["QuoteLineId"])]["quantity"]) == 31
    assert float(shop[str(other["QuoteLineId"])]["quantity"]) == 8  # the shop's edit since the plan is kept
    project.sync()
    lines = {x["QuoteLineId"]: x for x in quote_lines(systems, alternative)}
    assert lines[other["QuoteLineId"]]["Quantity"] == 8 and lines[crm_line["QuoteLineId"]]["Quantity"] == 31
    assert_no_op(systems, project)


def test_a_shop_edit_of_the_same_field_between_plan_and_push_is_never_overwritten(
    systems: Systems, project: Project
) -> None:
    project.sync()
    key, order, alternative = with_lines(systems)[0]
    crm_line = quote_lines(systems, alternative)[0]
    save_line(systems, crm_line, Quantity=31.0)
    plan_now(project)
    order = synced_orders(systems)[key]
    ref = str(crm_line["QuoteLineId"])
    edit_lines(systems, order, [{"id": x["id"], **({"quantity": "6"} if shop_ref(x) == ref else {})}
                                for x in order["lines"]])  # fmt: skip
    result = project.push_sink(FLOW, "b")
    project.push_sink(FLOW, "a")
    project.commit_flow(FLOW)
    assert (result.updated, result.failed) == (0, 1)  # refused, 412-style: retried after a fresh pull
    assert float(next(x for x in synced_orders(systems)[key]["lines"] if shop_ref(x) == ref)["quantity"]) == 6
    project.sync()  # both sides edited the field since they agreed: a conflict, the shop's newer edit wins
    assert quote_lines(systems, alternative)[0]["Quantity"] == 6
    assert_lines_equal(systems)
    assert_no_op(systems, project)


def shop_ref(line: dict[str, Any]) -> str:
    return (line.get("external_refs") or {}).get("superoffice_quoteline_id") or ""


def test_a_superoffice_edit_between_plan_and_write_back_is_never_overwritten(
    systems: Systems, project: Project
) -> None:
    project.sync()
    _key, order, alternative = with_lines(systems)[0]
    crm_line = quote_lines(systems, alternative)[0]
    ref = str(crm_line["QuoteLineId"])
    edit_lines(systems, order, [{"id": x["id"], **({"quantity": "4"} if shop_ref(x) == ref else {})}
                                for x in order["lines"]])  # fmt: skip
    plan_now(project)
    save_line(systems, crm_line, Quantity=27.0)  # the CRM user edits the same line after the pull
    project.push_sink(FLOW, "b")
    result = project.push_sink(FLOW, "a")
    project.commit_flow(FLOW)
    assert (result.updated, result.failed) == (0, 1)  # the line re-read moved: refused, 412-style
    assert quote_lines(systems, alternative)[0]["Quantity"] == 27
    project.sync()  # both edited since they agreed: a conflict the policy resolves, nothing silently lost
    assert len(project.conflicts()) > 0
    assert_lines_equal(systems)
    assert_no_op(systems, project)


class DropOneLineInsert:
    """ASGI middleware in front of SuperOffice: the first ``SaveQuoteLine`` that inserts (``QuoteLineId`` 0) is
    applied, then its answer is cut off mid-response, as the campaign's dropped answers do."""

    def __init__(self, app: Any) -> None:
        self.app, self.dropped = app, 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/Agents/Quote/SaveQuoteLine") or self.dropped:
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if json.loads(body or b"{}").get("QuoteLine", {}).get("QuoteLineId") != 0:
            await self.app(scope, lambda: _replay(body), send)
            return
        self.dropped += 1

        async def cut(message: dict) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                raise ConnectionAbortedError("the answer is lost (test)")

        await self.app(scope, lambda: _replay(body), cut)


async def _replay(body: bytes) -> dict:
    return {"type": "http.request", "body": body, "more_body": False}


def test_a_line_added_in_the_shop_whose_insert_answer_is_lost_is_made_once(tmp_path: Path) -> None:
    """Soak seed 20261203: the shop added a line, SuperOffice inserted it and the answer was lost; the transport
    retried the insert and the tenant held two lines stamped ``cws:<id>``, which stopped the line pipe (duplicate
    ``_id``) on every later run. SuperOffice has no idempotency keys: the insert is never resent blindly."""
    so = SuperOfficeSimulator(contacts=20, seed=5, auth="basic", strict_quotes=True)
    shop = CustomwebshopSimulator(customers=5, seed=5)
    gate = DropOneLineInsert(so.app)
    systems = Systems(so, shop, ServerThread(gate).start(), ServerThread(shop.app).start())
    try:
        with lines_project(systems, tmp_path) as project:
            project.sync()
            _key, order, alternative = with_lines(systems)[0]
            added = {"sku": "SHOP-ONCE", "name": "Lagt til", "quantity": "2", "unit_price": "10", "vat_rate": "25"}
            edit_lines(systems, order, [*({"id": x["id"]} for x in order["lines"]), added])
            report = project.sync()
            assert gate.dropped == 1 and flow_of(report).dead_letters == 0
            assert [x["Code"] for x in quote_lines(systems, alternative)].count("SHOP-ONCE") == 1
            assert_lines_equal(systems)
            project.sync(full=True)  # the pipe runs: one line per key
            assert_no_op(systems, project)
    finally:
        systems.stop()


class RefuseRecalculation:
    """ASGI middleware in front of SuperOffice answering 503 to every ``RecalculateQuoteAlternative`` while ``on``."""

    def __init__(self, app: Any) -> None:
        self.app, self.on = app, False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self.on and scope["type"] == "http" and scope["path"].endswith("/RecalculateQuoteAlternative"):
            await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


def test_a_line_made_in_superoffice_whose_recalculation_failed_is_linked_and_a_later_shop_edit_arrives(
    tmp_path: Path,
) -> None:
    """Soak seed 40011: the shop added a line, SuperOffice inserted it, then the alternative's recalculation
    failed; the create was reported failed, so no link was made. The next run matched the two lines by key with no
    agreed state and overwrote the shop's edit made since with the insert's old price, silently. The line exists:
    its create stands (linked), only the totals wait for the alternative's next line write."""
    so = SuperOfficeSimulator(contacts=20, seed=5, auth="basic", strict_quotes=True)
    shop = CustomwebshopSimulator(customers=5, seed=5)
    gate = RefuseRecalculation(so.app)
    systems = Systems(so, shop, ServerThread(gate).start(), ServerThread(shop.app).start())
    try:
        with lines_project(systems, tmp_path) as project:
            project.sync()
            key, order, alternative = with_lines(systems)[0]
            added = {"sku": "SHOP-LATE", "name": "Lagt til", "quantity": "2", "unit_price": "0.50", "vat_rate": "25"}
            edit_lines(systems, order, [*({"id": x["id"]} for x in order["lines"]), added])
            gate.on = True
            project.sync()
            gate.on = False
            [line] = [x for x in synced_orders(systems)[key]["lines"] if x["sku"] == "SHOP-LATE"]
            assert f"cws:{line['id']}" in {
                r["a_id"] for r in project.links(FLOW).to_pylist() if r["status"] == "active"
            }
            order = synced_orders(systems)[key]
            edit_lines(systems, order, [{"id": x["id"], **({"unit_price": "10.00"} if x["id"] == line["id"] else {})}
                                        for x in order["lines"]])  # fmt: skip
            project.sync(full=True)
            [made] = [x for x in quote_lines(systems, alternative) if x["Code"] == "SHOP-LATE"]
            assert made["UnitListPrice"] == 10
            assert_lines_equal(systems)
            assert_no_op(systems, project)
    finally:
        systems.stop()


class InsertBlind:
    """ASGI middleware in front of SuperOffice while ``on``: a line insert is applied but answered 503, and every
    ``GetQuoteLines`` after it is refused, so the sink cannot learn that its insert was made."""

    def __init__(self, app: Any) -> None:
        self.app, self.on, self.inserted = app, False, False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        blind = path.endswith("/SaveQuoteLine") or (self.inserted and path.endswith("/GetQuoteLines"))
        if not self.on or scope["type"] != "http" or not blind:
            await self.app(scope, receive, send)
            return
        if path.endswith("/SaveQuoteLine"):

            async def swallow(message: dict) -> None:
                return None

            await self.app(scope, receive, swallow)
            self.inserted = True
        await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def test_a_shop_line_whose_insert_outcome_was_lost_keeps_the_shops_later_edit_when_matched(tmp_path: Path) -> None:
    """Soak seed 40011: SuperOffice made the shop's new line but the sink never learnt it (the insert's answer and
    the look-up failed), so no link; the shop then edited the line's price. The next run matched the two by key
    with no agreed state, where SuperOffice (the system of record) wins: the shop's edit was overwritten silently.
    A line born in the shop has the shop for its record: matched without an agreed state, the shop's values win."""
    so = SuperOfficeSimulator(contacts=20, seed=5, auth="basic", strict_quotes=True)
    shop = CustomwebshopSimulator(customers=5, seed=5)
    gate = InsertBlind(so.app)
    systems = Systems(so, shop, ServerThread(gate).start(), ServerThread(shop.app).start())
    try:
        with lines_project(systems, tmp_path) as project:
            project.sync()
            key, order, alternative = with_lines(systems)[0]
            added = {"sku": "SHOP-BLIND", "name": "Lagt til", "quantity": "2", "unit_price": "0.50", "vat_rate": "25"}
            edit_lines(systems, order, [*({"id": x["id"]} for x in order["lines"]), added])
            plan_now(project)
            gate.on = True
            project.push_sink(FLOW, "b")
            assert project.push_sink(FLOW, "a").failed == 1
            project.commit_flow(FLOW)
            gate.on = False
            assert [x["Code"] for x in quote_lines(systems, alternative)].count("SHOP-BLIND") == 1  # made, unknown
            order = synced_orders(systems)[key]
            [line] = [x for x in order["lines"] if x["sku"] == "SHOP-BLIND"]
            edit_lines(systems, order, [{"id": x["id"], **({"unit_price": "10.00"} if x["id"] == line["id"] else {})}
                                        for x in order["lines"]])  # fmt: skip
            project.sync()
            [made] = [x for x in quote_lines(systems, alternative) if x["Code"] == "SHOP-BLIND"]
            [kept] = [x for x in synced_orders(systems)[key]["lines"] if x["id"] == line["id"]]
            assert (made["UnitListPrice"], float(kept["unit_price"])) == (10, 10)
            assert_lines_equal(systems)
            assert_no_op(systems, project)
    finally:
        systems.stop()


def test_an_order_deleted_in_the_shop_deletes_none_of_its_quote_lines(systems: Systems, project: Project) -> None:
    """The order's lines leave the shop with it, which is no removal of a line: its link and its lines' links
    close, and SuperOffice keeps every quote line (soak seed 71061: the waiting lines were deleted there)."""
    project.sync()
    key, order, alternative = with_lines(systems)[0]
    before = [x["QuoteLineId"] for x in quote_lines(systems, alternative)]
    systems.shop_session().delete(f"{systems.shop_api}/orders/{order['id']}").raise_for_status()
    project.sync()
    project.sync(full=True)
    assert [x["QuoteLineId"] for x in quote_lines(systems, alternative)] == before
    links = {r["a_id"]: r["status"] for r in project.links(FLOW).to_pylist()}
    assert {links[str(line_id)] for line_id in before} == {"closed"}
    assert {r["a_id"]: r["status"] for r in project.links(ORDERS).to_pylist()}[key] == "closed"
    assert_no_op(systems, project)


def test_when_the_order_flow_cannot_run_the_line_flow_waits_and_deletes_nothing(
    systems: Systems, project: Project
) -> None:
    """Soak seed 72058: the order was deleted in the shop, then the sale pull failed, so the order flow was
    skipped and its link stayed open; the line flow ran on that stale link, took the order's lines for lines
    removed from a live order and deleted them in SuperOffice. A flow whose referenced flow did not run waits."""
    project.sync()
    key, order, alternative = with_lines(systems)[0]
    before = [x["QuoteLineId"] for x in quote_lines(systems, alternative)]
    systems.shop_session().delete(f"{systems.shop_api}/orders/{order['id']}").raise_for_status()
    systems.faults(rate_503=1.0, paths=["$select=sale.sale_id,sale.updated"])  # the sale pull's list, not the quotes'
    report = project.sync()
    systems.clear_faults()
    assert [x["QuoteLineId"] for x in quote_lines(systems, alternative)] == before
    assert "superoffice_sale" in report.pull_errors and {ORDERS, FLOW} <= set(report.skipped_flows)
    project.sync()
    assert [x["QuoteLineId"] for x in quote_lines(systems, alternative)] == before
    assert {r["a_id"]: r["status"] for r in project.links(ORDERS).to_pylist()}[key] == "closed"
    assert_no_op(systems, project)
