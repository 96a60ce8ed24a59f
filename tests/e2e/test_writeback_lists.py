"""Shop edits of a SuperOffice list field (phones, e-mails, URLs), end to end over real HTTP.

The shop has one phone, one e-mail and one website; SuperOffice keeps lists of them. The shop sees
the first element, an edit replaces exactly that element's value, a clear empties exactly that
element, and the other elements are never touched, moved or pushed into the shop.
"""

from __future__ import annotations

import pytest

from sluice.project import Project
from tests.e2e.conftest import Systems
from tests.e2e.observe import differences, linked_pairs

pytestmark = pytest.mark.slow

LISTS = {
    "Phones": ("phone", "+47 22 00 00 01", "+47 22 00 00 02", "+47 33 33 33 33"),
    "Emails": ("email", "post@first.example", "sales@second.example", "new@third.example"),
    "Urls": ("website", "https://first.example", "https://second.example", "https://third.example"),
}


def two_elements(systems: Systems, project: Project, contact_id: int, list_name: str) -> str:
    """Give the contact two elements in SuperOffice, sync, and return its shop customer's id."""
    _, first, second, _ = LISTS[list_name]
    project.sync()
    systems.edit_contact(
        contact_id,
        **{
            list_name: [
                {"Value": first, "StrippedValue": first, "Description": "Main"},
                {"Value": second, "StrippedValue": second, "Description": "Other"},
            ]
        },
    )
    project.sync()
    customer_id = linked_pairs(project)[str(contact_id)]
    assert systems.customer(customer_id)[LISTS[list_name][0]] == first  # the shop shows the first element
    return customer_id


def values(systems: Systems, contact_id: int, list_name: str) -> list[tuple[str, str]]:
    return [(e["Value"], e["Description"]) for e in systems.contact(contact_id)[list_name]]


@pytest.mark.parametrize("list_name", sorted(LISTS))
def test_a_clear_in_the_shop_empties_exactly_the_shown_element_and_stays_cleared(
    systems: Systems, project: Project, list_name: str
):
    field, _, second, _ = LISTS[list_name]
    customer_id = two_elements(systems, project, 7, list_name)

    systems.edit_customer(customer_id, **{field: None})
    project.sync()
    assert values(systems, 7, list_name) == [("", "Main"), (second, "Other")]  # the other one is untouched
    assert systems.customer(customer_id)[field] is None

    systems.reset_stats()
    project.sync()
    assert systems.writes() == (0, 0)  # the remaining element is not pushed into the shop: the clear holds
    assert systems.customer(customer_id)[field] is None
    assert differences(project) == []


@pytest.mark.parametrize("list_name", sorted(LISTS))
def test_an_edit_in_the_shop_replaces_exactly_the_shown_element(systems: Systems, project: Project, list_name: str):
    field, _, second, third = LISTS[list_name]
    customer_id = two_elements(systems, project, 8, list_name)

    systems.edit_customer(customer_id, **{field: third})
    project.sync()
    assert values(systems, 8, list_name) == [(third, "Main"), (second, "Other")]
    systems.reset_stats()
    project.sync()
    assert systems.writes() == (0, 0)
    assert differences(project) == []


def test_a_value_entered_after_a_clear_fills_the_emptied_element(systems: Systems, project: Project):
    field, _, second, third = LISTS["Phones"]
    customer_id = two_elements(systems, project, 9, "Phones")
    systems.edit_customer(customer_id, **{field: None})
    project.sync()

    systems.edit_customer(customer_id, **{field: third})
    project.sync()
    assert values(systems, 9, "Phones") == [(third, "Main"), (second, "Other")]
    assert systems.customer(customer_id)[field] == third


def test_clearing_the_only_element_leaves_an_empty_list(systems: Systems, project: Project):
    project.sync()
    systems.edit_contact(10, Phones=[{"Value": "+47 40 00 00 10", "StrippedValue": "4740000010", "Description": ""}])
    project.sync()
    customer_id = linked_pairs(project)["10"]
    systems.edit_customer(customer_id, phone=None)
    project.sync()
    assert systems.contact(10)["Phones"] == []
    assert differences(project) == []
