"""Contact ↔ Customer, end to end over real HTTP: both simulators, the real pipes, the real store."""

from __future__ import annotations

import json

import pytest

from sluice.errors import CircuitBreakerTripped
from sluice.project import Project
from sluice.simulators.customwebshop import DEMO_API_KEY
from tests.e2e.conftest import Systems
from tests.e2e.observe import differences, linked_pairs

pytestmark = pytest.mark.slow


def customer_of(systems: Systems, project: Project, contact_id: int) -> dict:
    return systems.customer(linked_pairs(project, closed=True)[str(contact_id)])


def test_first_sync_links_every_contact_once_and_matches_existing_customers(systems: Systems, project: Project):
    before = {c["id"] for c in systems.customers()}
    report = project.sync()
    [flow] = report.flows
    assert flow.matched > 0 and flow.creates > 0 and flow.dead_letters == 0

    contact_ids = systems.contact_ids()
    refs = [c.get("external_refs", {}).get("superoffice_contact_id") for c in systems.customers()]
    refs = [r for r in refs if r is not None]
    assert sorted(refs) == sorted(str(i) for i in contact_ids)  # exactly one customer per contact
    pairs = linked_pairs(project)
    assert set(pairs) == {str(i) for i in contact_ids}
    links = project.links("contact_customer").to_pylist()
    matched = {row["b_id"] for row in links if row["how"] == "matched"}
    assert matched and matched <= {str(i) for i in before}  # pre-existing customers were matched, not duplicated
    assert len(systems.customers()) == len(before) + flow.creates
    assert differences(project) == []


def test_edits_on_either_side_arrive_after_one_sync(systems: Systems, project: Project):
    project.sync()
    systems.edit_contact(3, Name="Renamed in the CRM AS")
    customer = customer_of(systems, project, 4)
    systems.edit_customer(customer["id"], phone="+47 11 22 33 44")
    project.sync()
    assert customer_of(systems, project, 3)["company_name"] == "Renamed in the CRM AS"
    assert systems.contact(4)["Phones"][0]["Value"] == "+47 11 22 33 44"
    assert differences(project) == []


def test_edits_to_different_fields_of_one_record_both_survive(systems: Systems, project: Project):
    project.sync()
    customer = customer_of(systems, project, 5)
    systems.edit_contact(5, Department="Innkjøp")
    systems.edit_customer(customer["id"], website="https://shop-edited.example")
    project.sync()
    contact, customer = systems.contact(5), systems.customer(customer["id"])
    assert contact["Department"] == "Innkjøp" and customer["department"] == "Innkjøp"
    assert contact["Urls"][0]["Value"] == "https://shop-edited.example"
    assert customer["website"] == "https://shop-edited.example"


def test_the_same_field_edited_on_both_sides_goes_by_the_policy_and_is_recorded(systems: Systems, project: Project):
    project.sync()
    customer = customer_of(systems, project, 6)
    systems.edit_contact(6, Name="Name from the CRM")
    systems.edit_customer(customer["id"], company_name="Name from the shop")  # the later edit wins
    report = project.sync()
    assert report.flows[0].conflicts == 1
    assert systems.contact(6)["Name"] == "Name from the shop"
    assert systems.customer(customer["id"])["company_name"] == "Name from the shop"
    [conflict] = project.conflicts().to_pylist()
    assert (conflict["a_id"], conflict["field"], conflict["winner"]) == ("6", "company_name", "customwebshop")
    assert json.loads(conflict["superoffice_value"]) == "Name from the CRM"


def test_a_shop_country_edit_brings_the_shipping_country_along_in_the_same_sync(systems: Systems, project: Project):
    """SuperOffice keeps one country per contact; the shop's shipping country is that one (to shop only). A shop
    edit of the billing country used to reach the shipping country one sync later (soak seed 111)."""
    project.sync()
    customer = customer_of(systems, project, 6)
    new = "SE" if customer["billing_address"].get("country_code") != "SE" else "DK"
    systems.edit_customer(customer["id"], billing_address={"country_code": new})
    project.sync()
    assert systems.contact(6)["Country"]["TwoLetterISOCountry"] == new
    shown = systems.customer(customer["id"])
    assert shown["billing_address"]["country_code"] == shown["shipping_address"]["country_code"] == new
    assert differences(project) == []
    systems.edit_customer(customer["id"], billing_address={"country_code": None})  # a clear: no country in either
    project.sync()
    assert not systems.contact(6)["Country"].get("TwoLetterISOCountry")
    assert customer_of(systems, project, 6)["shipping_address"].get("country_code") is None
    assert differences(project) == []


def test_a_sync_with_nothing_edited_sends_no_write(systems: Systems, project: Project):
    project.sync()
    project.sync()  # reads back what the first sync wrote: nothing may echo
    systems.reset_stats()
    report = project.sync()
    assert systems.writes() == (0, 0)
    assert report.writes == 0


def test_a_permanent_422_is_dead_lettered_and_the_rest_of_the_run_completes(systems: Systems, project: Project):
    bad = systems.create_contact(Name="Broken Mail AS", Emails=[{"Value": "not an e-mail address"}])
    report = project.sync()
    [flow] = report.flows
    assert flow.dead_letters == 1 and flow.sinks[0].created == flow.creates - 1
    [letter] = project.dead_letters()
    assert (letter.a_id, letter.op, letter.status) == (str(bad["ContactId"]), "create", 422)
    assert letter.request["body"]["company_name"] == "Broken Mail AS" and "email" in letter.response
    assert DEMO_API_KEY not in json.dumps(letter.request) + letter.response + letter.reason

    systems.edit_contact(bad["ContactId"], Emails=[{"Value": "post@broken-mail.example"}])
    project.sync()
    assert project.dead_letters() == []
    assert customer_of(systems, project, bad["ContactId"])["email"] == "post@broken-mail.example"


def test_the_sink_breaker_stops_a_mass_deactivation_before_sending_anything(systems: Systems, project: Project):
    project.sync()
    doomed = systems.contact_ids()[:18]  # 60 % of 30
    for contact_id in doomed:
        systems.delete_contact(contact_id)
    systems.reset_stats()
    with pytest.raises(CircuitBreakerTripped) as tripped:
        project.sync(full=True)
    assert tripped.value.counts["linked"] == 30
    assert systems.writes() == (0, 0)

    project.sync(full=True, force=True)
    for contact_id in doomed:
        assert customer_of(systems, project, contact_id)["active"] is False
    closed = {row["a_id"] for row in project.links("contact_customer").to_pylist() if row["status"] == "closed"}
    assert closed == {str(i) for i in doomed}


def test_an_incremental_sync_deactivates_a_deleted_contact_and_closes_its_link(systems: Systems, project: Project):
    project.sync()
    customer = customer_of(systems, project, 7)
    systems.delete_contact(7)
    project.sync()  # incremental: the soft-deleted contact comes back with Deleted set
    assert systems.customer(customer["id"])["active"] is False
    assert "7" not in linked_pairs(project)
    systems.edit_customer(customer["id"], phone="+47 99 99 99 99")
    systems.reset_stats()
    project.sync()
    assert systems.writes() == (0, 0)  # nothing is written back to a deleted contact
