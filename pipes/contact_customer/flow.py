"""SuperOffice Contact ↔ Customwebshop Customer: the flow's declaration and how shop-side edits
are written back into a SuperOffice ``ContactEntity`` carrier.

Rule: the forward mapping (SuperOffice -> shop vocabulary) and the fields' directions live in the
SQL pipe beside this file (``superoffice.sql``); this module holds only what SQL cannot: match
keys and the inverse, as one small setter per field. ``tests/sync/test_writeback.py`` runs the
pipe over carriers these setters wrote, so the two can never drift into ping-pong.

E-mails, phones and URLs: the shop sees the first element of SuperOffice's list (see
``_first_element``); an edit replaces it, a clear empties it in place. Texts arrive here
already trimmed: the merge sends the trimmed text to a side that holds surrounding whitespace.

One-way fields (to the shop only): ``active`` (a deactivated shop customer never deletes a
SuperOffice contact), ``shipping_address.country_code`` (SuperOffice keeps one country per
contact; the billing country is the one written back) and the external reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sluice.datasets import DatasetStore
from sluice.errors import PermanentError
from sluice.sync.dataflow import Declaration, MatchKey, apply_setters
from sluice.sync.merge import is_empty

# SuperOffice CountryId is the ISO 3166-1 numeric code of the country.
COUNTRY_IDS = {
    "NO": 578, "SE": 752, "DK": 208, "FI": 246, "IS": 352, "DE": 276, "GB": 826, "US": 840, "NL": 528,
    "FR": 250, "ES": 724, "PL": 616, "EE": 233, "LV": 428, "LT": 440,
}  # fmt: skip

Setter = Callable[[dict[str, Any], Any, "Lookups"], None]


class Lookups:
    """Name -> id tables a write-back needs (categories), learned from the pulled contacts."""

    def __init__(self, categories: dict[str, int] | None = None) -> None:
        self.categories = categories or {}


def lookups(store: DatasetStore, settings: Mapping[str, Any]) -> Lookups:
    """The categories the pulled contacts use, by name (a shop customer_group names one)."""
    if not store.exists("superoffice_contact"):
        return Lookups()
    rows = store.current("superoffice_contact").query(
        "c", 'SELECT DISTINCT "Category"."Value" AS v, "Category"."Id" AS id FROM c WHERE "Category" IS NOT NULL'
    )
    return Lookups({v: int(i) for v, i in rows.fetchall() if v and i})


def _set(path: str) -> Setter:
    keys = path.split(".")

    def setter(carrier: dict[str, Any], value: Any, lookups: Lookups) -> None:
        node = carrier
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[keys[-1]] = "" if value is None else value

    return setter


def _first_element(list_name: str) -> Setter:
    """E-mails, phones and URLs are lists of ``{Value, StrippedValue, Description}`` in SuperOffice's
    order (rank); the shop has one, and it is always the **first element** (the pipe's ``[1]``).

    An edit replaces that element's value and keeps its description. A clear empties that element's
    value in place instead of removing it: the other numbers keep their ranks, so none of them
    moves up into the shop's field (which would undo the clear and re-fill it with a number the
    shop never showed). Empty elements at the end are dropped, so a single value clears to ``[]``.
    """

    def setter(carrier: dict[str, Any], value: Any, lookups: Lookups) -> None:
        elements = [dict(e) for e in carrier.get(list_name) or []]
        text = "" if is_empty(value) else str(value)
        if elements:
            elements[0].update({"Value": text, "StrippedValue": text})
        elif text:
            elements = [{"Value": text, "StrippedValue": text, "Description": ""}]
        while elements and is_empty(elements[-1].get("Value")):
            elements.pop()
        carrier[list_name] = elements

    return setter


def _country(carrier: dict[str, Any], value: Any, lookups: Lookups) -> None:
    """A clear leaves the contact without a country (id 0): ignoring it would let the next sync
    send the old country back to the shop, undoing the clear. The shipping country follows."""
    if is_empty(value):
        carrier["Country"] = {"CountryId": 0, "TwoLetterISOCountry": ""}
        return
    code = str(value).upper()
    if code not in COUNTRY_IDS:
        raise PermanentError(f"no SuperOffice country for country code {code!r}")
    carrier["Country"] = {"CountryId": COUNTRY_IDS[code], "TwoLetterISOCountry": code}


def _category(carrier: dict[str, Any], value: Any, lookups: Lookups) -> None:
    if is_empty(value):
        carrier["Category"] = {"Id": 0}
        return
    if value not in lookups.categories:
        raise PermanentError(f"no SuperOffice category named {value!r}")
    carrier["Category"] = {"Id": lookups.categories[value], "Value": value}


def _no_mailing(carrier: dict[str, Any], value: Any, lookups: Lookups) -> None:
    carrier["NoMailing"] = not bool(value)


SETTERS: dict[str, Setter] = {
    "company_name": _set("Name"),
    "organization_number": _set("OrgNr"),
    "department": _set("Department"),
    "email": _first_element("Emails"),
    "phone": _first_element("Phones"),
    "website": _first_element("Urls"),
    "billing_address.line1": _set("Address.Postal.Address1"),
    "billing_address.line2": _set("Address.Postal.Address2"),
    "billing_address.postal_code": _set("Address.Postal.Zipcode"),
    "billing_address.city": _set("Address.Postal.City"),
    "billing_address.country_code": _country,
    "shipping_address.line1": _set("Address.Street.Address1"),
    "shipping_address.line2": _set("Address.Street.Address2"),
    "shipping_address.postal_code": _set("Address.Street.Zipcode"),
    "shipping_address.city": _set("Address.Street.City"),
    "customer_group": _category,
    "accepts_marketing": _no_mailing,
    "note": _set("Description"),
}


def apply_to_contact(carrier: dict[str, Any], changes: dict[str, Any], lookups: Lookups) -> dict[str, Any]:
    """A copy of a ``ContactEntity`` carrier with the shop-side changes written into it."""
    return apply_setters(carrier, changes, SETTERS, lookups)


FLOW = Declaration(
    a="superoffice.contact",
    b="customwebshop.customers",
    match_keys=(MatchKey("email"), MatchKey("organization_number", casefold=False)),
    setters=SETTERS,
    write_back=apply_to_contact,
    lookups=lookups,
    deactivate_fields={"active": False},
    examples={"billing_address.country_code": "SE", "customer_group": "Customer"},
)
