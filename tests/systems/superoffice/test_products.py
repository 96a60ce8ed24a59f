"""Products and price lists through the client, against the simulator over HTTP: one price list's products
(full and incremental), the price list lookup, assortment, and the compare-and-set write-back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sluice.errors import ConfigError, NotFoundError, PreconditionFailed
from sluice.systems.superoffice import SuperOfficeClient
from sluice.systems.superoffice.products import in_price_list, moved_fields, same_value

from .conftest import Running, start


@pytest.fixture
def fresh() -> Iterator[Running]:
    """A simulator per test: seeded products are years old, so an incremental read sees only the test's edits."""
    yield from start(seed=5, contacts=20)


@pytest.fixture
def client(fresh: Running) -> Iterator[SuperOfficeClient]:
    so = fresh.client()
    yield so
    so.close()


def price_list_id(so: SuperOfficeClient, currency: str) -> int:
    return int(so.find_price_list(currency)["PriceListId"])


def test_price_lists_and_their_lookup(client: SuperOfficeClient) -> None:
    lists = client.price_lists()
    assert {p["Currency"] for p in lists} == {"NOK", "SEK", "DKK", "EUR"}
    assert all("_Links" not in p and "TableRight" not in p for p in lists)
    euro = client.find_price_list("EUR")
    assert client.find_price_list(euro["ERPPriceListKey"]) == euro == client.find_price_list(euro["PriceListId"])
    assert client.find_price_list(euro["Name"].upper()) == euro
    with pytest.raises(ConfigError, match=r"no price list 'PL-XXX'.*PL-NOK \(NOK\)"):
        client.find_price_list("PL-XXX")
    assert client.get_carrier("pricelist", 9999) is None
    assert sorted(p["PriceListId"] for p in client.read("pricelist")) == sorted(p["PriceListId"] for p in lists)


def test_a_price_lists_products_full_and_incremental(fresh: Running, client: SuperOfficeClient) -> None:
    nok, eur = price_list_id(client, "NOK"), price_list_id(client, "EUR")
    full = client.read_products(nok)
    records = list(full)
    assert sorted(r["ProductId"] for r in records) == fresh.sim.products.in_price_list(nok)
    assert {r["ERPPriceListKey"] for r in records} == {"PL-NOK"}
    assert client.ids(in_price_list(nok)) == {r["ProductId"] for r in records}  # a deletion scan, scoped
    mark = full.watermark
    mine, theirs = records[0]["ProductId"], fresh.sim.products.in_price_list(eur)[0]
    client.update("product", mine, {"UnitListPrice": 1300.0})
    client.update("product", theirs, {"UnitListPrice": 13.0})
    for dynamic in (True, False):
        client.dynamic_supported = None if dynamic else False
        changed = client.read_products(nok, since=mark)
        assert [(r["ProductId"], r["UnitListPrice"]) for r in changed] == [(mine, 1300.0)]
        assert changed.mode == ("dynamic" if dynamic else "date")


def test_every_product_without_a_price_list_scope(fresh: Running, client: SuperOfficeClient) -> None:
    assert len(list(client.read_products())) == fresh.sim.store.count("product")


def test_assortment_is_set_not_flipped(client: SuperOfficeClient) -> None:
    product = min(client.ids("product"))
    assert client.set_product_in_assortment(product, False)["InAssortment"] is False
    assert client.set_product_in_assortment(product, False)["InAssortment"] is False  # a repeat changes nothing
    assert client.get_carrier("product", product)["InAssortment"] is False
    client.quotes.toggle_product_in_assortment(product)
    assert client.get_carrier("product", product)["InAssortment"] is True
    with pytest.raises(NotFoundError):
        client.set_product_in_assortment(99999, True)


def test_assortment_converges_when_answers_are_lost(fresh: Running, client: SuperOfficeClient) -> None:
    """A dropped answer makes the client retry the toggle, which may flip it back; the state still ends right."""
    product = min(client.ids("product"))
    fresh.sim.faults.configure(drop_rate=0.5, methods=["POST"], seed=11)
    try:
        for wanted in (False, True, False, True, False):
            assert client.set_product_in_assortment(product, wanted)["InAssortment"] is wanted
    finally:
        fresh.sim.faults.reset()
    assert client.get_carrier("product", product)["InAssortment"] is False


def test_write_back_refuses_when_a_read_field_moved(client: SuperOfficeClient) -> None:
    product = min(client.ids("product"))
    read = client.get_carrier("product", product)
    expected = {"Name": read["Name"], "UnitListPrice": str(read["UnitListPrice"]).removesuffix(".0")}
    saved = client.update_product_if_unchanged(product, expected, {"Description": "from the shop"})
    assert saved["Description"] == "from the shop" and saved["UnitListPrice"] == read["UnitListPrice"]
    client.update("product", product, {"UnitListPrice": 999.0})  # someone edits it in SuperOffice
    with pytest.raises(PreconditionFailed, match=r"UnitListPrice"):
        client.update_product_if_unchanged(product, expected, {"UnitListPrice": 1.0, "Description": "late"})
    after = client.get_carrier("product", product)
    assert (after["UnitListPrice"], after["Description"]) == (999.0, "from the shop")
    with pytest.raises(NotFoundError):
        client.update_product_if_unchanged(99999, {}, {"Name": "x"})


def test_no_pretend_precondition_on_products(client: SuperOfficeClient) -> None:
    """Product writes declare no 412: asking for If-Unmodified-Since there is a mistake, not a silent no-op."""
    product = min(client.ids("product"))
    with pytest.raises(ValueError, match="no timestamps"):
        client.update("product", product, {"Name": "blind"}, unmodified_since=datetime.now(UTC))
    with pytest.raises(ValueError, match="no timestamps"):
        client.delete("product", product, unmodified_since=datetime.now(UTC))
    assert client.get_carrier("product", product)["Name"] != "blind"


def test_numbers_compare_as_numbers() -> None:
    assert same_value(2.0, "2") and same_value("1250.00", 1250) and same_value(None, None)
    assert not same_value("2", "2.01") and not same_value("", 0) and not same_value(True, 1)
    assert not same_value("NaN", 1.0) and same_value("NaN", "NaN")
    assert moved_fields({"A": 1.0, "B": "x"}, {"A": "1", "B": "y", "C": None}) == ["B"]
