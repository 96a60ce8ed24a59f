"""Closed links, as pure plans: a SuperOffice record that comes back reopens its link and reactivates its shop
record; an edit after the shop record was deleted is reported once, or recreated under a fresh key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sluice.sync.dataflow import Dataflow
from sluice.sync.merge import FieldRule
from sluice.sync.model import DELETED_IN_A, DELETED_IN_B, Link, SideRecord, Stranded
from sluice.sync.reconcile import reconcile

T = datetime(2026, 1, 1, tzinfo=UTC)
FLOW = Dataflow(
    name="t",
    a_entity="contact",
    b_entity="customer",
    a_dataset="t_a",
    b_dataset="t_b",
    fields=(FieldRule("company_name"), FieldRule("phone"), FieldRule("active", to_a=False)),
)
BASE = {"company_name": "Acme", "phone": "1", "active": True}
CLOSED_BY_A = Link("1", "10", status="closed", note=DELETED_IN_A)
CLOSED_BY_B = Link("1", "10", status="closed", note=DELETED_IN_B)


def rec(id_: str, deleted: bool = False, **fields) -> SideRecord:
    return SideRecord(id_, fields, updated=T, deleted=deleted)


def test_a_restored_record_reopens_its_link_and_reactivates_the_shop_record() -> None:
    a = {"1": rec("1", company_name="Acme", phone="1", active=True)}
    b = {"10": rec("10", company_name="Acme", phone="1", active=False)}
    plan = reconcile(FLOW, a, b, [CLOSED_BY_A], {"1": BASE})
    assert plan.reopened_links == [Link("1", "10")]
    assert [(c.op, c.target, c.b_id, c.fields) for c in plan.changes] == [("update", "b", "10", {"active": True})]
    assert plan.agreed["1"]["active"] is True and plan.stranded == [] and plan.closed_links == []


def test_a_reopened_pair_merges_what_changed_on_either_side_meanwhile() -> None:
    a = {"1": rec("1", company_name="Acme Restored", phone="1", active=True)}
    b = {"10": rec("10", company_name="Acme", phone="2", active=False)}
    plan = reconcile(FLOW, a, b, [CLOSED_BY_A], {"1": BASE})
    by_target = {c.target: c.fields for c in plan.changes}
    assert by_target == {"b": {"company_name": "Acme Restored", "active": True}, "a": {"phone": "2"}}


def test_reactivation_is_general_not_a_mapped_field() -> None:
    """A flow whose deactivation field is not mapped (a product's status) still gets it set back."""
    flow = replace(
        FLOW,
        fields=(FieldRule("company_name"),),
        deactivate_fields={"status": "archived"},
        reactivate_fields={"status": "published"},
    )
    a = {"1": rec("1", company_name="Widget")}
    b = {"10": rec("10", company_name="Widget", status="archived")}
    plan = reconcile(flow, a, b, [CLOSED_BY_A], {"1": {"company_name": "Widget"}})
    assert [(c.op, c.fields) for c in plan.changes] == [("update", {"status": "published"})]
    assert plan.reopened_links == [Link("1", "10")]


def test_a_record_still_deleted_or_gone_leaves_its_closed_link_alone() -> None:
    b = {"10": rec("10", company_name="Acme", phone="1", active=False)}
    for a in ({}, {"1": rec("1", deleted=True, company_name="Acme", phone="1", active=False)}):
        plan = reconcile(FLOW, a, b, [CLOSED_BY_A], {"1": BASE})
        assert (plan.changes, plan.reopened_links, plan.stranded, plan.closed_links) == ([], [], [], [])


def test_a_shop_record_now_linked_to_another_record_is_not_reopened() -> None:
    a = {"1": rec("1", company_name="Acme", phone="1", active=True), "2": rec("2", company_name="Acme 2")}
    b = {"10": rec("10", company_name="Acme", phone="1", active=True)}
    plan = reconcile(FLOW, a, b, [CLOSED_BY_A, Link("2", "10")], {"1": BASE})
    assert plan.reopened_links == [] and not [c for c in plan.changes if c.a_id == "1"]
    assert [s.a_id for s in plan.stranded] == ["1"]


def test_an_edit_after_the_shop_record_was_deleted_is_reported_once() -> None:
    a = {"1": rec("1", company_name="Acme", phone="99", active=True)}
    plan = reconcile(FLOW, a, {}, [CLOSED_BY_B], {"1": BASE})
    assert plan.changes == []
    assert plan.stranded == [Stranded("1", "10", ("phone",), "edited, but its shop record was deleted")]
    again = reconcile(FLOW, a, {}, [CLOSED_BY_B], {"1": plan.agreed["1"]})
    assert again.stranded == [] and again.changes == []


def test_an_unedited_record_with_a_closed_link_reports_nothing() -> None:
    a = {"1": rec("1", company_name="Acme", phone="1", active=True)}
    plan = reconcile(FLOW, a, {}, [CLOSED_BY_B], {"1": BASE})
    assert (plan.changes, plan.stranded, plan.agreed) == ([], [], {})


def test_recreate_makes_a_new_shop_record_under_a_key_of_its_own() -> None:
    flow = replace(FLOW, on_target_deleted="recreate")
    a = {"1": rec("1", company_name="Acme", phone="99", active=True)}
    plan = reconcile(flow, a, {}, [CLOSED_BY_B], {"1": BASE})
    [change] = plan.changes
    assert (change.op, change.target, change.b_id, change.replaces) == ("create", "b", None, "10")
    assert change.fields == {"company_name": "Acme", "phone": "99", "active": True}
    assert plan.stranded == []


def test_a_restore_whose_shop_record_was_deleted_too_goes_by_the_policy() -> None:
    a = {"1": rec("1", company_name="Acme", phone="1", active=True)}
    plan = reconcile(FLOW, a, {}, [CLOSED_BY_A], {"1": BASE})
    assert [s.reason for s in plan.stranded] == ["restored, but its shop record was deleted"]
    assert [(link.status, link.note) for link in plan.closed_links] == [("closed", DELETED_IN_B)]
    recreated = reconcile(replace(FLOW, on_target_deleted="recreate"), a, {}, [CLOSED_BY_A], {"1": BASE})
    assert [(c.op, c.replaces) for c in recreated.changes] == [("create", "10")]
