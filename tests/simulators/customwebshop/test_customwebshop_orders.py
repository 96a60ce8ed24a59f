"""Orders to the contract (customwebshop-api.md, Order), over real HTTP: a line named by id merges, a later
discount_percent is honoured, ``lines: []`` zeroes the totals, a status-only PATCH survives a deleted customer
or product, and a formatting-only change bumps no version. Answers validate against the shop's /openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import requests


def url(api: requests.Session, path: str) -> str:
    return f"{api.base}/{path}"  # type: ignore[attr-defined]


@pytest.fixture
def valid_order(api: requests.Session) -> Callable[[dict], dict]:
    """Checks a body against the published ``OrderRecord`` schema and returns it."""
    doc = api.get(url(api, "").removesuffix("/api/v1/") + "/openapi.json").json()
    validator = jsonschema.Draft202012Validator({**doc, "$ref": "#/components/schemas/OrderRecord"})

    def check(body: dict) -> dict:
        validator.validate(body)
        return body

    return check


def made(api: requests.Session, resource: str, body: dict) -> dict:
    response = api.post(url(api, resource), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def patched(api: requests.Session, order: dict, body: dict, status: int = 200) -> dict:
    response = api.patch(url(api, f"orders/{order['id']}"), json=body)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def order(api: requests.Session) -> dict:
    """An order of 2 x Widget (80.00, 25 % VAT, 10 % off) and 1 x Gadget (50.00), with line refs."""
    customer = made(api, "customers", {"company_name": "Orders AS"})
    widget = made(api, "products", {"sku": "W1", "name": "Widget", "price": "80.00", "vat_rate": "25"})
    gadget = made(api, "products", {"sku": "G1", "name": "Gadget", "price": "50.00", "vat_rate": "25"})
    lines = [
        {"product_id": widget["id"], "quantity": "2", "discount_percent": "10", "external_refs": {"so_line": "11"}},
        {"product_id": gadget["id"], "quantity": "1", "external_refs": {"so_line": "12"}},
    ]
    return made(api, "orders", {"customer_id": customer["id"], "order_number": "N-1", "lines": lines})


def test_a_line_named_by_id_keeps_what_the_element_leaves_out(
    api: requests.Session, order: dict, valid_order: Callable
) -> None:
    first, second = order["lines"]
    body = {"lines": [{"id": first["id"], "quantity": "3", "external_refs": {"shop": "a"}}, {"id": second["id"]}]}
    updated = valid_order(patched(api, order, body))
    line = updated["lines"][0]
    kept = ("product_id", "sku", "name", "unit_price", "discount_percent", "vat_rate", "position")
    assert {k: line[k] for k in kept} == {k: first[k] for k in kept}
    assert line["quantity"] == "3" and line["line_total"] == "216.00"  # 3 x 80.00 x 0.9
    assert line["external_refs"] == {"so_line": "11", "shop": "a"}
    assert updated["lines"][1] == second
    clear = {"id": first["id"], "discount_percent": None, "external_refs": {"so_line": None}}
    cleared = patched(api, order, {"lines": [clear]})["lines"]
    assert [(x["id"], x["line_total"], x["external_refs"]) for x in cleared] == [(first["id"], "240.00", {"shop": "a"})]


def test_a_line_given_another_product_takes_that_products_defaults(api: requests.Session, order: dict) -> None:
    other = made(api, "products", {"sku": "O1", "name": "Other", "price": "10.00", "vat_rate": "15"})
    first = order["lines"][0]
    line = patched(api, order, {"lines": [{"id": first["id"], "product_id": other["id"]}]})["lines"][0]
    assert (line["sku"], line["name"], line["unit_price"], line["vat_rate"]) == ("O1", "Other", "10.00", "15")
    assert (line["quantity"], line["discount_percent"], line["line_total"]) == ("2", "10", "18.00")


def test_a_later_discount_percent_wins_over_the_stored_amount(api: requests.Session, order: dict) -> None:
    assert order["subtotal"] == "194.00"  # 144.00 + 50.00
    ten = patched(api, order, {"discount_percent": "10"})
    assert (ten["discount_amount"], ten["total"]) == ("19.40", "223.10")  # 194.00 - 19.40 + 48.50
    half = patched(api, order, {"discount_percent": "50"})
    assert (half["discount_amount"], half["total"]) == ("97.00", "145.50")
    amount = patched(api, order, {"discount_amount": "5.00"})
    assert (amount["discount_amount"], amount["total"]) == ("5.00", "237.50")
    kept = [{"id": line["id"]} for line in amount["lines"]]
    more = patched(api, order, {"lines": [*kept, {"sku": "X", "quantity": "1", "unit_price": "6.00"}]})
    assert (more["subtotal"], more["discount_amount"]) == ("200.00", "5.00")  # the amount was sent last
    again = patched(api, order, {"discount_percent": "50"})
    assert (again["discount_amount"], again["total"]) == ("100.00", "148.50")


def test_removing_every_line_zeroes_the_totals(api: requests.Session, order: dict, valid_order: Callable) -> None:
    patched(api, order, {"discount_percent": "10"})
    empty = valid_order(patched(api, order, {"lines": []}))
    assert empty["lines"] == []
    assert [empty[k] for k in ("subtotal", "discount_amount", "vat_amount", "total")] == ["0.00"] * 4
    given = patched(api, order, {"total": "99.00"})
    assert given["total"] == "99.00"  # no lines any more: figures as given
    other = made(api, "orders", {"customer_id": order["customer_id"], "lines": [{"sku": "A", "quantity": "1",
                                                                              "unit_price": "1"}]})  # fmt: skip
    kept = patched(api, other, {"lines": [], "total": "12.00"})
    assert (kept["subtotal"], kept["total"]) == ("0.00", "12.00")


def test_a_status_patch_survives_a_deleted_customer_and_product(api: requests.Session, order: dict) -> None:
    assert api.delete(url(api, f"customers/{order['customer_id']}")).status_code == 204
    assert api.delete(url(api, f"products/{order['lines'][0]['product_id']}")).status_code == 204
    assert patched(api, order, {"status": "confirmed"})["status"] == "confirmed"
    first = order["lines"][0]
    line = patched(api, order, {"lines": [{"id": first["id"], "quantity": "1"}]})["lines"][0]
    assert (line["product_id"], line["line_total"]) == (first["product_id"], "72.00")
    refused = patched(api, order, {"lines": [{"product_id": first["product_id"], "quantity": "1"}]}, status=422)
    assert refused["errors"][0]["field"] == "lines.0.product_id"
    customer = made(api, "customers", {"company_name": "Alive AS"})
    assert patched(api, order, {"customer_id": customer["id"]})["customer_id"] == customer["id"]
    gone = patched(api, order, {"customer_id": order["customer_id"]}, status=422)
    assert gone["errors"][0]["field"] == "customer_id"


@pytest.mark.parametrize(
    "same",
    [
        {"discount_percent": "10.0"},
        {"status": "pending", "total": "1"},
        "lines",
    ],
    ids=["order decimal", "computed total ignored", "line decimals"],
)
def test_a_formatting_only_change_bumps_no_version(api: requests.Session, order: dict, same: Any) -> None:
    base = patched(api, order, {"discount_percent": "10"})
    if same == "lines":
        same = {"lines": [{"id": x["id"], "quantity": x["quantity"] + ".00", "unit_price": x["unit_price"] + "0"}
                          for x in base["lines"]]}  # fmt: skip
    again = patched(api, order, same)
    assert (again["version"], again["updated_at"]) == (base["version"], base["updated_at"])
    assert again == base
