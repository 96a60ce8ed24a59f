"""Reconcile for a flow of child records (order lines): shop-born records created in side a, a shop removal
deleting in side a, and a locked side a (a quote version no longer a draft) refusing the shop's edits."""

from __future__ import annotations

from datetime import UTC, datetime

from sluice.sync.dataflow import Dataflow, Declaration, MatchKey
from sluice.sync.merge import FieldRule
from sluice.sync.model import Link, SideRecord
from sluice.sync.reconcile import reconcile

T = datetime(2026, 1, 1, tzinfo=UTC)
REF = "external_refs.superoffice_quoteline_id"
DECL = Declaration(a="superoffice.quote", b="customwebshop.orders", born_in_b="cws:", delete_in_a=True)
FLOW = Dataflow(
    name="lines",
    a_entity="quote",
    b_entity="orders",
    a_dataset="l_a",
    b_dataset="l_b",
    fields=(FieldRule("sku", to_a=False), FieldRule("quantity"), FieldRule(REF, to_a=False)),
    match_keys=(MatchKey(REF, casefold=False),),
    deactivate_fields={"removed": True},
    declaration=DECL,
)


def line(id_: str, ref: str, quantity: float, locked: str | None = None) -> SideRecord:
    return SideRecord(id_, {"sku": "A", "quantity": quantity, REF: ref}, updated=T, version="1", locked=locked)


def agreed(ref: str, quantity: float) -> dict:
    return {"sku": "A", "quantity": quantity, REF: ref}


def test_a_shop_born_line_is_created_in_side_a_under_its_shop_key() -> None:
    plan = reconcile(FLOW, {}, {"8": line("8", "cws:8", 2)}, [], {})
    (change,) = plan.changes
    assert (change.op, change.target, change.a_id, change.b_id) == ("create", "a", "cws:8", "8")
    assert change.fields["quantity"] == 2 and plan.agreed["cws:8"]["quantity"] == 2


def test_a_shop_born_line_already_made_in_side_a_is_matched_not_made_twice() -> None:
    plan = reconcile(FLOW, {"cws:8": line("cws:8", "cws:8", 2)}, {"8": line("8", "cws:8", 2)}, [], {})
    assert plan.changes == [] and [(k.a_id, k.b_id) for k in plan.new_links] == [("cws:8", "8")]


def test_a_line_removed_in_the_shop_deletes_its_side_a_record() -> None:
    plan = reconcile(FLOW, {"5": line("5", "5", 1)}, {}, [Link("5", "7")], {"5": agreed("5", 1)})
    (change,) = plan.changes
    assert (change.op, change.target, change.a_id, change.b_id) == ("delete", "a", "5", "7")
    assert plan.closed_links == []  # closed once the delete is confirmed


def test_a_locked_line_undoes_a_shop_edit_and_reports_it() -> None:
    a = {"5": line("5", "5", 1, locked="Sent")}
    plan = reconcile(FLOW, a, {"7": line("7", "5", 9)}, [Link("5", "7")], {"5": agreed("5", 1)})
    (change,) = plan.changes
    assert (change.op, change.target, change.fields) == ("update", "b", {"quantity": 1})
    assert [(c.field, c.winner) for _, _, c in plan.conflicts] == [("quantity", "a")]


def test_a_locked_line_removed_in_the_shop_is_made_again_there_and_reported() -> None:
    a = {"5": line("5", "5", 1, locked="Sent")}
    plan = reconcile(FLOW, a, {}, [Link("5", "7")], {"5": agreed("5", 1)})
    (change,) = plan.changes
    assert (change.op, change.target, change.replaces) == ("create", "b", "7")
    assert [c.field for _, _, c in plan.conflicts] == ["removed"]


def test_a_line_added_in_the_shop_to_a_locked_order_is_removed_there_and_reported() -> None:
    plan = reconcile(FLOW, {}, {"8": line("8", "cws:8", 2, locked="Sent")}, [], {})
    (change,) = plan.changes
    assert (change.op, change.target, change.a_id, change.b_id) == ("deactivate", "b", "cws:8", "8")
    assert [c.field for _, _, c in plan.conflicts] == ["added"]


def test_a_flow_without_born_in_b_never_creates_shop_records_in_side_a() -> None:
    flow = Dataflow(**{**FLOW.__dict__, "declaration": Declaration(a="x.y", b="z.w")})
    assert reconcile(flow, {}, {"8": line("8", "cws:8", 2)}, [], {}).changes == []
    plan = reconcile(flow, {"5": line("5", "5", 1)}, {}, [Link("5", "7")], {"5": agreed("5", 1)})
    assert plan.changes == [] and [k.status for k in plan.closed_links] == ["closed"]


def test_the_lines_of_an_order_deleted_in_the_shop_close_their_links_and_delete_nothing() -> None:
    """The order went in the shop, so its lines' order link closed and they wait for it; the lines left the shop
    with their order, which is no removal of a line: nothing is deleted in SuperOffice (soak seed 71061)."""
    waiting = SideRecord("5", {"sku": "A", "quantity": 1, REF: "5"}, updated=T, waiting="its order is not linked")
    plan = reconcile(FLOW, {"5": waiting}, {}, [Link("5", "7")], {"5": agreed("5", 1)})
    assert plan.changes == []
    assert [(k.a_id, k.status) for k in plan.closed_links] == [("5", "closed")]
