"""Reconciliation: matching, creating, merging and deactivating, as pure plans."""

from __future__ import annotations

from datetime import UTC, datetime

from sluice.sync.dataflow import Dataflow, MatchKey
from sluice.sync.merge import FieldRule
from sluice.sync.model import Ambiguity, Link, SideRecord
from sluice.sync.reconcile import reconcile

T = datetime(2026, 1, 1, tzinfo=UTC)
FLOW = Dataflow(
    name="t",
    a_entity="contact",
    b_entity="customer",
    a_dataset="t_a",
    b_dataset="t_b",
    fields=(
        FieldRule("company_name"),
        FieldRule("email"),
        FieldRule("organization_number"),
        FieldRule("ref", to_a=False),
    ),
    match_keys=(MatchKey("email"), MatchKey("organization_number", casefold=False)),
)


def rec(id_: str, **fields) -> SideRecord:
    return SideRecord(id_, fields, updated=T)


def test_unlinked_superoffice_records_are_created_in_the_shop() -> None:
    plan = reconcile(FLOW, {"1": rec("1", company_name="Acme", email=None)}, {}, [], {})
    [change] = plan.changes
    assert (change.op, change.target, change.fields) == ("create", "b", {"company_name": "Acme"})


def test_existing_shop_records_are_matched_by_email_then_org_number() -> None:
    a = {"1": rec("1", company_name="A", email="X@a.no"), "2": rec("2", company_name="B", organization_number="99")}
    b = {"10": rec("10", company_name="A", email="x@a.no"), "20": rec("20", company_name="B", organization_number="99")}
    plan = reconcile(FLOW, a, b, [], {})
    assert {(link.a_id, link.b_id, link.how) for link in plan.new_links} == {
        ("1", "10", "matched"),
        ("2", "20", "matched"),
    }
    # A fresh match has no agreed base: the differing e-mail case goes by the policy (tie -> SuperOffice).
    assert [(c.op, c.target, c.a_id, c.fields) for c in plan.changes] == [("update", "b", "1", {"email": "X@a.no"})]
    assert plan.conflicts == []


def test_ambiguous_matches_are_reported_not_guessed() -> None:
    a = {"1": rec("1", company_name="A", email="x@a.no")}
    b = {"10": rec("10", email="x@a.no"), "11": rec("11", email="X@A.NO")}
    plan = reconcile(FLOW, a, b, [], {})
    assert plan.new_links == [] and plan.changes == []
    assert plan.ambiguous == [Ambiguity("1", "email", "x@a.no", ("10", "11"))]


def test_two_superoffice_records_claiming_one_shop_record_are_ambiguous() -> None:
    a = {"1": rec("1", email="x@a.no"), "2": rec("2", email="x@a.no")}
    plan = reconcile(FLOW, a, {"10": rec("10", email="x@a.no")}, [], {})
    assert {amb.a_id for amb in plan.ambiguous} == {"1", "2"} and not plan.new_links and not plan.changes


def test_linked_pairs_merge_field_by_field() -> None:
    base = {"company_name": "Old", "email": "old@a.no", "organization_number": None, "ref": "1"}
    a = {"1": rec("1", company_name="New", email="old@a.no", ref="1")}
    b = {"10": rec("10", company_name="Old", email="shop@a.no", ref="1")}
    plan = reconcile(FLOW, a, b, [Link("1", "10")], {"1": base})
    by_target = {c.target: c.fields for c in plan.changes}
    assert by_target == {"b": {"company_name": "New"}, "a": {"email": "shop@a.no"}}
    assert plan.agreed["1"]["company_name"] == "New" and plan.agreed["1"]["email"] == "shop@a.no"


def test_deleted_superoffice_record_deactivates_the_shop_record() -> None:
    plan = reconcile(FLOW, {}, {"10": rec("10", active=True)}, [Link("1", "10")], {})
    [change] = plan.changes
    assert (change.op, change.b_id, change.fields) == ("deactivate", "10", {"active": False})


def test_deleted_shop_record_closes_the_link_and_touches_nothing() -> None:
    plan = reconcile(FLOW, {"1": rec("1", company_name="A")}, {}, [Link("1", "10")], {})
    assert plan.changes == [] and [link.status for link in plan.closed_links] == ["closed"]


def test_closed_links_are_not_recreated() -> None:
    plan = reconcile(FLOW, {"1": rec("1", company_name="A")}, {}, [Link("1", "10", status="closed")], {})
    assert plan.changes == []


def test_a_soft_deleted_superoffice_record_deactivates_and_later_closes_its_link() -> None:
    deleted = SideRecord("1", {"company_name": "A", "active": False}, updated=T, deleted=True)
    plan = reconcile(FLOW, {"1": deleted}, {"10": rec("10", company_name="A", active=True)}, [Link("1", "10")], {})
    assert [(c.op, c.fields) for c in plan.changes] == [("deactivate", {"active": False})]
    plan = reconcile(FLOW, {"1": deleted}, {"10": rec("10", company_name="A", active=False)}, [Link("1", "10")], {})
    assert plan.changes == [] and [link.status for link in plan.closed_links] == ["closed"]


def test_a_shop_edit_of_a_leader_takes_its_follower_to_the_shop_in_the_same_run() -> None:
    """SuperOffice keeps one country: the shipping country (one-way) is the billing one, so a shop edit of the
    billing country that goes to SuperOffice sends the shipping country to the shop now, not one run later."""
    flow = Dataflow(
        name="c", a_entity="contact", b_entity="customer", a_dataset="c_a", b_dataset="c_b",
        fields=(FieldRule("country"), FieldRule("ship_country", to_a=False, follows="country")),
    )  # fmt: skip
    base = {"country": "NO", "ship_country": "NO"}
    for new in ("SE", None):
        a = {"1": rec("1", country="NO", ship_country="NO")}
        b = {"9": SideRecord("9", {"country": new, "ship_country": "NO"}, updated=T.replace(year=2027))}
        plan = reconcile(flow, a, b, [Link("1", "9")], {"1": base})
        changes = {c.target: c.fields for c in plan.changes}
        assert changes == {"a": {"country": new}, "b": {"ship_country": new}}
        assert plan.agreed["1"] == {"country": new, "ship_country": new}
    a = {"1": rec("1", country="DK", ship_country="DK")}  # a SuperOffice edit: the follower goes the usual way
    b = {"9": rec("9", country="NO", ship_country="NO")}
    [change] = reconcile(flow, a, b, [Link("1", "9")], {"1": base}).changes
    assert (change.target, change.fields) == ("b", {"country": "DK", "ship_country": "DK"})
