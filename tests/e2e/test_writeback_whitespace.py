"""Surrounding whitespace, end to end over real HTTP: texts compare trimmed, and after one sync both
systems hold the trimmed text, whichever side typed the spaces; the sync after that sends nothing."""

from __future__ import annotations

import pytest

from sluice.project import Project
from tests.e2e.conftest import Systems
from tests.e2e.observe import contact_view, differences, linked_pairs

pytestmark = pytest.mark.slow


def padded(text: str) -> str:
    return f"  {text} \t"


def settle(systems: Systems, project: Project) -> None:
    """One more sync sends nothing, and every mapped field agrees."""
    systems.reset_stats()
    project.sync()
    assert systems.writes() == (0, 0)
    assert differences(project) == []


def test_the_issue_case_spaces_added_in_superoffice_are_trimmed_on_both_sides(systems: Systems, project: Project):
    project.sync()
    customer_id = linked_pairs(project)["11"]
    systems.edit_customer(customer_id, company_name="Mellomrom AS")
    project.sync()
    systems.edit_contact(11, Name="  Mellomrom AS  ")  # the meaning is the same, only the spaces differ

    project.sync()
    assert systems.contact(11)["Name"] == "Mellomrom AS"
    assert systems.customer(customer_id)["company_name"] == "Mellomrom AS"
    settle(systems, project)


def test_every_mapped_superoffice_text_is_trimmed_on_both_sides(systems: Systems, project: Project):
    project.sync()
    address = {
        "Address1": padded("Storgata 1"),
        "Address2": padded("2. etasje"),
        "Zipcode": padded("0155"),
        "City": padded("Oslo"),
    }
    systems.edit_contact(
        12,
        Name=padded("Mellomrom AS"),
        OrgNr=padded("998877665"),
        Department=padded("Salg"),
        Description=padded("Nøkkelkunde"),
        Emails=[{"Value": padded("post@mellomrom.example"), "StrippedValue": "", "Description": ""}],
        Phones=[{"Value": padded("+47 22 33 44 55"), "StrippedValue": "", "Description": ""}],
        Urls=[{"Value": padded("https://mellomrom.example"), "StrippedValue": "", "Description": ""}],
        Address={"Postal": address, "Street": {**address, "Address1": padded("Kaigata 2")}},
    )

    project.sync()
    view = contact_view(systems.contact(12))
    assert view["Name"] == "Mellomrom AS" and view["OrgNr"] == "998877665"
    assert (view["Department"], view["Description"]) == ("Salg", "Nøkkelkunde")
    assert view["Email"] == "post@mellomrom.example" and view["Phone"] == "+47 22 33 44 55"
    assert view["Url"] == "https://mellomrom.example"
    assert view["Postal"] == ("Storgata 1", "2. etasje", "0155", "Oslo")
    assert view["Street"] == ("Kaigata 2", "2. etasje", "0155", "Oslo")

    customer = systems.customer(linked_pairs(project)["12"])
    assert customer["company_name"] == "Mellomrom AS" and customer["organization_number"] == "998877665"
    assert (customer["department"], customer["note"]) == ("Salg", "Nøkkelkunde")
    assert customer["email"] == "post@mellomrom.example" and customer["phone"] == "+47 22 33 44 55"
    assert customer["website"] == "https://mellomrom.example"
    lines = {"line1": "Storgata 1", "line2": "2. etasje", "postal_code": "0155", "city": "Oslo"}
    assert {k: customer["billing_address"][k] for k in lines} == lines
    assert {k: customer["shipping_address"][k] for k in lines} == {**lines, "line1": "Kaigata 2"}
    settle(systems, project)


def test_every_shop_text_typed_with_spaces_reaches_superoffice_trimmed(systems: Systems, project: Project):
    project.sync()
    customer_id = linked_pairs(project)["13"]
    address = {"line1": padded("Bryggen 3"), "line2": padded("Bakgården"), "postal_code": padded("5003")}
    systems.edit_customer(
        customer_id,
        company_name=padded("Butikken AS"),
        organization_number=padded("912000333"),
        department=padded("Nettbutikk"),
        phone=padded("+47 55 00 00 13"),
        note=padded("Ringer før levering"),
        customer_group=padded("Partner"),
        billing_address={**address, "city": padded("Bergen")},
        shipping_address={**address, "city": padded("Åsane")},
    )

    project.sync()
    view = contact_view(systems.contact(13))
    assert (view["Name"], view["OrgNr"], view["Department"]) == ("Butikken AS", "912000333", "Nettbutikk")
    assert (view["Phone"], view["Category"]) == ("+47 55 00 00 13", "Partner")
    assert view["Description"] == "Ringer før levering"
    assert view["Postal"] == ("Bryggen 3", "Bakgården", "5003", "Bergen")
    assert view["Street"] == ("Bryggen 3", "Bakgården", "5003", "Åsane")

    customer = systems.customer(customer_id)
    assert (customer["company_name"], customer["department"], customer["note"]) == (
        "Butikken AS",
        "Nettbutikk",
        "Ringer før levering",
    )
    assert (customer["phone"], customer["customer_group"]) == ("+47 55 00 00 13", "Partner")
    assert customer["billing_address"]["line2"] == "Bakgården" and customer["shipping_address"]["city"] == "Åsane"
    settle(systems, project)


def test_a_text_of_only_spaces_is_cleared_on_both_sides(systems: Systems, project: Project):
    project.sync()
    customer_id = linked_pairs(project)["14"]
    systems.edit_contact(14, Department="   ")

    project.sync()
    assert systems.contact(14)["Department"] == ""
    assert systems.customer(customer_id)["department"] is None
    settle(systems, project)


def test_a_contact_created_with_spaces_reaches_the_shop_trimmed(systems: Systems, project: Project):
    project.sync()
    email = "ny.kunde@example.com"
    created = systems.create_contact(
        Name=padded("Ny Kunde AS"),
        Department=padded("Innkjøp"),
        Emails=[{"Value": padded(email), "StrippedValue": email, "Description": ""}],
    )
    project.sync()  # the create carries trimmed texts (the shop refuses a padded e-mail)
    customer = systems.customer(linked_pairs(project)[str(created["ContactId"])])
    assert (customer["company_name"], customer["department"], customer["email"]) == ("Ny Kunde AS", "Innkjøp", email)
    assert project.dead_letters() == []
    project.sync()  # and SuperOffice is trimmed by the following sync
    contact = systems.contact(created["ContactId"])
    assert (contact["Name"], contact["Department"], contact["Emails"][0]["Value"]) == ("Ny Kunde AS", "Innkjøp", email)
    settle(systems, project)
