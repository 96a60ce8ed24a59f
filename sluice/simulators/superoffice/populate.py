"""Fill an empty store with the seeded tenant: price lists, products, contacts, persons, sales and quote trees.

Rule: bulk only. Rows are built as compact sparse carriers (``carriers.complete`` fills the rest when read),
with their JSON text pre-assembled (``populate_contacts``, ``populate_quotes``), and written in one bulk load
(one transaction, secondary indexes built once at the end), so 100,000 contacts take seconds, not minutes.
The same ``(seed, contacts)`` always gives the same rows.
"""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sluice.simulators.superoffice import seed
from sluice.simulators.superoffice.populate_contacts import (
    Company,
    Person,
    SaleStub,
    contact_rows,
    country_carrier,
    person_rows,
    sale_rows,
)
from sluice.simulators.superoffice.populate_quotes import QUOTE_SHARE, quote_rows
from sluice.simulators.superoffice.stamps import ANCHOR
from sluice.simulators.superoffice.store import Store

__all__ = ["QUOTE_SHARE", "country_carrier", "populate"]

BASE = ("id", "data", "registered", "updated")


def populate(store: Store, seed_value: int, contacts: int, products: int | None = None) -> None:
    """Seed ``store`` (assumed empty) deterministically for ``seed_value`` with ``contacts`` companies and
    ``products`` product codes in every price list (default: the ten of ``seed.PRODUCT_LINES``).

    Quote lines always draw from those first ten codes, so the quote trees do not depend on ``products``."""
    rng = random.Random(seed_value * 1_000_003 + 17)
    catalogue = seed.products(products or len(seed.PRODUCT_LINES))
    by_currency: dict[str, list[dict[str, Any]]] = {}
    for product in catalogue:
        quotable = by_currency.setdefault(product["currency"], [])
        if len(quotable) < len(seed.PRODUCT_LINES):
            quotable.append(product)
    companies: list[Company] = []
    first_person: dict[int, Person] = {}
    sales: list[SaleStub] = []
    with _collector_paused(), store.bulk_load() as load:
        load("pricelist", BASE, _price_list_rows())
        load("product", (*BASE, "price_list_id", "erp_key"), _product_rows(catalogue))
        load("contact", BASE, contact_rows(seed.companies(seed_value, contacts), companies))
        load("person", (*BASE, "contact_id"), person_rows(companies, rng, first_person))
        load("sale", (*BASE, "contact_id", "person_id"), sale_rows(companies, first_person, rng, sales))
        quotes = quote_rows(sales, by_currency, rng)
        load("quote", (*BASE, "sale_id"), quotes.quotes)
        load("quote_version", (*BASE, "quote_id"), quotes.versions)
        load("quote_alternative", (*BASE, "version_id"), quotes.alternatives)
        load("quote_line", (*BASE, "alternative_id"), quotes.lines)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic GC: the seed allocates millions of strings and tuples that hold no cycles, and the
    collector would keep rescanning the growing row lists for nothing (about a tenth of the seeding time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _stamp(year: int) -> str:
    return f"{ANCHOR.replace(year=year).isoformat()}.000000"


def _price_list_rows() -> list[tuple[int, str, str, str]]:
    stamp = _stamp(2020)
    rows = []
    for plist in seed.price_lists():
        data = {
            "ERPPriceListKey": f"PL-{plist['currency']}",
            "QuoteConnectionId": 1,
            "Name": plist["name"],
            "Description": f"Standard prices in {plist['currency']}",
            "Currency": plist["currency"],
            "CurrencyName": plist["currency"],
            "ValidFrom": "2020-01-01T00:00:00",
            "ValidTo": "2030-12-31T00:00:00",
            "IsActive": True,
        }
        rows.append((plist["price_list_id"], json.dumps(data), stamp, stamp))
    return rows


def _product_rows(products: list[dict[str, Any]]) -> list[tuple[int, str, str, str, int, str]]:
    stamp = _stamp(2021)
    rows = []
    for p in products:
        data = {
            "ERPProductKey": p["erp_product_key"],
            "ERPPriceListKey": f"PL-{p['currency']}",
            "Name": p["name"],
            "Description": f"{p['name']} ({p['currency']})",
            "Code": p["code"],
            "PriceUnit": p["currency"],
            "QuantityUnit": p["unit"],
            "ItemNumber": p["code"],
            "VAT": p["vat"],
            "VATInfo": f"{p['vat']:g}%",
            "UnitCost": p["unit_cost"],
            "UnitMinimumPrice": p["unit_cost"],
            "UnitListPrice": p["unit_list_price"],
            "InAssortment": True,
            "ProductCategoryKey": p["category"],
            "InStock": p["in_stock"],
            "Url": f"https://shop.example/p/{p['code'].lower()}",
        }
        rows.append((p["product_id"], json.dumps(data), stamp, stamp, p["price_list_id"], p["erp_product_key"]))
    return rows
