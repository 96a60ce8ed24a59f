"""Products in the shop over real HTTP: decimals compared as numbers, sku unique, ``active``, and the seeds."""

from __future__ import annotations

import requests

from sluice.simulators.customwebshop import CustomwebshopSimulator
from sluice.simulators.superoffice import seed as superoffice_seed


def url(api: requests.Session, path: str) -> str:
    return f"{api.base}/{path}"  # type: ignore[attr-defined]


def stored(sim: CustomwebshopSimulator, resource: str = "products") -> list[dict]:
    """What the shop holds, in feed order (straight from its store)."""
    with sim.store.transaction():
        rows = sim.store.feed(resource, after=None, since=None, include_deleted=False, external_ref=None, limit=10**6)
    return [row.data for row in rows]


def new_product(api: requests.Session, **fields: object) -> dict:
    body = {
        "sku": "HOUR",
        "name": "Konsulenttime",
        "price": "1250.0",
        "vat_rate": "25",
        "stock_quantity": "3",
        **fields,
    }
    response = api.post(url(api, "products"), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_formatting_only_change_is_no_change(api: requests.Session) -> None:
    product = new_product(api)
    path = url(api, f"products/{product['id']}")
    for same in ({"price": "1250"}, {"price": "1250.00", "vat_rate": "25.000"}, {"stock_quantity": "3.0"}):
        answer = api.patch(path, json=same)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["version"], answer.json()["updated_at"]) == (product["version"], product["updated_at"])
        assert answer.json()["price"] == "1250.0"  # kept as first written
    feed = api.get(url(api, "products"), params={"updated_since": product["updated_at"]}).json()["data"]
    assert [p["version"] for p in feed] == [1]
    changed = api.patch(path, json={"price": "1250.01"})
    assert changed.json()["version"] == 2 and changed.json()["price"] == "1250.01"
    assert api.patch(path, json={"sku": "HOUR.0"}).json()["version"] == 3  # a sku is text, not a number


def test_a_formatting_only_change_of_an_order_line_is_no_change(api: requests.Session) -> None:
    product = new_product(api)
    customer = api.post(url(api, "customers"), json={"company_name": "Acme AS"}).json()
    lines = [{"product_id": product["id"], "quantity": "3", "unit_price": "10.5"}]
    order = api.post(url(api, "orders"), json={"customer_id": customer["id"], "lines": lines}).json()
    line = order["lines"][0]
    whole = {k: line[k] for k in ("id", "product_id", "sku", "name", "discount_percent", "vat_rate", "position")}
    same = {"lines": [{**whole, "quantity": "3.00", "unit_price": "10.50"}], "discount_percent": None}
    answer = api.patch(url(api, f"orders/{order['id']}"), json=same)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == order["version"] and answer.json()["lines"][0]["quantity"] == "3"


def test_prices_are_decimal_strings_and_sku_is_unique(api: requests.Session) -> None:
    product = new_product(api)
    assert api.post(url(api, "products"), json={"sku": "X", "name": "x", "price": 2.0}).status_code == 422
    clash = api.post(url(api, "products"), json={"sku": "HOUR", "name": "again"})
    assert clash.status_code == 409 and clash.json()["existing_id"] == product["id"]
    assert api.post(url(api, "products"), json={"sku": "hour", "name": "other case"}).status_code == 201
    off = api.patch(url(api, f"products/{product['id']}"), json={"active": False})
    assert off.json()["active"] is False and off.json()["version"] == 2


def test_seed_of_n_products_matches_some_superoffice_codes() -> None:
    sim = CustomwebshopSimulator(products=500, seed=3)
    try:
        rows = stored(sim)
        skus = [row["sku"] for row in rows]
        assert len(skus) == len(set(skus)) == 500
        codes = {line[1] for line in superoffice_seed.product_lines(500)}
        matching = [sku for sku in skus if sku in codes]
        assert 0.4 * 500 < len(matching) < 0.8 * 500
        assert all(sku.startswith("WEB-") for sku in skus if sku not in codes)
        assert stored(sim, "customers") == []
        by_sku = {row["sku"]: row for row in rows}
        nok = {p["code"]: p for p in superoffice_seed.products(500) if p["currency"] == "NOK"}
        some = matching[0]
        assert float(by_sku[some]["price"]) == nok[some]["unit_list_price"]
    finally:
        sim.close()
    again = CustomwebshopSimulator(products=500, seed=3)
    assert stored(again) == rows  # deterministic per seed
    again.close()


def test_default_seed_keeps_its_catalogue() -> None:
    sim = CustomwebshopSimulator(customers=4, seed=1)
    rows = stored(sim)
    assert {row["sku"] for row in rows} >= {"HOUR", "LIC-STD", "WEB-GIFT"} and len(rows) == 14
    sim.close()
