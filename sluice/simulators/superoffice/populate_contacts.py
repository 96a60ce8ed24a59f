"""Seeded contact, person and sale rows, as ready-to-insert tuples with the carrier JSON pre-encoded.

Rule: the JSON text is assembled from fragments encoded once (``json.encoder``'s own ASCII string encoder for
every variable string, ``json.dumps`` for constant parts), so it parses to exactly what ``json.dumps`` of the
carrier dict would give, at a fraction of the cost; draws come from ``draws.py`` in a fixed order per seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from functools import cache
from json.encoder import encode_basestring_ascii as js  # type: ignore[attr-defined]
from typing import Any, NamedTuple

from sluice.simulators.superoffice import seed
from sluice.simulators.superoffice.draws import below, pick
from sluice.simulators.superoffice.stamps import iso_micro, iso_seconds, later, seconds

FIRST_NAMES = ("Ola", "Kari", "Lars", "Ingrid", "Erik", "Sofia", "Mikko", "Aino", "Jens", "Freja", "Nils", "Maja")
LAST_NAMES = ("Hansen", "Johansson", "Nielsen", "Virtanen", "Berg", "Lindqvist", "Jensen", "Korhonen", "Dahl")
STATUSES = ("Open", "Sold", "Lost", "Stalled")
PROBABILITY = {"Open": 50, "Sold": 100, "Lost": 0, "Stalled": 25}
HEADINGS = ("Rammeavtale", "Utvidelse", "Pilotprosjekt", "Årlig fornyelse", "Ny installasjon", "Oppgradering")
SALES_PER_CONTACT = (0, 1, 1, 2)

COUNTRIES = {c.iso2: c for c in seed.COUNTRIES}


def country_carrier(iso2: str) -> dict[str, Any]:
    c = COUNTRIES[iso2]
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


@cache
def _country_json(iso2: str) -> str:
    return json.dumps(country_carrier(iso2))


@cache
def _text(value: str) -> str:
    """A JSON string literal for a value from a small set (cities, departments, names): encoded once."""
    return js(value)


class Company(NamedTuple):
    """What persons and sales need of a seeded contact (plus its registration in epoch seconds)."""

    contact_id: int
    name: str
    domain: str
    country: str
    registered: int
    reference: str  # the JSON of a child's ``Contact`` reference, encoded once for all of them


def contact_rows(companies: Iterator[dict[str, Any]], into: list[Company]) -> Iterator[tuple[int, str, str, str]]:
    """(id, data, registered, updated) per company; each company is also appended to ``into`` for the children."""
    for c in companies:
        registered, name = c["registered"], js(c["name"])
        reference = f'{{"ContactId": {c["contact_id"]}, "Name": {name}}}'
        into.append(Company(c["contact_id"], c["name"], c["email"][5:], c["country"], seconds(registered), reference))
        yield c["contact_id"], _contact_json(c, name), f"{registered}.000000", f"{c['updated']}.000000"


def _contact_json(c: dict[str, Any], name: str) -> str:
    email, phone, url, street = js(c["email"]), c["phone"], js(c["url"]), js(c["street"])
    city, zipcode = _text(c["city"]), _text(c["zipcode"])
    formatted = f"{c['street']}, {c['zipcode']} {c['city']}"
    address = f'"Address1": {street}, "City": {city}, "Zipcode": {zipcode}}}'
    return (
        f'{{"Name": {name}, "Department": {_text(c["department"])}, "OrgNr": {js(c["org_nr"])}, '
        f'"Emails": [{{"Value": {email}, "StrippedValue": {email}, "Description": ""}}], '
        f'"Phones": [{{"Value": {js(phone)}, "StrippedValue": {js(phone.replace(" ", ""))}, "Description": ""}}], '
        f'"Urls": [{{"Value": {url}, "StrippedValue": {url}, "Description": ""}}], '
        f'"Country": {_country_json(c["country"])}, '
        f'"Category": {{"Id": {c["category_id"]}, "Value": {_text(c["category"])}}}, '
        f'"Business": {{"Id": {c["business_id"]}, "Value": {_text(c["business"])}}}, '
        f'"Address": {{"Postal": {{"AtypeIdx": "ContactPostalAddress", {address}, '
        f'"Street": {{"AtypeIdx": "ContactStreetAddress", {address}, '
        f'"Formatted": {js(formatted)}}}}}'
    )


class Person(NamedTuple):
    """A contact's first person: the sale's Person reference."""

    person_id: int
    full_name: str


@cache
def _person_names(first: str, last: str) -> tuple[str, str]:
    """(JSON fragment of the name fields, e-mail local part) for one first/last pair."""
    names = json.dumps({"Firstname": first, "Lastname": last, "FullName": f"{first} {last}"})[1:-1]
    return names, f"{seed.slug(first)}.{seed.slug(last)}"


def person_rows(
    companies: list[Company], rng: random.Random, first_person: dict[int, Person]
) -> Iterator[tuple[int, str, str, str, int]]:
    """(id, data, registered, updated, contact_id): 1-2 persons per contact, updated after the contact's birth.

    Each contact's first person is recorded in ``first_person`` (the sales reference it).
    """
    bits, uniform = rng.getrandbits, rng.random
    person_id = 0
    for company in companies:
        contact = f'"Contact": {company.reference}, '
        country = _country_json(company.country)
        registered = iso_micro(company.registered)
        for index in range(1 + (uniform() < 0.5)):
            person_id += 1
            first, last = pick(bits, FIRST_NAMES), pick(bits, LAST_NAMES)
            if index == 0:
                first_person[company.contact_id] = Person(person_id, f"{first} {last}")
            names, local = _person_names(first, last)
            email = js(f"{local}@{company.domain}")
            data = (
                f'{{"PersonId": {person_id}, {names}, '
                f'"Emails": [{{"Value": {email}, "StrippedValue": {email}, "Description": ""}}], '
                f'{contact}"Country": {country}}}'
            )
            updated = iso_micro(later(bits, company.registered))
            yield person_id, data, registered, updated, company.contact_id


SaleStub = tuple[int, str, str, str]
"""What a sale's quote tree needs of it: (sale id, status, currency, updated text)."""


