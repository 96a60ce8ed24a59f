"""The incremental reconcile plans exactly what a full one would, over random edit histories.

Two mapped datasets (real Parquet through the store, written whole as a pipe writes them) are edited
at random on both sides: texts with and without surrounding whitespace, clears, soft deletes and
restores, removals, new records that match existing ones, duplicates that make a match ambiguous.
Between edits the flow syncs through ``FlowRunner`` into two small systems kept in datasets (so
links, agreed state, dead letters and the cursor are the real ones); some pushes fail, for good or
for now. Before each sync three plans must agree: the incremental one (what moved since the last
commit plus pending work), the vectorised full one (``--full``), and the reference: ``reconcile``
over every record, link and agreed state read whole.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import LocalSideFiles
from sluice.errors import PermanentError, TransientError
from sluice.sync.dataflow import Dataflow, MatchKey
from sluice.sync.engine import FlowRunner, load_side
from sluice.sync.merge import FieldRule
from sluice.sync.model import Change, Link, Plan
from sluice.sync.reconcile import reconcile
from sluice.sync.sinks import Sink
from sluice.sync.state import FlowState

FLOW = Dataflow(
    name="t",
    a_entity="contact",
    b_entity="customer",
    a_dataset="t_superoffice",
    b_dataset="t_shop",
    fields=(
        FieldRule("company_name"),
        FieldRule("email"),
        FieldRule("address.city"),
        FieldRule("active", to_a=False),
    ),
    match_keys=(MatchKey("email"),),
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TEXTS = st.sampled_from([None, "", "Acme", " Acme ", "acme", "Beta AS", "Oslo", "Bergen\t", "Ærlig"])
IDS = st.integers(0, 3)
EMAILS = st.sampled_from([None, "a@x.no", "A@X.no ", "b@x.no", "c@x.no"])


@dataclass
class System:
    """One side's records as its pipe would map them (id -> fields), written whole to its dataset."""

    store: DatasetStore
    dataset: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    clock: itertools.count = field(default_factory=itertools.count)

    def touch(self, id_: str, **fields: Any) -> None:
        record = self.records.setdefault(id_, {"company_name": None, "email": None, "city": None, "active": True})
        record.update(fields)
        record["sync_updated"] = T0 + timedelta(minutes=next(self.clock))
        record["sync_version"] = str(record["sync_updated"].timestamp())
        record.setdefault("sync_deleted", False)

    def write(self) -> None:
        rows = [
            {
                "_id": id_,
                "sync_updated": r["sync_updated"],
                "sync_version": r["sync_version"],
                "sync_deleted": r["sync_deleted"],
                "company_name": r["company_name"],
                "email": r["email"],
                "address": {"city": r["city"]},
                "active": r["active"],
            }
            for id_, r in sorted(self.records.items())
        ]
        self.store.write(self.dataset, rows, full=True, force=True)


class SystemSink(Sink):
    """Applies a change to a ``System`` (as the real system would, then a pull and its pipe), or refuses it."""

    def __init__(self, system: System, refuse: dict[str, str], ids: itertools.count) -> None:
        super().__init__(concurrency=1)
        self.name = system.dataset
        self.system, self.refuse, self.ids = system, refuse, ids

    def apply(self, change: Change) -> dict[str, Any]:
        how = self.refuse.get(change.a_id)
        if how == "permanent":
            raise PermanentError("refused", status=422)
        if how == "transient":
            raise TransientError("unavailable", status=503)
        id_ = str(next(self.ids)) if change.op == "create" else (change.b_id if change.target == "b" else change.a_id)
        assert id_ is not None
        fields = {("city" if k == "address.city" else k): v for k, v in change.fields.items()}
        self.system.touch(id_, **fields)
        self.system.write()
        return {"id": id_}

    def new_id(self, change: Change, record: dict[str, Any]) -> str | None:
        return record["id"]

    def describe(self, change: Change) -> dict[str, Any]:
        return {"op": change.op, "fields": change.fields}


EDITS = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from("ab"), IDS, st.sampled_from(["company_name", "city"]), TEXTS),
    st.tuples(st.just("edit"), st.sampled_from("ab"), IDS, st.just("email"), EMAILS),
    st.tuples(st.just("delete"), st.sampled_from("ab"), IDS, st.booleans(), st.none()),
    st.tuples(st.just("remove"), st.sampled_from("ab"), IDS, st.none(), st.none()),
    st.tuples(st.just("sync"), st.none(), st.none(), st.none(), st.none()),
    st.tuples(st.just("refuse"), st.none(), IDS, st.sampled_from(["permanent", "transient", ""]), st.none()),
)


def _links(store: DatasetStore) -> list[Link]:
    if not store.exists(FLOW.link_dataset):
        return []
    rows = store.current_arrow(FLOW.link_dataset).to_pylist()
    return [Link(r["a_id"], r["b_id"], r["how"], r["status"], r["note"] or "") for r in rows]


def _agreed(store: DatasetStore) -> dict[str, dict[str, Any]]:
    if not store.exists(FLOW.agreed_dataset):
        return {}
    return {r["_id"]: json.loads(r["state"]) for r in store.current_arrow(FLOW.agreed_dataset).to_pylist()}


def reference_plan(store: DatasetStore, flow: Dataflow) -> Plan:
    """The full reconcile as it always was: every record, link and agreed state, read whole."""
    return reconcile(
        flow, load_side(store, flow.a_dataset), load_side(store, flow.b_dataset), _links(store), _agreed(store)
    )


