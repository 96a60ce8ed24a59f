"""Shop products through the client, over HTTP: ``Decimal`` bodies, formatting-only updates, sku clashes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice.errors import ConflictError
from sluice.systems.customwebshop import CustomwebshopClient, existing_id, wire


def test_decimal_values_go_out_as_decimal_strings(client: CustomwebshopClient) -> None:
    """A pipe's DECIMAL(18,6) columns arrive as ``Decimal``: sent as text, compared by the shop as numbers."""
    body = {"sku": "HOUR", "name": "Konsulenttime", "price": Decimal("1250.500000"), "vat_rate": Decimal("25")}
    created = client.create("products", body, idempotency_key="superoffice-product:1")
    assert (created["price"], created["vat_rate"]) == ("1250.500000", "25")
    same = client.update("products", created["id"], {"price": Decimal("1250.5"), "cost": None}, if_match=1)
    assert same["version"] == 1 and same["price"] == "1250.500000"
    moved = client.update("products", created["id"], {"price": Decimal("1E+3")})
    assert moved["version"] == 2 and moved["price"] == "1000"
    batch = client.batch("products", [{"id": created["id"], "stock_quantity": Decimal("0.5")}])
    assert batch[0].status == 200 and batch[0].record["stock_quantity"] == "0.5"


def test_a_non_number_is_refused_before_sending(client: CustomwebshopClient) -> None:
    with pytest.raises(ValueError, match="NaN"):
        client.create("products", {"sku": "BAD", "name": "x", "price": Decimal("NaN")})
    assert list(client.read("products")) == []
    assert wire({"a": [Decimal("2.0"), 1.5, "x"]}) == {"a": ["2.0", 1.5, "x"]}


def test_a_sku_clash_names_the_holder(client: CustomwebshopClient) -> None:
    first = client.create("products", {"sku": "LIC-STD", "name": "Lisens"})
    with pytest.raises(ConflictError) as caught:
        client.create("products", {"sku": "LIC-STD", "name": "Lisens again"})
    assert existing_id(caught.value) == first["id"]
    assert existing_id(ConflictError("no body")) is None
    off = client.update("products", first["id"], {"active": False}, if_match=first["version"])
    assert off["active"] is False and off["version"] == first["version"] + 1
