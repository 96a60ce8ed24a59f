"""Contact ↔ Customer as the campaign sees it: random values for every mapped field (unicode, clearing included)
and both systems' records read as mapped fields, independently of the pipes.

Rule: the views here are the campaign's own oracle, written from the mapping's documentation
(pipes/contact_customer/*.sql), not by calling the pipes, so a pipe bug cannot hide behind itself. Values
are exact: only an empty text counts as unset; stripping is left to the comparisons that mean it.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sluice.project import Project

_FLOW = Project.open(Path(__file__).resolve().parents[2]).flow("contact_customer")  # its declaration, as loaded
FIELDS = tuple(_FLOW.field_names)
TO_SHOP_ONLY = frozenset(f.name for f in _FLOW.fields if not f.to_a)
TWO_WAY = tuple(f for f in FIELDS if f not in TO_SHOP_ONLY)
LISTS = {"email": "Emails", "phone": "Phones", "website": "Urls"}
ADDRESS = {"line1": "Address1", "line2": "Address2", "postal_code": "Zipcode", "city": "City"}
ADDRESSES = {"billing_address": "Postal", "shipping_address": "Street"}
CATEGORIES = {"Customer": 1, "Prospect": 2, "Partner": 3}
COUNTRIES = {"NO": 578, "SE": 752, "DK": 208, "FI": 246, "DE": 276}

NAMES = (
    "Ærlig Øl & Bønne AS", "Škoda Šťastný s.r.o.", "Cafe\u0301 Noir SARL", "株式会社テスト", "شركة الاختبار",
    "Żółć Sp. z o.o.", "Fjord 🚀 Labs", "O'Brien & Søn", "Ελληνική ΑΕ", "Ünïcödé GmbH", "Plain Trading Ltd",
)  # fmt: skip
TEXTS = ("Salg", "Innkjøp", "Ring først 📞", "Økonomi/Regnskap", "北欧", '«sitat» "quoted"', "two\nlines", "a")
LINES1 = ("Storgata 1", "Kongens gate 12B", "Østre vei 3", "Rue de l'Église 5", "Ulica Łódzka 7")
LINES2 = ("Postboks 12", "c/o Ærlig", "3. etasje")
POSTCODES = ("0150", "111 20", "9008", "SE-411 01", "00-950")
CITIES = ("Oslo", "Tromsø", "Göteborg", "Århus", "Łódź", "Reykjavík")
PADDED = ("  Mellomrom AS  ", " Salg", "Oslo ")
"""Values with leading or trailing blanks: whitespace-only differences (issue #12, bug 6)."""


class Values:
    """Random values for the mapped fields; e-mails and organisation numbers are unique within a scenario, so
    two records never claim one another's match keys."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0

    def _text(self, pool: tuple[str, ...], padded: bool, clearable: bool = True) -> str | None:
        if clearable and self.rng.random() < 0.25:
            return None
        if padded and self.rng.random() < 0.15:
            return self.rng.choice(PADDED)
        return self.rng.choice(pool)

    def email(self) -> str:
        self.serial += 1
        local = self.rng.choice(("post", "ærlig", "info+soak", "o'brien", "kontakt"))
        return f"{local}{self.serial}@{self.rng.choice(('soak.example', 'bønne.example'))}"

    def value(self, name: str, padded: bool = False) -> Any:
        """A new value for a mapped field (shop vocabulary); None clears it. ``padded``: texts may carry blanks."""
        rng = self.rng
        if name == "company_name":
            return self._text(NAMES, padded, clearable=False)
        if name == "organization_number":
            return None if rng.random() < 0.25 else f"{rng.randrange(10**8, 10**9)}"
        if name in ("department", "note"):
            return self._text(TEXTS, padded)
        if name == "email":
            return None if rng.random() < 0.25 else self.email()
        if name == "phone":
            return None if rng.random() < 0.25 else f"+47 9{rng.randrange(10**6, 10**7)}"
        if name == "website":
            return (
                None
                if rng.random() < 0.25
                else f"https://{rng.choice(('bønne', 'soak', 'fjord'))}.example/s{rng.randrange(99)}"
            )
        if name.endswith(".country_code"):
            return rng.choice(sorted(COUNTRIES))
        if name == "customer_group":
            return None if rng.random() < 0.25 else rng.choice(sorted(CATEGORIES))
        if name == "accepts_marketing":
            return rng.random() < 0.5
        part = name.split(".")[1]
        pool = {"line1": LINES1, "line2": LINES2, "postal_code": POSTCODES, "city": CITIES}[part]
        return self._text(pool, padded)


def _text(value: Any) -> Any:
    return None if value == "" else value


def contact_fields(contact: dict[str, Any]) -> dict[str, Any]:
    """A SuperOffice ``ContactEntity`` as the mapped fields (shop vocabulary, flat), as documented by the pipe."""
    fields: dict[str, Any] = {
        "company_name": _text(contact.get("Name")),
        "organization_number": _text(contact.get("OrgNr")),
        "department": _text(contact.get("Department")),
        "customer_group": _text((contact.get("Category") or {}).get("Value")),
        "accepts_marketing": not bool(contact.get("NoMailing")),
        "note": _text(contact.get("Description")),
        "active": not contact.get("Deleted"),
        "external_refs.superoffice_contact_id": str(contact["ContactId"]),
    }
    for name, list_name in LISTS.items():
        fields[name] = _text(((contact.get(list_name) or [{}])[0]).get("Value"))
    country = _text((contact.get("Country") or {}).get("TwoLetterISOCountry"))
    for prefix, kind in ADDRESSES.items():
        address = (contact.get("Address") or {}).get(kind) or {}
        for part, key in ADDRESS.items():
            fields[f"{prefix}.{part}"] = _text(address.get(key))
        fields[f"{prefix}.country_code"] = country
    return fields


def customer_fields(customer: dict[str, Any]) -> dict[str, Any]:
    """A shop customer as the mapped fields (flat)."""
    out = {}
    for name in FIELDS:
        node: Any = customer
        for key in name.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        out[name] = _text(node)
    return out


def set_contact_field(contact: dict[str, Any], name: str, value: Any, rng: random.Random) -> None:
    """Edit one mapped field of a carrier as a SuperOffice user would. Lists: set the first element, remove it
    (clearing; a second element, if any, becomes the one mapped) or add another after it."""
    if name in LISTS:
        elements = list(contact.get(LISTS[name]) or [])
        if value is None:
            elements = elements[1:]
        elif elements and rng.random() < 0.3:
            elements.append({"Value": value, "StrippedValue": value, "Description": "extra"})
        elif elements:
            elements[0] = {**elements[0], "Value": value, "StrippedValue": value}
        else:
            elements = [{"Value": value, "StrippedValue": value, "Description": ""}]
        contact[LISTS[name]] = elements
        return
    simple = {"company_name": "Name", "organization_number": "OrgNr", "department": "Department", "note": "Description"}
    if name in simple:
        contact[simple[name]] = value or ""
    elif name == "customer_group":
        contact["Category"] = {"Id": CATEGORIES[value], "Value": value} if value else {"Id": 0}
    elif name == "accepts_marketing":
        contact["NoMailing"] = not value
    elif name.endswith(".country_code"):
        contact["Country"] = {"CountryId": COUNTRIES[value], "TwoLetterISOCountry": value}
    else:
        prefix, part = name.split(".")
        address = contact["Address"] = contact.get("Address") or {}
        lines = address[ADDRESSES[prefix]] = address.get(ADDRESSES[prefix]) or {}
        lines[ADDRESS[part]] = value or ""


def customer_patch(name: str, value: Any) -> dict[str, Any]:
    """A JSON merge patch setting one mapped field of a shop customer (None clears it)."""
    if "." in name:
        parent, leaf = name.split(".")
        return {parent: {leaf: value}}
    return {name: value}