def comparable(plan: Plan, agreed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A plan as a value, orders left out, and without agreed states that only repeat the stored ones."""
    return {
        "changes": sorted(repr(c) for c in plan.changes),
        "new_links": sorted(plan.new_links, key=repr),
        "closed_links": sorted(plan.closed_links, key=repr),
        "reopened_links": sorted(plan.reopened_links, key=repr),
        "stranded": sorted(plan.stranded, key=repr),
        "conflicts": sorted(repr(c) for c in plan.conflicts),
        "ambiguous": sorted(plan.ambiguous, key=repr),
        "agreed": {k: v for k, v in plan.agreed.items() if agreed.get(k) != v},
    }


class World:
    def __init__(self, root: Path, on_target_deleted: str) -> None:
        self.store = DatasetStore(root / "datasets")
        self.state_dir = root / "state"
        self.flow = FLOW if on_target_deleted == "close" else _recreating()
        self.a = System(self.store, FLOW.a_dataset)
        self.b = System(self.store, FLOW.b_dataset)
        self.refuse: dict[str, str] = {}
        self.ids = itertools.count(100)

    def runner(self, *, full: bool = False) -> FlowRunner:
        files = LocalSideFiles(self.state_dir)
        state = FlowState(self.store, self.flow, files)
        sink_a = SystemSink(self.a, self.refuse, self.ids)
        sink_b = SystemSink(self.b, self.refuse, self.ids)
        return FlowRunner(self.store, self.flow, state, sink_a, sink_b, files, full=full)

    def record_id(self, side: str | None, n: int) -> str:
        """Contacts are ``0``..``3``; shop ids ``0``, ``1`` are the shop's own, higher ``n`` pick a customer a
        sync created (so both sides of a linked pair are edited)."""
        created = sorted(i for i in self.b.records if int(i) >= 100)
        return created[n % len(created)] if side == "b" and n >= 2 and created else str(n)

    def apply(self, op: str, side: str | None, n: int | None, what: Any, value: Any) -> None:
        system = self.a if side == "a" else self.b
        id_ = self.record_id(side, n or 0)
        if op == "edit":
            system.touch(id_, **{what: value})
            system.write()
        elif op == "delete" and id_ in system.records:
            system.touch(id_, sync_deleted=what)
            system.write()
        elif op == "remove" and id_ in system.records:
            del system.records[id_]
            system.write()
        elif op == "refuse":
            self.refuse[str(n)] = what
        elif op == "sync":
            self.check_and_sync()

    def check_and_sync(self) -> None:
        stored = _agreed(self.store)
        reference = comparable(reference_plan(self.store, self.flow), stored)
        assert comparable(self.runner().plan(), stored) == reference, "incremental plan differs from the full one"
        assert comparable(self.runner(full=True).plan(), stored) == reference, "--full plan differs"
        self.runner().run(force=True)


def _recreating() -> Dataflow:
    return replace(FLOW, on_target_deleted="recreate")


SYNC = ("sync", None, None, None, None)
TRANSIENT_FAILURE = [("edit", "a", 0, "company_name", "Acme"), SYNC, ("refuse", None, 0, "transient", None)]
TRANSIENT_FAILURE += [("edit", "a", 0, "company_name", "Beta AS"), SYNC]
AMBIGUOUS = [
    ("edit", "b", 1, "email", "a@x.no"),
    ("edit", "b", 2, "email", "A@X.no "),
    ("edit", "a", 0, "email", "a@x.no"),
]
AMBIGUOUS += [SYNC, ("remove", "b", 2, None, None), SYNC]
RESTORED = [("edit", "a", 0, "company_name", "Acme"), SYNC, ("delete", "a", 0, True, None), SYNC, SYNC]
RESTORED += [("edit", "a", 1, "email", "b@x.no"), ("delete", "a", 0, False, None), SYNC]

LINKED_ELSEWHERE = [("edit", "a", 0, "email", "b@x.no"), SYNC, ("delete", "a", 0, True, None), SYNC, SYNC]
LINKED_ELSEWHERE += [("edit", "a", 1, "email", "b@x.no"), SYNC, ("delete", "a", 0, False, None)]


@example(
    history=[
        *TRANSIENT_FAILURE[:2],
        ("edit", "a", 0, "company_name", "acme"),
        ("edit", "b", 2, "company_name", "acme"),
    ],
    on_target_deleted="close",
)
@example(history=LINKED_ELSEWHERE, on_target_deleted="close")
@example(history=TRANSIENT_FAILURE, on_target_deleted="close")
@example(history=AMBIGUOUS, on_target_deleted="close")
@example(history=RESTORED, on_target_deleted="close")
@example(
    history=[*RESTORED, ("remove", "b", 2, None, None), SYNC, ("edit", "a", 0, "city", "Oslo")],
    on_target_deleted="recreate",
)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=st.lists(EDITS, min_size=1, max_size=24),
    on_target_deleted=st.sampled_from(["close", "recreate"]),
)
def test_incremental_plan_equals_the_full_plan_over_random_histories(history, on_target_deleted) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp), on_target_deleted)
        try:
            for step in [*history, ("sync", None, None, None, None), ("sync", None, None, None, None)]:
                world.apply(*step)
        finally:
            world.store.close()
