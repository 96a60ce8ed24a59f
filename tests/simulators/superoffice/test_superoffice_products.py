"""Products and price lists over real HTTP, as the real API has them: the ``Product`` archive's own column names,
``/Pricelist`` (list, get, its products), ``ToggleProductInAssortment``, no preconditions on Product, no timestamps."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from sluice.simulators.superoffice import SuperOfficeSimulator
from sluice.simulators.superoffice.products import DECIMAL_MIN_VALUE

DEFS = "SuperOffice.CRM.Services."
CARRIERS = "SuperOffice.WebApi.v1.Carriers."

SLIM = "SuperOffice.Services.WebApi.OData.ODataSlimResponse"
PRICE_LIST = CARRIERS + "QuoteCarriers.PriceListWithLinks"
PRODUCT_COLUMNS = (
    "inAssortment,productId,priceListId,erpProductKey,name,description,code,quantityUnit,priceUnit,"
    "subscriptionUnit,defaultSubscriptionQuantity,isSubscription,itemNumber,url,productCategoryKey,"
    "productFamilyKey,productTypeKey,vatInfo,vat,cost,minimumPrice,listPrice,thumbnail,updatedBy,updatedDate,"
    "registeredBy,registeredDate,extraField1,extraField5,extraInfo,supplier,supplierCode,priceList/priceListId,"
    "priceList/erpPriceListKey,priceList/name,priceList/description,priceList/quoteConnection,priceList/currency,"
    "priceList/validFrom,priceList/validTo,priceList/isERPCopy,priceList/isActive,priceList/updatedDate"
)
PAST = format_datetime(datetime.now(UTC) - timedelta(days=3650), usegmt=True)
FUTURE = format_datetime(datetime.now(UTC) + timedelta(days=3650), usegmt=True)


def post(api: str, method: str, body: object) -> requests.Response:
    return requests.post(f"{api}/Agents/Quote/{method}", json=body, timeout=10)


def rows(api: str, path: str, **params: object) -> list[dict]:
    answer = requests.get(f"{api}/{path}", params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["value"]


def test_product_list_has_the_archive_columns_of_the_real_api(api: str, validate) -> None:
    body = requests.get(f"{api}/Product", params={"$select": PRODUCT_COLUMNS, "$top": 3}, timeout=10).json()
    validate(body, SLIM)
    first = body["value"][0]
    assert first["EntityName"] == "productInAssortment"
    assert set(PRODUCT_COLUMNS.split(",")) <= set(first)
    carrier = requests.get(f"{api}/Product/{first['productId']}", timeout=10).json()
    assert (first["listPrice"], first["cost"], first["minimumPrice"], first["vat"]) == (
        carrier["UnitListPrice"],
        carrier["UnitCost"],
        carrier["UnitMinimumPrice"],
        carrier["VAT"],
    )
    price_list = requests.get(f"{api}/Pricelist/{first['priceListId']}", timeout=10).json()
    assert first["priceList/currency"] == price_list["Currency"] and first["inAssortment"] is True
    assert first["priceList/erpPriceListKey"] == carrier["ERPPriceListKey"] == price_list["ERPPriceListKey"]
    for invented in ("unitListPrice", "unitCost"):  # the simulator's old names are not the real API's
        assert requests.get(f"{api}/Product", params={"$select": invented}, timeout=10).status_code == 400


def test_product_carrier_has_no_timestamps(api: str, validate) -> None:
    carrier = requests.get(f"{api}/Product/1", timeout=10).json()
    validate(carrier, DEFS + "Product")
    assert not [name for name in carrier if "date" in name.lower() or name in ("Updated", "Registered")]
    assert "_Links" not in carrier


def test_price_lists_list_and_get_in_the_spec_shapes(api: str, validate) -> None:
    body = requests.get(f"{api}/Pricelist", params={"$select": "priceListId,name,currency,isActive"}, timeout=10)
    validate(body.json(), SLIM)
    listed = body.json()["value"]
    assert {row["currency"] for row in listed} >= {"NOK", "EUR"}
    assert all(row["EntityName"] == "pricelist" and row["isActive"] is True for row in listed)
    for row in listed:
        one = requests.get(f"{api}/Pricelist/{row['priceListId']}", timeout=10)
        assert one.status_code == 200
        validate(one.json(), PRICE_LIST)
        assert one.json()["PriceListId"] == row["priceListId"] and one.json()["Currency"] == row["currency"]
        assert one.json()["_Links"]["Self"].endswith(f"/api/v1/Pricelist/{row['priceListId']}")
    validate(requests.get(f"{api}/Pricelist/default", timeout=10).json(), PRICE_LIST)
    missing = requests.get(f"{api}/Pricelist/9999", timeout=10)
    assert missing.status_code == 404 and "9999" in missing.json()["ErrorMessage"]


def test_price_list_writes_validate_and_a_deleted_list_takes_its_products(api: str, validate) -> None:
    created = requests.post(f"{api}/Pricelist", json={"Name": "Kampanje", "Currency": "NOK"}, timeout=10)
    assert created.status_code == 200
    validate(created.json(), PRICE_LIST)
    list_id = created.json()["PriceListId"]
    key = f"PL-TEST-{list_id}"
    put = requests.put(f"{api}/Pricelist/{list_id}", json={**created.json(), "ERPPriceListKey": key}, timeout=10)
    validate(put.json(), PRICE_LIST)
    patched = requests.patch(f"{api}/Pricelist/{list_id}", json={"Description": "Sommer"}, timeout=10)
    assert patched.json()["Description"] == "Sommer" and patched.json()["ERPPriceListKey"] == key
    product = requests.post(f"{api}/Product", json={"Name": "Kampanjevare", "ERPPriceListKey": key}, timeout=10)
    product_id = product.json()["ProductId"]
    assert [r["productId"] for r in rows(api, f"Pricelist/{list_id}/Products")] == [product_id]
    assert requests.delete(f"{api}/Pricelist/{list_id}", timeout=10).status_code == 204
    assert requests.get(f"{api}/Product/{product_id}", timeout=10).status_code == 404


def test_price_list_products_are_only_its_own(api: str) -> None:
    euro = next(r for r in rows(api, "Pricelist", **{"$select": "priceListId,currency"}) if r["currency"] == "EUR")
    listed = rows(api, f"Pricelist/{euro['priceListId']}/Products", **{"$select": "productId,priceList/currency"})
    assert listed and {r["priceList/currency"] for r in listed} == {"EUR"}
    coded = rows(api, f"Pricelist/{euro['priceListId']}/Products", **{"$select": "code", "$filter": "code eq 'HOUR'"})
    assert [r["code"] for r in coded] == ["HOUR"]
    assert requests.get(f"{api}/Pricelist/9999/Products", timeout=10).status_code == 404


def test_toggle_product_in_assortment(api: str) -> None:
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    answer = post(api, "ToggleProductInAssortment", {"ProductId": 2})
    assert answer.status_code == 204 and not answer.content
    assert requests.get(f"{api}/Product/2", timeout=10).json()["InAssortment"] is False
    listed = rows(api, "Product", **{"$select": "productId,inAssortment", "$filter": "productId eq 2"})
    assert listed == [{"PrimaryKey": "2", "EntityName": "productInAssortment", "productId": 2, "inAssortment": False}]
    hidden = rows(api, "Product", **{"$select": "productId", "$filter": "inAssortment set 1"})
    assert 2 not in {r["productId"] for r in hidden} and 1 in {r["productId"] for r in hidden}
    changed = rows(
        api,
        "Archive/Dynamic",
        **{
            "$select": "product.product_id,product.inassortment",
            "$filter": f"product.updated afterTime '{before:%Y-%m-%dT%H:%M:%S}'",
        },
    )
    assert {r["product.product_id"]: r["product.inassortment"] for r in changed}.get(2) is False
    name = requests.get(f"{api}/Product/2", timeout=10).json()["Name"]
    assert 2 not in {p["ProductId"] for p in post(api, "FindProduct", {"UserInput": name}).json()}
    assert post(api, "ToggleProductInAssortment", {"ProductId": 2}).status_code == 204
    assert requests.get(f"{api}/Product/2", timeout=10).json()["InAssortment"] is True
    assert 2 in {p["ProductId"] for p in post(api, "FindProduct", {"UserInput": name}).json()}


def test_toggle_refuses_what_the_real_signature_does_not_take(api: str) -> None:
    by_query = requests.post(f"{api}/Agents/Quote/ToggleProductInAssortment", params={"productId": 1}, timeout=10)
    assert by_query.status_code == 400  # the id goes in the body: {"ProductId": int}
    assert post(api, "ToggleProductInAssortment", {"ProductId": "1"}).status_code == 400
    assert post(api, "ToggleProductInAssortment", {"ProductId": 99999}).status_code == 404


def test_product_put_and_delete_ignore_if_unmodified_since(api: str) -> None:
    """The spec declares no 412 on Product PUT/DELETE (and no 304 on its GET): the headers do nothing there."""
    product = requests.get(f"{api}/Product/3", timeout=10).json()
    put = requests.put(
        f"{api}/Product/3", json={**product, "Name": "Blind"}, headers={"If-Unmodified-Since": PAST}, timeout=10
    )
    assert put.status_code == 200 and put.json()["Name"] == "Blind"
    assert requests.get(f"{api}/Product/3", headers={"If-Modified-Since": FUTURE}, timeout=10).status_code == 200
    extra = requests.post(f"{api}/Product", json={"Name": "Gone", "ERPPriceListKey": "PL-NOK"}, timeout=10).json()
    gone = requests.delete(f"{api}/Product/{extra['ProductId']}", headers={"If-Unmodified-Since": PAST}, timeout=10)
    assert gone.status_code == 204
    contact = requests.get(f"{api}/Contact/1", timeout=10).json()
    stale = requests.put(f"{api}/Contact/1", json=contact, headers={"If-Unmodified-Since": PAST}, timeout=10)
    assert stale.status_code == 412  # where the spec declares it, it still holds


def test_raw_rows_for_bad_input(open_sim: tuple[SuperOfficeSimulator, str], api: str) -> None:
    sim, _ = open_sim
    sim.products.set_raw(4, UnitListPrice="NaN", UnitCost=DECIMAL_MIN_VALUE)
    carrier = requests.get(f"{api}/Product/4", timeout=10).json()
    assert (carrier["UnitListPrice"], carrier["UnitCost"]) == ("NaN", DECIMAL_MIN_VALUE)
    listed = rows(api, "Product", **{"$select": "listPrice,cost", "$filter": "productId eq 4"})
    assert (listed[0]["listPrice"], listed[0]["cost"]) == ("NaN", DECIMAL_MIN_VALUE)
    with pytest.raises(KeyError):
        sim.products.set_raw(99999, Name="x")


def test_seed_has_every_code_in_every_price_list(api: str) -> None:
    listed = rows(api, "Product", **{"$select": "code,erpProductKey,priceList/currency", "$top": 1000})
    by_list: dict[str, set[str]] = {}
    for row in listed:
        by_list.setdefault(row["priceList/currency"], set()).add(row["code"])
    assert set(by_list) == {"NOK", "SEK", "DKK", "EUR"}
    assert len({frozenset(codes) for codes in by_list.values()}) == 1 and len(by_list["NOK"]) == 10
    assert len({row["erpProductKey"] for row in listed}) == len(listed)


def test_seeding_ten_thousand_products_is_fast() -> None:
    started = time.perf_counter()
    sim = SuperOfficeSimulator(seed=1, contacts=10, products=10_000, auth="none")
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"seeding 40,000 product rows took {elapsed:.1f} s"
    assert sim.store.count("product") == 40_000
    nok = sim.products.in_price_list(1)
    assert len(nok) == 10_000
    codes = {row[0] for row in sim.store.query("SELECT json_extract(data, '$.Code') FROM product")}
    assert len(codes) == 10_000
    small = SuperOfficeSimulator(seed=1, contacts=10, auth="none")
    quote_lines = "SELECT data FROM quote_line ORDER BY id"
    assert [tuple(r) for r in sim.store.query(quote_lines)] == [
        tuple(r) for r in small.store.query(quote_lines)
    ]  # the quotes do not depend on it
