"""Records waiting for a reference (``sync_waiting``) and one-way fields edited in the shop, as pure plans."""

from __future__ import annotations

from datetime import UTC, datetime

from sluice.sync.dataflow import Dataflow
from sluice.sync.merge import FieldRule
from sluice.sync.model import Link, SideRecord
from sluice.sync.reconcile import reconcile

T = datetime(2026, 1, 1, tzinfo=UTC)
FLOW = Dataflow(
    name="orders",
    a_entity="sale",
    b_entity="orders",
    a_dataset="o_a",
    b_dataset="o_b",
    fields=(FieldRule("status"), FieldRule("customer_id", to_a=False)),
    deactivate_fields={"status": "cancelled"},
)
WHY = "contact 4 is not linked to a shop customer yet"


def rec(id_: str, waiting: str | None = None, **fields) -> SideRecord:
    return SideRecord(id_, fields, updated=T, waiting=waiting)


def test_a_waiting_record_is_neither_created_nor_dead_lettered_but_reported() -> None:
    plan = reconcile(FLOW, {"sale:1:1": rec("sale:1:1", WHY, status="pending")}, {}, [], {})
    assert plan.changes == [] and plan.invalid == []
    assert plan.waiting == [("sale:1:1", WHY)]


def test_a_linked_record_that_waits_again_is_not_cancelled_and_keeps_its_link() -> None:
    link = Link("sale:1:1", "10")
    a = {"sale:1:1": rec("sale:1:1", WHY, status="pending", customer_id=None)}
    b = {"10": rec("10", status="pending", customer_id=7)}
    plan = reconcile(FLOW, a, b, [link], {"sale:1:1": {"status": "pending", "customer_id": 7}})
    assert plan.changes == [] and plan.closed_links == []
    assert plan.waiting == [("sale:1:1", WHY)]


def test_a_shop_edit_of_a_one_way_field_is_undone_and_reported_as_a_conflict() -> None:
    link = Link("sale:1:1", "10")
    a = {"sale:1:1": rec("sale:1:1", status="pending", customer_id=7)}
    b = {"10": rec("10", status="pending", customer_id=8)}
    plan = reconcile(FLOW, a, b, [link], {"sale:1:1": {"status": "pending", "customer_id": 7}})
    [change] = plan.changes
    assert (change.target, change.fields) == ("b", {"customer_id": 7})
    [(_, _, conflict)] = plan.conflicts
    assert (conflict.field, conflict.winner) == ("customer_id", "a")


def test_a_shop_delete_closes_the_link_of_a_record_that_waits_for_its_reference() -> None:
    """Soak seed 40467: the order's customer was deleted in the shop (its contact's link closed, so the sale waits),
    then the order itself; the order's link stayed active for ever, its delete never seen."""
    link = Link("sale:1:1", "10")
    a = {"sale:1:1": rec("sale:1:1", WHY, status="pending", customer_id=None)}
    for b in ({}, {"10": SideRecord("10", {}, updated=T, deleted=True)}):
        plan = reconcile(FLOW, a, b, [link], {"sale:1:1": {"status": "pending", "customer_id": 7}})
        assert [(x.a_id, x.status) for x in plan.closed_links] == [("sale:1:1", "closed")]
        assert plan.changes == [] and plan.waiting == [("sale:1:1", WHY)]
