"""Records a pipe marks ``sync_invalid`` (a price that is not a number) are skipped and reported, never
treated as deleted: their pair waits, unchanged, until the data is fixed."""

from __future__ import annotations

from dataclasses import replace

from sluice.sync.model import Link
from sluice.sync.reconcile import reconcile
from tests.sync.test_reconcile import FLOW, rec


def test_an_invalid_unlinked_record_is_not_created_and_is_reported() -> None:
    bad = replace(rec("1", company_name="Acme"), invalid="price 'abc' is not a number")
    plan = reconcile(FLOW, {"1": bad, "2": rec("2", company_name="Good")}, {}, [], {})
    assert [(c.op, c.a_id) for c in plan.changes] == [("create", "2")]
    assert [(side, r.id, r.invalid) for side, r in plan.invalid] == [("a", "1", "price 'abc' is not a number")]


def test_an_invalid_linked_record_neither_deactivates_nor_updates_its_pair() -> None:
    links = [Link("1", "10")]
    agreed = {"1": {"company_name": "Old", "email": None, "organization_number": None, "ref": None}}
    bad_a = replace(rec("1", company_name="New"), invalid="bad")
    plan = reconcile(FLOW, {"1": bad_a}, {"10": rec("10", company_name="Old")}, links, agreed)
    assert plan.changes == [] and plan.closed_links == [] and plan.agreed == {}
    bad_b = replace(rec("10", company_name="Shop"), invalid="bad")
    plan = reconcile(FLOW, {"1": rec("1", company_name="Old")}, {"10": bad_b}, links, agreed)
    assert plan.changes == [] and plan.closed_links == []
    assert [(side, r.id) for side, r in plan.invalid] == [("b", "10")]
