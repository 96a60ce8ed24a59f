"""Deterministic, realistic Nordic demo data: companies, price lists and products, as plain dicts.

Rule: pure functions of (seed, n): no clock, no I/O, no global random state. ``companies`` is a STABLE
INTERFACE: other simulators (the Customwebshop one) call it to reproduce the same companies for a seed, so
its keys and values for a given seed must not change without telling them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from sluice.simulators.superoffice.draws import below, pick, weighted
from sluice.simulators.superoffice.stamps import ANCHOR, ANCHOR_SECONDS, iso_seconds

__all__ = ["ANCHOR", "COUNTRIES", "companies", "price_lists", "product_lines", "products", "slug"]


@dataclass(frozen=True)
class CountryInfo:
    iso2: str
    iso3: str
    country_id: int
    name: str
    currency: str
    currency_id: int
    phone: str
    suffixes: tuple[str, ...]
    tld: str
    cities: tuple[tuple[str, str], ...]  # (city, zipcode)
    streets: tuple[str, ...]


COUNTRIES: tuple[CountryInfo, ...] = (
    CountryInfo(
        "NO",
        "NOR",
        578,
        "Norway",
        "NOK",
        1,
        "+47",
        ("AS", "ASA", "AS", "ANS"),
        "no",
        (("Oslo", "0150"), ("Bergen", "5003"), ("Trondheim", "7010"), ("Stavanger", "4006"), ("Tromsø", "9008")),
        ("Storgata", "Kongens gate", "Strandveien", "Bryggen", "Industriveien", "Fjordgata"),
    ),
    CountryInfo(
        "SE",
        "SWE",
        752,
        "Sweden",
        "SEK",
        2,
        "+46",
        ("AB", "AB", "HB", "AB (publ)"),
        "se",
        (("Stockholm", "111 20"), ("Göteborg", "411 04"), ("Malmö", "211 22"), ("Uppsala", "753 20")),
        ("Drottninggatan", "Storgatan", "Kungsgatan", "Hamngatan", "Industrivägen"),
    ),
    CountryInfo(
        "DK",
        "DNK",
        208,
        "Denmark",
        "DKK",
        3,
        "+45",
        ("A/S", "ApS", "A/S", "I/S"),
        "dk",
        (("København", "1050"), ("Aarhus", "8000"), ("Odense", "5000"), ("Aalborg", "9000")),
        ("Strøget", "Vesterbrogade", "Havnegade", "Nørregade", "Industrivej"),
    ),
    CountryInfo(
        "FI",
        "FIN",
        246,
        "Finland",
        "EUR",
        4,
        "+358",
        ("Oy", "Oyj", "Oy", "Ky"),
        "fi",
        (("Helsinki", "00100"), ("Espoo", "02100"), ("Tampere", "33100"), ("Turku", "20100")),
        ("Mannerheimintie", "Aleksanterinkatu", "Satamakatu", "Teollisuuskatu"),
    ),
)
COUNTRY_WEIGHTS = (0.4, 0.3, 0.15, 0.15)

PREFIXES = (
    "Nord", "Fjell", "Sol", "Havs", "Skog", "Vest", "Øst", "Is", "Berg", "Elv", "Lys", "Vind", "Stor", "Ny",
    "Gran", "Bjørk", "Furu", "Stjerne", "Kyst", "Dal", "Sjø", "Mål", "Lund", "Vik", "Holm", "Ask", "Eik", "Nes",
    "Strand", "Viken", "Aurora", "Polar", "Tinde", "Fonn", "Brei", "Rune", "Saga", "Frost", "Mjøs", "Lofot",
)  # fmt: skip
ROOTS = (
    "lys", "kraft", "tek", "data", "vekst", "form", "linje", "punkt", "bro", "verk", "stad", "port", "gruppen",
    "nett", "bygg", "logikk", "sense", "flyt", "kompass", "fabrikk", "hus", "gård", "kilde", "havn", "kjede",
    "torg", "partner", "plan", "system", "vision",
)  # fmt: skip
TRADES = (
    "Bygg", "Data", "Consulting", "Maskin", "Transport", "Elektro", "Rør", "Regnskap", "Marine", "Energi",
    "Handel", "Logistikk", "Design", "Media", "Eiendom", "Industri", "Helse", "Software", "Trading", "Invest",
    "Mekaniske", "Trelast", "Fisk", "Shipping", "Solutions", "Analytics", "Automasjon", "Sikkerhet", "Catering",
    "Tekstil", "Interiør", "Agentur", "Foods", "Bilsenter", "Verksted", "Kjøling", "Elektronikk", "Miljø",
    "Print", "Teknikk", "Montasje", "Installasjon", "Service", "Nordic", "Group", "Partners", "Holding",
    "Systems", "Labs", "Studio",
)  # fmt: skip
REGIONS = ("", "Vest", "Nord", "Sør", "Øst")
DEPARTMENTS = ("", "", "", "Salg", "Innkjøp", "Økonomi", "Hovedkontor", "Avd. Vest", "IT")
CATEGORIES = ((1, "Customer", "Customer"), (2, "Prospect", "PotentialCustomer"), (3, "Partner", "Partner"))
CATEGORY_WEIGHTS = (0.6, 0.3, 0.1)
BUSINESSES = ((1, "IT"), (2, "Industry"), (3, "Retail"), (4, "Shipping"), (5, "Finance"), (6, "Construction"))

_SLUG = str.maketrans({"ø": "o", "å": "a", "æ": "ae", "ö": "o", "ä": "a", " ": "-", "/": "", "(": "", ")": ""})
_NAME_SPACE = len(PREFIXES) * len(ROOTS) * len(TRADES) * len(REGIONS)


def slug(text: str) -> str:
    """A domain-safe lower-case form of a name part ("Bjørk Bygg" -> "bjork-bygg")."""
    return text.lower().translate(_SLUG)


def _name_parts(index: int) -> tuple[str, str, str]:
    """The index-th (prefix+root, trade, region) combination; distinct indexes give distinct names."""
    prefix = PREFIXES[index % len(PREFIXES)]
    index //= len(PREFIXES)
    root = ROOTS[index % len(ROOTS)]
    index //= len(ROOTS)
    trade = TRADES[index % len(TRADES)]
    index //= len(TRADES)
    region = REGIONS[index % len(REGIONS)]
    return prefix + root, trade, region


def _org_nr(iso2: str, contact_id: int, seed: int) -> str:
    """Unique per (country, id): a multiplicative scramble of the id, formatted as the country writes it."""
    digits = (contact_id * 104729 + seed * 7919) % 10**8
    if iso2 == "NO":
        return f"9{digits:08d}"
    if iso2 == "SE":
        return f"55{digits // 100:06d}-{digits % 10000:04d}"
    if iso2 == "DK":
        return f"{digits:08d}"
    return f"{digits % 10**7:07d}-{digits % 10}"


def companies(seed: int, n: int) -> Iterator[dict[str, Any]]:
    """The first ``n`` companies (contact ids 1..n) of seed ``seed``. Stable interface, see the module docstring.

    Keys: contact_id, name, org_nr, email, phone, url, department, country (ISO2), country_id, country_name,
    currency, city, zipcode, street, category_id, category, business_id, business, registered, updated
    (ISO ``YYYY-MM-DDTHH:MM:SS``, UTC, before ``ANCHOR``).

    The draws are ``random.Random``'s own (``choices``/``choice``/``randrange``, see ``draws.py``) in the
    original order, inlined because this loop seeds 100,000 contacts; timestamps use integer maths.
    """
    rng = random.Random(seed)
    stride = int(_NAME_SPACE * 0.6180339887) + seed % 1000  # golden-ratio step: neighbours share little
    while _gcd(stride, _NAME_SPACE) != 1:
        stride += 1
    offset = rng.randrange(_NAME_SPACE)
    bits, uniform = rng.getrandbits, rng.random
    for contact_id in range(1, n + 1):
        country = weighted(uniform, COUNTRIES, _COUNTRY_CUMULATIVE)
        city, zipcode = pick(bits, country.cities)
        core, trade, region = _name_parts((offset + contact_id * stride) % _NAME_SPACE)
        lap = (contact_id - 1) // _NAME_SPACE
        base = f"{core} {trade} {region}" if region else f"{core} {trade}"
        if lap:
            base = f"{base} {lap + 1}"
        name = f"{base} {pick(bits, country.suffixes)}"
        domain = f"{slug(base)}.{country.tld}"
        category = weighted(uniform, CATEGORIES, _CATEGORY_CUMULATIVE)
        business = pick(bits, BUSINESSES)
        age = below(bits, _REGISTRATION_SPAN)  # seconds before ANCHOR
        registered = ANCHOR_SECONDS - age
        updated = registered + below(bits, age + 1)
        yield {
            "contact_id": contact_id,
            "name": name,
            "org_nr": _org_nr(country.iso2, contact_id, seed),
            "email": f"post@{domain}",
            "phone": f"{country.phone} {20000000 + below(bits, 79999999)}",  # randrange(20000000, 99999999)
            "url": f"https://www.{domain}",
            "department": pick(bits, DEPARTMENTS),
            "country": country.iso2,
            "country_id": country.country_id,
            "country_name": country.name,
            "currency": country.currency,
            "city": city,
            "zipcode": zipcode,
            "street": f"{pick(bits, country.streets)} {1 + below(bits, 119)}",  # randrange(1, 120)
            "category_id": category[0],
            "category": category[1],
            "business_id": business[0],
            "business": business[1],
            "registered": iso_seconds(registered),
            "updated": iso_seconds(updated),
        }


_COUNTRY_CUMULATIVE = tuple(accumulate(COUNTRY_WEIGHTS))
_CATEGORY_CUMULATIVE = tuple(accumulate(CATEGORY_WEIGHTS))
_REGISTRATION_SPAN = 4 * 365 * 86400


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


PRODUCT_LINES = (
    ("Konsulenttime", "HOUR", "time", 1250.0, 25.0),
    ("Prosjektledelse", "PM", "time", 1450.0, 25.0),
    ("Lisens Standard", "LIC-STD", "stk", 4900.0, 25.0),
    ("Lisens Premium", "LIC-PRE", "stk", 9900.0, 25.0),
    ("Support årlig", "SUP-Y", "år", 12000.0, 25.0),
    ("Opplæring dag", "TRN-D", "dag", 8500.0, 25.0),
    ("Server rack", "HW-RACK", "stk", 23900.0, 25.0),
    ("Nettverkssvitsj", "HW-SW", "stk", 6400.0, 25.0),
    ("Frakt", "FRT", "stk", 450.0, 25.0),
    ("Matvarer kurv", "FOOD-B", "stk", 799.0, 15.0),
)
CATEGORY_BY_PREFIX = {
    "HOUR": "Tjenester", "PM": "Tjenester", "LIC": "Programvare", "SUP": "Programvare", "TRN": "Opplæring",
    "HW": "Maskinvare", "FRT": "Frakt", "FOOD": "Mat", "ART": "Utstyr",
}  # fmt: skip
ARTICLES = ("Kabel", "Adapter", "Lampe", "Bryter", "Sensor", "Pumpe", "Ventil", "Hylle", "Stol", "Verktøy")
VARIANTS = ("mini", "standard", "pro", "XL", "eco")
VAT_BY_COUNTRY = {"NOK": 25.0, "SEK": 25.0, "DKK": 25.0, "EUR": 25.5}
RATE_FROM_NOK = {"NOK": 1.0, "SEK": 1.0, "DKK": 0.65, "EUR": 0.087}


def price_lists() -> list[dict[str, Any]]:
    """One price list per Nordic currency (ids 1..4)."""
    return [
        {"price_list_id": c.currency_id, "name": f"Prisliste {c.currency}", "currency": c.currency, "iso2": c.iso2}
        for c in COUNTRIES
    ]


def product_lines(codes: int = len(PRODUCT_LINES)) -> list[tuple[str, str, str, float, float]]:
    """``codes`` catalogue lines (name, code, unit, NOK price, VAT): ``PRODUCT_LINES`` first, then generated
    articles ``ART-00011``... whose price is a fixed scramble of their number (same list on every call)."""
    lines = list(PRODUCT_LINES[:codes])
    for number in range(len(PRODUCT_LINES) + 1, codes + 1):
        name = f"{ARTICLES[number % len(ARTICLES)]} {VARIANTS[number // len(ARTICLES) % len(VARIANTS)]} {number}"
        lines.append((name, f"ART-{number:05d}", "stk", float(49 + number * 7919 % 9950), 25.0))
    return lines


def products(codes: int = len(PRODUCT_LINES)) -> list[dict[str, Any]]:
    """Every catalogue line in every price list; ``erp_product_key`` is unique (``{code}-{currency}``).

    Ids run price list by price list (all NOK products first). Hardware and articles have stock, services none.
    """
    rows = []
    catalogue = product_lines(codes)
    for plist in price_lists():
        currency = plist["currency"]
        for number, (name, code, unit, nok_price, vat) in enumerate(catalogue, start=1):
            vat = VAT_BY_COUNTRY[currency] if vat == 25.0 else vat
            price = round(nok_price * RATE_FROM_NOK[currency], 2)
            prefix = code.split("-")[0]
            rows.append(
                {
                    "product_id": len(rows) + 1,
                    "name": name,
                    "code": code,
                    "erp_product_key": f"{code}-{currency}",
                    "price_list_id": plist["price_list_id"],
                    "currency": currency,
                    "unit": unit,
                    "unit_list_price": price,
                    "unit_cost": round(price * 0.6, 2),
                    "vat": vat,
                    "category": CATEGORY_BY_PREFIX[prefix],
                    "in_stock": float(number * 37 % 200) if prefix in ("HW", "ART", "FOOD") else 0.0,
                }
            )
    return rows
