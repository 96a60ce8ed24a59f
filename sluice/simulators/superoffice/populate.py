"""Fill an empty store with the seeded tenant: price lists, products, contacts, persons, sales and quote trees.

Rule: bulk only. Rows are built as compact sparse carriers (``carriers.complete`` fills the rest when read)
and written with one ``executemany`` per table, so 100,000 contacts take seconds, not minutes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sluice.simulators.superoffice import seed
from sluice.simulators.superoffice.quote_math import alternative_totals, line_totals
from sluice.simulators.superoffice.store import Store

FIRST_NAMES = ("Ola", "Kari", "Lars", "Ingrid", "Erik", "Sofia", "Mikko", "Aino", "Jens", "Freja", "Nils", "Maja")
LAST_NAMES = ("Hansen", "Johansson", "Nielsen", "Virtanen", "Berg", "Lindqvist", "Jensen", "Korhonen", "Dahl")
STATUSES = ("Open", "Sold", "Lost", "Stalled")
HEADINGS = ("Rammeavtale", "Utvidelse", "Pilotprosjekt", "Årlig fornyelse", "Ny installasjon", "Oppgradering")
QUOTE_SHARE = 0.25
"""Share of sales that carry a quote (each with 1-2 versions, 1-2 alternatives, 1-3 lines)."""

_COUNTRIES = {c.iso2: c for c in seed.COUNTRIES}


def _iso(text: str) -> str:
    """seed's ``YYYY-MM-DDTHH:MM:SS`` -> the store's fixed-width microsecond text."""
    return f"{text}.000000"


def populate(store: Store, seed_value: int, contacts: int) -> None:
    """Seed ``store`` (assumed empty) deterministically for ``seed_value`` with ``contacts`` companies."""
    rng = random.Random(seed_value * 1_000_003 + 17)
    products = seed.products()
    _write_price_lists(store)
    _write_products(store, products)
    by_currency: dict[str, list[dict[str, Any]]] = {}
    for product in products:
        by_currency.setdefault(product["currency"], []).append(product)
    companies = list(seed.companies(seed_value, contacts))
    store.bulk_insert("contact", ("id", "data", "registered", "updated"), map(_contact_row, companies))
    persons = list(_persons(companies, rng))
    store.bulk_insert(
        "person",
        ("id", "data", "registered", "updated", "contact_id"),
        ((p["PersonId"], json.dumps(p), p["_reg"], p["_upd"], p["_contact_id"]) for p in persons),
    )
    first_person = {}
    for p in persons:
        first_person.setdefault(p["_contact_id"], p)
    sales = list(_sales(companies, first_person, rng))
    store.bulk_insert(
        "sale",
        ("id", "data", "registered", "updated", "contact_id", "person_id"),
        ((s["SaleId"], json.dumps(s), s["_reg"], s["_upd"], s["_contact_id"], s["_person_id"]) for s in sales),
    )
    _write_quotes(store, sales, by_currency, rng)


def _write_price_lists(store: Store) -> None:
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
        stamp = _iso(seed.ANCHOR.replace(year=2020).isoformat())
        rows.append((plist["price_list_id"], json.dumps(data), stamp, stamp))
    store.bulk_insert("pricelist", ("id", "data", "registered", "updated"), rows)


def _write_products(store: Store, products: list[dict[str, Any]]) -> None:
    stamp = _iso(seed.ANCHOR.replace(year=2021).isoformat())
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
        }
        rows.append((p["product_id"], json.dumps(data), stamp, stamp, p["price_list_id"], p["erp_product_key"]))
    store.bulk_insert("product", ("id", "data", "registered", "updated", "price_list_id", "erp_key"), rows)


def country_carrier(iso2: str) -> dict[str, Any]:
    c = _COUNTRIES[iso2]
    return {
        "CountryId": c.country_id,
        "Name": c.name,
        "EnglishName": c.name,
        "CurrencyId": c.currency_id,
        "TwoLetterISOCountry": c.iso2,
        "ThreeLetterISOCountry": c.iso3,
        "DialInPrefix": c.phone,
        "DomainName": c.tld,
    }


def _contact_row(company: dict[str, Any]) -> tuple[int, str, str, str]:
    city, zipcode, street = company["city"], company["zipcode"], company["street"]
    email, phone, url = company["email"], company["phone"], company["url"]
    data = {
        "Name": company["name"],
        "Department": company["department"],
        "OrgNr": company["org_nr"],
        "Emails": [{"Value": email, "StrippedValue": email, "Description": ""}],
        "Phones": [{"Value": phone, "StrippedValue": phone.replace(" ", ""), "Description": ""}],
        "Urls": [{"Value": url, "StrippedValue": url, "Description": ""}],
        "Country": country_carrier(company["country"]),
        "Category": {"Id": company["category_id"], "Value": company["category"]},
        "Business": {"Id": company["business_id"], "Value": company["business"]},
        "Address": {
            "Postal": {"AtypeIdx": "ContactPostalAddress", "Address1": street, "City": city, "Zipcode": zipcode},
            "Street": {"AtypeIdx": "ContactStreetAddress", "Address1": street, "City": city, "Zipcode": zipcode},
            "Formatted": f"{street}, {zipcode} {city}",
        },
    }
    return company["contact_id"], json.dumps(data), _iso(company["registered"]), _iso(company["updated"])


def _later(rng: random.Random, start: str) -> str:
    """A moment between ``start`` (store text) and the seed anchor; integer maths, no datetime per row."""
    begin = _seconds(start)
    moment = begin + rng.randrange(max(_ANCHOR_SECONDS - begin, 1))
    day, rest = divmod(moment, 86400)
    return f"{_day_text(day)}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}.000000"


_EPOCH = datetime(1970, 1, 1)
_ANCHOR_SECONDS = int((seed.ANCHOR - _EPOCH).total_seconds())


@cache
def _day_text(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")


@cache
def _day_number(text: str) -> int:
    return (datetime.fromisoformat(text) - _EPOCH).days


def _seconds(text: str) -> int:
    """Store text -> seconds since the epoch (the day part is cached; only the clock is parsed per row)."""
    return _day_number(text[:10]) * 86400 + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])


def _persons(companies: list[dict[str, Any]], rng: random.Random) -> Iterator[dict[str, Any]]:
    person_id = 0
    for company in companies:
        for _ in range(1 + (rng.random() < 0.5)):
            person_id += 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{seed.slug(first)}.{seed.slug(last)}@{company['email'].split('@')[1]}"
            registered = _iso(company["registered"])
            yield {
                "PersonId": person_id,
                "Firstname": first,
                "Lastname": last,
                "FullName": f"{first} {last}",
                "Emails": [{"Value": email, "StrippedValue": email, "Description": ""}],
                "Contact": {"ContactId": company["contact_id"], "Name": company["name"]},
                "Country": country_carrier(company["country"]),
                "_reg": registered,
                "_upd": _later(rng, registered),
                "_contact_id": company["contact_id"],
            }


def _sales(
    companies: list[dict[str, Any]], first_person: dict[int, dict[str, Any]], rng: random.Random
) -> Iterator[dict[str, Any]]:
    sale_id = 0
    for company in companies:
        for _ in range(rng.choice((0, 1, 1, 2))):
            sale_id += 1
            person = first_person.get(company["contact_id"])
            registered = _later(rng, _iso(company["registered"]))
            status = STATUSES[sale_id % 4] if sale_id <= 4 else rng.choice(STATUSES)
            currency = _COUNTRIES[company["country"]].currency
            yield {
                "SaleId": sale_id,
                "Heading": f"{rng.choice(HEADINGS)} {company['name'].split(' ')[0]}",
                "Amount": float(rng.randrange(5, 500) * 1000),
                "Probability": {"Open": 50, "Sold": 100, "Lost": 0, "Stalled": 25}[status],
                "Status": status,
                "Saledate": registered[:19],
                "Currency": {"Id": _COUNTRIES[company["country"]].currency_id, "Value": currency},
                "Contact": {"ContactId": company["contact_id"], "Name": company["name"]},
                "Person": {"PersonId": person["PersonId"], "FullName": person["FullName"]} if person else None,
                "_reg": registered,
                "_upd": _later(rng, registered),
                "_contact_id": company["contact_id"],
                "_person_id": person["PersonId"] if person else None,
                "_currency": currency,
            }


def _write_quotes(
    store: Store, sales: list[dict[str, Any]], by_currency: dict[str, list[dict[str, Any]]], rng: random.Random
) -> None:
    quotes, versions, alternatives, lines = [], [], [], []
    for sale in sales:
        if rng.random() >= QUOTE_SHARE:
            continue
        quote_id = len(quotes) + 1
        stamp = sale["_upd"]
        n_versions = rng.choice((1, 1, 2))
        for rank in range(1, n_versions + 1):
            version_id = len(versions) + 1
            alt_ids = []
            for alt_no in range(1, rng.choice((1, 2, 2)) + 1):
                alt_id = len(alternatives) + 1
                alt_ids.append(alt_id)
                alt_lines = []
                for line_rank in range(1, rng.randrange(1, 4) + 1):
                    product = rng.choice(by_currency[sale["_currency"]])
                    line = line_totals(_line_from_product(product, alt_id, line_rank, rng.randrange(1, 20)))
                    line["QuoteLineId"] = len(lines) + 1
                    alt_lines.append(line)
                    lines.append((line["QuoteLineId"], json.dumps(line), stamp, stamp, alt_id))
                alt = alternative_totals(
                    {"QuoteVersionId": version_id, "Name": f"Alternativ {alt_no}", "Status": "Ok"}, alt_lines
                )
                alternatives.append((alt_id, json.dumps(alt), stamp, stamp, version_id))
            state = "Sent" if rank < n_versions else ("Sold" if sale["Status"] == "Sold" else "Draft")
            version = {
                "QuoteId": quote_id,
                "Description": f"Versjon {rank}",
                "Number": f"{quote_id}-{rank}",
                "State": state,
                "Status": "Ok",
                "Rank": rank,
                "LikelyQuoteAlternativeId": alt_ids[0],
            }
            versions.append((version_id, json.dumps(version), stamp, stamp, quote_id))
        quote = {
            "SaleId": sale["SaleId"],
            "QuoteConnectionId": 1,
            "ActiveQuoteVersionId": len(versions),
            "UseValuesFromQuote": 1,
        }
        quotes.append((quote_id, json.dumps(quote), stamp, stamp, sale["SaleId"]))
    base = ("id", "data", "registered", "updated")
    store.bulk_insert("quote", (*base, "sale_id"), quotes)
    store.bulk_insert("quote_version", (*base, "quote_id"), versions)
    store.bulk_insert("quote_alternative", (*base, "version_id"), alternatives)
    store.bulk_insert("quote_line", (*base, "alternative_id"), lines)


def _line_from_product(product: dict[str, Any], alternative_id: int, rank: int, quantity: float) -> dict[str, Any]:
    """A quote line copying a product (as CreateQuoteLine does); totals are computed by the caller."""
    return {
        "QuoteAlternativeId": alternative_id,
        "ERPProductKey": product["erp_product_key"],
        "Status": "Ok",
        "Quantity": float(quantity),
        "Rank": rank,
        "Name": product["name"],
        "Code": product["code"],
        "QuantityUnit": product["unit"],
        "PriceUnit": product["currency"],
        "ItemNumber": product["code"],
        "VAT": product["vat"],
        "VATInfo": f"{product['vat']:g}%",
        "UnitCost": product["unit_cost"],
        "UnitMinimumPrice": product["unit_cost"],
        "UnitListPrice": product["unit_list_price"],
    }
