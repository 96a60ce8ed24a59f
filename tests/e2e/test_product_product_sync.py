"""Product ↔ Product, end to end over real HTTP: both simulators, the real pipes, the real store.

The project here enables the flow (the repository ships it disabled until a price list is chosen) and
syncs both flows, as an operator would; the default price list is the one in the shop's currency (NOK).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sluice.config import load_config
from sluice.errors import ConfigError
from sluice.project import Project
from sluice.secrets import Secret
from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator
from sluice.simulators.superoffice.products import DECIMAL_MIN_VALUE
from sluice.sync.pull import PullFailed
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.superoffice import BasicAuth, SuperOfficeClient
from tests.e2e.conftest import FAST_RETRY, REPO, Systems

pytestmark = pytest.mark.slow

FLOW = "product_product"
NOK = 1  # the simulator's price list ids: NOK, SEK, DKK, EUR
MAPPED = {  # SuperOffice carrier field -> shop field, the two-way ones
    "Code": "sku", "Name": "name", "Description": "description", "UnitListPrice": "price", "UnitCost": "cost",
    "VAT": "vat_rate", "QuantityUnit": "unit", "ProductCategoryKey": "category", "InStock": "stock_quantity",
    "Url": "url",
}  # fmt: skip
NUMBERS = {"UnitListPrice", "UnitCost", "VAT", "InStock"}


def products_project(systems: Systems, root: Path, toml: str = "") -> Project:
    (root / "sluice.toml").write_text(f'[paths]\npipes = "{REPO / "pipes"}"\n\n[flows.{FLOW}]\nenabled = true\n{toml}')
    so = SuperOfficeClient(systems.tenant_url, BasicAuth(DEMO.username, Secret(DEMO.password)), retry=FAST_RETRY)
    shop = CustomwebshopClient(systems.shop_server.url, DEMO_API_KEY, retry=FAST_RETRY)
    config = load_config(root, datasets=root / "datasets")
    return Project(config, clients={"superoffice": so, "customwebshop": shop})


@pytest.fixture
def project(systems: Systems, tmp_path: Path) -> Iterator[Project]:
    with products_project(systems, tmp_path) as proj:
        yield proj


# -- both systems as a user sees them ----------------------------------------------------------------


def so_product(systems: Systems, product_id: int) -> dict[str, Any]:
    response = systems.so().get(f"{systems.so_api}/Product/{product_id}")
    response.raise_for_status()
    return response.json()


def edit_so_product(systems: Systems, product_id: int, **changes: Any) -> None:
    """As a CRM user saves a product: the whole carrier back with a few fields changed (PUT only)."""
    carrier = {**so_product(systems, product_id), **changes}
    systems.so().put(f"{systems.so_api}/Product/{product_id}", json=carrier).raise_for_status()


def shop_products(systems: Systems, include_deleted: bool = False) -> list[dict[str, Any]]:
    session, out, cursor = systems.shop_session(), [], None
    while True:
        params: dict[str, Any] = {"limit": 1000, "include_deleted": str(include_deleted).lower()}
        if cursor:
            params["cursor"] = cursor
        page = session.get(f"{systems.shop_api}/products", params=params).json()
        out.extend(page["data"])
        cursor = page.get("next_cursor")
        if not cursor:
            return out


def shop_product(systems: Systems, project: Project, product_id: int) -> dict[str, Any]:
    b_id = linked(project)[str(product_id)]
    response = systems.shop_session().get(f"{systems.shop_api}/products/{b_id}")
    response.raise_for_status()
    return response.json()


def edit_shop_product(systems: Systems, project: Project, product_id: int, **patch: Any) -> None:
    b_id = linked(project)[str(product_id)]
    systems.shop_session().patch(f"{systems.shop_api}/products/{b_id}", json=patch).raise_for_status()


def linked(project: Project, closed: bool = False) -> dict[str, str]:
    return {r["a_id"]: r["b_id"] for r in project.links(FLOW).to_pylist() if closed or r["status"] == "active"}


def in_assortment(systems: Systems, price_list: int = NOK) -> list[int]:
    ids = systems.superoffice.products.in_price_list(price_list)
    return [i for i in ids if so_product(systems, i).get("InAssortment")]


def same(so_value: Any, shop_value: Any, numeric: bool) -> bool:
    if numeric:
        return shop_value is not None and Decimal(str(so_value)).quantize(Decimal("0.01")) == Decimal(str(shop_value))
    return (so_value or None) == (shop_value or None)


def differences(systems: Systems, project: Project) -> list[tuple[int, str, Any, Any]]:
    """Mapped fields that differ between linked products, read fresh from both systems over HTTP."""
    out = []
    for a_id in linked(project):
        so, shop = so_product(systems, int(a_id)), shop_product(systems, project, int(a_id))
        for so_field, shop_field in MAPPED.items():
            if not same(so.get(so_field), shop.get(shop_field), so_field in NUMBERS):
                out.append((int(a_id), shop_field, so.get(so_field), shop.get(shop_field)))
    return out


def flow_result(report: Any) -> Any:
    return next(f for f in report.flows if f.flow == FLOW)


# -- acceptance --------------------------------------------------------------------------------------


def test_first_sync_links_each_product_of_the_price_list_once_matching_by_sku(systems: Systems, project: Project):
    before = {p["sku"]: p["id"] for p in shop_products(systems)}
    result = flow_result(project.sync())
    assert result.matched > 0 and result.dead_letters == 0

    nok = in_assortment(systems)
    pairs = linked(project)
    assert set(pairs) == {str(i) for i in nok}  # every in-assortment NOK product, and no other price list's
    refs = Counter((p.get("external_refs") or {}).get("superoffice_product_id") for p in shop_products(systems))
    assert all(refs[str(i)] == 1 for i in nok)  # exactly one shop product each
    skus = Counter(p["sku"] for p in shop_products(systems))
    assert max(skus.values()) == 1  # no duplicate sku
    for a_id, b_id in pairs.items():  # existing shop products were matched by sku, not duplicated
        code = so_product(systems, int(a_id))["Code"]
        if code in before:
            assert int(b_id) == before[code]
    assert {p["currency"] for p in shop_products(systems) if p["id"] in {int(b) for b in pairs.values()}} == {"NOK"}
    assert differences(systems, project) == []


def test_edits_on_either_side_arrive_after_one_sync_and_different_fields_both_survive(
    systems: Systems, project: Project
) -> None:
    project.sync()
    first, second, third = in_assortment(systems)[:3]
    edit_so_product(systems, first, UnitListPrice=1234.5)  # a price changed in the CRM
    edit_shop_product(systems, project, second, name="Renamed in the shop")
    edit_so_product(systems, third, Description="Edited in the CRM")  # both sides, different fields
    edit_shop_product(systems, project, third, stock_quantity="77")
    project.sync()
    assert Decimal(shop_product(systems, project, first)["price"]) == Decimal("1234.50")
    assert so_product(systems, second)["Name"] == "Renamed in the shop"
    assert so_product(systems, third)["Description"] == "Edited in the CRM"
    assert so_product(systems, third)["InStock"] == 77
    assert shop_product(systems, project, third)["description"] == "Edited in the CRM"
    assert differences(systems, project) == []


def test_a_sync_with_nothing_edited_sends_no_write(systems: Systems, project: Project):
    project.sync()
    project.sync()  # decimals written one way ("2") and read back the other (2.0) agree: no ping-pong
    systems.reset_stats()
    report = project.sync()
    assert flow_result(report).writes == 0
    assert systems.writes() == (0, 0)


def test_a_product_edited_in_superoffice_between_pull_and_write_back_is_not_overwritten(
    systems: Systems, project: Project
) -> None:
    project.sync()
    product = in_assortment(systems)[0]
    edit_shop_product(systems, project, product, name="Shop name")
    for dataset in project.flow(FLOW).sources:
        project.pull(dataset)
    project.run_pipes()
    project.plan_flow(FLOW)
    edit_so_product(systems, product, UnitCost=999.0)  # someone saves the product in the CRM meanwhile
    project.push_sink(FLOW, "b")
    result = project.push_sink(FLOW, "a")
    assert result.failed == 1 and result.dead_lettered == 0  # refused, to be retried; no blind PUT
    project.commit_flow(FLOW)
    assert so_product(systems, product)["UnitCost"] == 999.0
    assert so_product(systems, product)["Name"] != "Shop name"

    project.sync()  # the next run re-reads, merges both edits and writes
    assert so_product(systems, product)["Name"] == "Shop name"
    assert so_product(systems, product)["UnitCost"] == 999.0
    assert Decimal(shop_product(systems, project, product)["cost"]) == Decimal("999.00")


def test_out_of_assortment_or_deleted_deactivates_and_a_shop_delete_closes_the_link(
    systems: Systems, project: Project
) -> None:
    project.sync()
    retired, deleted, shop_deleted = in_assortment(systems)[:3]
    edit_so_product(systems, retired, InAssortment=False)
    systems.so().delete(f"{systems.so_api}/Product/{deleted}").raise_for_status()
    b_id = linked(project)[str(shop_deleted)]
    systems.shop_session().delete(f"{systems.shop_api}/products/{b_id}").raise_for_status()
    project.sync(full=True)  # a hard delete is seen by a full pull
    assert shop_product(systems, project, retired)["active"] is False
    gone = linked(project, closed=True)[str(deleted)]
    response = systems.shop_session().get(f"{systems.shop_api}/products/{gone}")
    assert response.status_code == 200 and response.json()["active"] is False  # never deleted in the shop
    assert str(shop_deleted) not in linked(project) and str(shop_deleted) in linked(project, closed=True)
    assert so_product(systems, shop_deleted)["InAssortment"] is True  # nothing is deleted in SuperOffice


def test_a_price_that_is_no_usable_number_is_a_dead_letter_and_the_rest_completes(
    systems: Systems, project: Project
) -> None:
    project.sync()
    bad, good = in_assortment(systems)[:2]
    before = shop_product(systems, project, bad)
    systems.superoffice.products.set_raw(bad, UnitListPrice=DECIMAL_MIN_VALUE)  # .NET's "no value", as a double
    edit_so_product(systems, good, Name="Still synced")
    result = flow_result(project.sync())
    assert shop_product(systems, project, good)["name"] == "Still synced"
    after = shop_product(systems, project, bad)
    assert after["price"] == before["price"] and after["active"] is True  # untouched, not deactivated
    [letter] = project.dead_letters(FLOW)
    assert letter.a_id == str(bad) and letter.op == "skip"
    assert "UnitListPrice is not a usable number: -7.9228162514264" in letter.reason
    assert result.dead_letters == 1

    systems.superoffice.products.set_raw(bad, UnitListPrice=99.5)  # fixed at the source: the letter leaves
    project.sync()
    assert project.dead_letters(FLOW) == []
    assert Decimal(shop_product(systems, project, bad)["price"]) == Decimal("99.50")


def test_a_price_that_is_not_a_number_is_set_aside_by_the_pull_and_the_rest_completes(
    systems: Systems, project: Project
) -> None:
    project.sync()
    bad, good = in_assortment(systems)[:2]
    before = shop_product(systems, project, bad)
    systems.superoffice.products.set_raw(bad, UnitListPrice="12,50 kr")  # text where SuperOffice keeps a double
    edit_so_product(systems, good, Name="Still synced")
    project.sync()
    assert shop_product(systems, project, good)["name"] == "Still synced"
    assert shop_product(systems, project, bad) == before  # untouched, not deactivated
    [letter] = [d for d in project.dead_letters() if d.flow == "pull"]
    assert letter.target == "superoffice_product" and str(bad) in f"{letter.a_id} {letter.key}"


def test_a_shop_that_refuses_one_product_dead_letters_it_and_creates_the_others(systems: Systems, project: Project):
    nok = in_assortment(systems)
    systems.superoffice.products.set_raw(nok[0], Name="", Code="NEW-1")  # no name: the shop answers 422
    systems.superoffice.products.set_raw(nok[1], Code="NEW-2")
    result = flow_result(project.sync())
    [letter] = project.dead_letters(FLOW)
    assert letter.a_id == str(nok[0]) and letter.status == 422 and letter.op == "create"
    assert str(nok[1]) in linked(project) and result.creates == 2
    assert DEMO_API_KEY not in str(letter)


def test_a_price_list_the_tenant_lacks_is_a_clear_error_and_the_other_flows_run(systems: Systems, tmp_path: Path):
    with products_project(systems, tmp_path, 'price_list = "PL-USD"\n') as project:
        known = r"no price list 'PL-USD'; the tenant has: PL-NOK \(NOK\), PL-SEK \(SEK\)"
        with pytest.raises(ConfigError, match=known) as exc:
            project.sync()
        assert "(the other flows ran)" in str(exc.value)
        assert project.links("contact_customer").num_rows > 0


class RefusingPriceList:
    """ASGI middleware in front of SuperOffice answering 503 to every read of one price list while ``on``: a read
    that faults cut short after its retries, as the campaign's fault mixes do now and then."""

    def __init__(self, app: Any, price_list_id: int) -> None:
        self.app, self.path, self.on = app, f"/api/v1/Pricelist/{price_list_id}", False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self.on and scope["type"] == "http" and scope["method"] == "GET" and scope["path"].endswith(self.path):
            await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