def sale_rows(
    companies: list[Company], first_person: dict[int, Person], rng: random.Random, stubs: list[SaleStub]
) -> Iterator[tuple[int, str, str, str, int, int]]:
    """(id, data, registered, updated, contact_id, person_id): 0-2 sales per contact; ids 1-4 cover each status.

    Each sale's stub is appended to ``stubs`` for the quote trees.
    """
    bits = rng.getrandbits
    sale_id = 0
    for company in companies:
        for _ in range(pick(bits, SALES_PER_CONTACT)):
            sale_id += 1
            person = first_person[company.contact_id]  # every contact has at least one person
            registered = later(bits, company.registered)
            status = STATUSES[sale_id % 4] if sale_id <= 4 else pick(bits, STATUSES)
            heading = f"{pick(bits, HEADINGS)} {company.name.split(' ')[0]}"
            amount = float((5 + below(bits, 495)) * 1000)
            updated = iso_micro(later(bits, registered))
            info = COUNTRIES[company.country]
            data = (
                f'{{"SaleId": {sale_id}, "Heading": {js(heading)}, "Amount": {amount!r}, '
                f'"Probability": {PROBABILITY[status]}, "Status": "{status}", '
                f'"Saledate": "{iso_seconds(registered)}", '
                f'"Currency": {{"Id": {info.currency_id}, "Value": "{info.currency}"}}, '
                f'"Contact": {company.reference}, '
                f'"Person": {{"PersonId": {person.person_id}, "FullName": {js(person.full_name)}}}}}'
            )
            stubs.append((sale_id, status, info.currency, updated))
            yield sale_id, data, iso_micro(registered), updated, company.contact_id, person.person_id
