"""What the end-to-end sync tests look at: both systems' data as a user sees it, and the links.

Rule: read-only views over real HTTP (and the project's link dataset), stripped of what legitimately
differs between two runs of the same story (ids, timestamps, versions), so two runs can be compared.
"""

from __future__ import annotations

from typing import Any

from sluice.project import Project
from sluice.sync.engine import load_side
from sluice.sync.merge import same
from tests.e2e.conftest import Systems

SHOP_VOLATILE = {"id", "version", "created_at", "updated_at", "deleted_at"}


def _first(elements: list[dict[str, Any]] | None) -> str | None:
    return (elements or [{}])[0].get("Value") or None


def contact_view(contact: dict[str, Any]) -> dict[str, Any]:
    """The SuperOffice fields the Contact ↔ Customer flow maps, as plain values."""
    address = contact.get("Address") or {}
    postal, street = address.get("Postal") or {}, address.get("Street") or {}
    return {
        "Name": contact.get("Name"),
        "OrgNr": contact.get("OrgNr"),
        "Department": contact.get("Department"),
        "Description": contact.get("Description"),
        "Email": _first(contact.get("Emails")),
        "Phone": _first(contact.get("Phones")),
        "Url": _first(contact.get("Urls")),
        "Postal": tuple(postal.get(k) for k in ("Address1", "Address2", "Zipcode", "City")),
        "Street": tuple(street.get(k) for k in ("Address1", "Address2", "Zipcode", "City")),
        "Country": (contact.get("Country") or {}).get("TwoLetterISOCountry"),
        "Category": (contact.get("Category") or {}).get("Value"),
        "NoMailing": contact.get("NoMailing"),
        "Deleted": contact.get("Deleted"),
    }


def superoffice_snapshot(systems: Systems, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Every given contact (deleted ones too: a GET still answers), keyed by ContactId."""
    return {i: contact_view(systems.contact(i)) for i in ids}


def shop_snapshot(systems: Systems) -> dict[str, dict[str, Any]]:
    """Every customer (deleted ones too), keyed by its SuperOffice reference, or its e-mail when it has none.

    Ids and timestamps are dropped: two runs of one story may number their creates differently."""
    out: dict[str, dict[str, Any]] = {}
    for customer in systems.customers(include_deleted=True):
        ref = (customer.get("external_refs") or {}).get("superoffice_contact_id")
        key = f"contact:{ref}" if ref else f"unlinked:{customer.get('email')}:{customer.get('company_name')}"
        assert key not in out, f"two shop customers for {key}"
        out[key] = {k: v for k, v in customer.items() if k not in SHOP_VOLATILE}
    return out


def linked_pairs(project: Project, closed: bool = False) -> dict[str, str]:
    rows = project.links("contact_customer").to_pylist()
    return {row["a_id"]: row["b_id"] for row in rows if closed or row["status"] == "active"}


def differences(project: Project) -> list[tuple[str, str, object, object]]:
    """Mapped fields that differ between actively linked pairs, read fresh from both systems."""
    for dataset in ("superoffice_contact", "customwebshop_customer"):
        project.pull(dataset, full=True, force=True)
    project.run_pipes()
    flow = project.flow("contact_customer")
    a = load_side(project.store, flow.a_dataset)
    b = load_side(project.store, flow.b_dataset)
    out = []
    for a_id, b_id in linked_pairs(project).items():
        if a_id not in a or b_id not in b:
            out.append((a_id, "<record>", a_id in a, b_id in b))
            continue
        for name in flow.field_names:
            if not same(a[a_id].fields.get(name), b[b_id].fields.get(name)):
                out.append((a_id, name, a[a_id].fields.get(name), b[b_id].fields.get(name)))
    return out


def customers_per_contact(systems: Systems) -> dict[str, int]:
    """How many live shop customers carry each SuperOffice reference (a duplicate shows as 2+)."""
    counts: dict[str, int] = {}
    for customer in systems.customers():
        ref = (customer.get("external_refs") or {}).get("superoffice_contact_id")
        if ref:
            counts[ref] = counts.get(ref, 0) + 1
    return counts