@pytest.fixture
def refusing() -> Iterator[tuple[Systems, RefusingPriceList]]:
    so = SuperOfficeSimulator(contacts=30, seed=5, auth="basic")
    shop = CustomwebshopSimulator(customers=8, seed=5)
    gate = RefusingPriceList(so.app, NOK)
    systems = Systems(so, shop, ServerThread(gate).start(), ServerThread(shop.app).start())
    yield systems, gate
    systems.stop()


def test_a_price_list_read_cut_short_by_faults_says_the_read_failed_and_changes_no_product(
    refusing: tuple[Systems, RefusingPriceList], tmp_path: Path
):
    """Not "no price list 'NOK'" (the operator would go and reconfigure a list that exists): the read failed, with
    its status, and the next run reads it again. The flow sends nothing meanwhile, the other flows run."""
    systems, gate = refusing
    before = shop_products(systems)
    gate.on = True
    with products_project(systems, tmp_path) as project:
        report = project.sync()
        failed = report.incomplete()  # what `sluice sync` raises after its report: one line, exit code 1
        assert isinstance(failed, PullFailed) and failed.dataset == "superoffice_pricelist"
        assert re.search(r"price list 'NOK'.*superoffice_pricelist.*record 1 \(HTTP 503\).*next run", str(failed))
        assert "no price list" not in str(failed) and report.skipped_flows == [FLOW]
        assert project.links("contact_customer").num_rows > 0  # the other flows ran
        assert shop_products(systems) == before and not project.store.exists(f"link_{FLOW}")

        gate.on = False
        project.sync()
        pairs = linked(project)
        assert set(pairs) == {str(i) for i in in_assortment(systems)}

        gate.on = True  # a full run now: the list read fails again; no product may go because of it
        shop = shop_products(systems)
        project.sync(full=True)
        assert shop_products(systems) == shop and linked(project) == pairs
