"""Run one flow's sync: reconcile, check the breakers, push to both sides, advance the state.

Rule: every run recomputes its plan from the datasets, the links and the agreed state, so a
run that died half-way or a failed push is simply retried by the next run; a dead letter's
change is held back (never lost) until it differs, its back-off has passed, or a retry is asked.
The agreed state of a pair advances only for fields whose push the target confirmed. A plan
covers the pairs that moved since the committed cursor plus pending work (``changes.py``),
read by id through the flow's index (``index.py``, ``scope.py``); ``finish`` commits the cursor last.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import SideFiles
from sluice.errors import CircuitBreakerTripped, SluiceError
from sluice.sync import wire
from sluice.sync.changes import Cursor, load_cursor, moved_since, observe, save_cursor, touched
from sluice.sync.compare import unsettled_ids
from sluice.sync.dataflow import Dataflow
from sluice.sync.model import DELETED_IN_A, DELETED_IN_B, Change, Link, Plan, PushOutcome, SideRecord, SinkResult
from sluice.sync.pull import PULL
from sluice.sync.reconcile import reconcile
from sluice.sync.scope import Scope, load_scope, side_record
from sluice.sync.sinks import OnConfirmed, Sink, summarize
from sluice.sync.state import (
    DeadLetter,
    FlowState,
    fingerprint,
    load_dead_letters,
    now,
    record_conflicts,
    replace_dead_letters,
    retry_delay,
)

log = logging.getLogger("sluice.sync")


@dataclass
class FlowResult:
    """What one flow's run planned and did (counts for reports and Prefect artifacts)."""

    flow: str
    dry_run: bool
    creates: int = 0
    updates_to_shop: int = 0
    updates_to_superoffice: int = 0
    creates_in_superoffice: int = 0
    """Shop-born records created in SuperOffice (lines added in the shop)."""
    deletes_in_superoffice: int = 0
    """SuperOffice records deleted because their shop record went (lines removed in the shop)."""
    deactivations: int = 0
    matched: int = 0
    closed_links: int = 0
    reopened_links: int = 0
    recreates: int = 0
    stranded_edits: int = 0
    ambiguous: int = 0
    conflicts: int = 0
    new_conflicts: int = 0
    dead_letters: int = 0
    reconciled: int = 0
    """Pairs the plan looked at: those that moved and pending work, or every pair on a full reconcile."""
    sinks: list[SinkResult] = field(default_factory=list)
    ambiguities: list[dict[str, Any]] = field(default_factory=list)
    stranded: list[dict[str, Any]] = field(default_factory=list)
    """Edits that went nowhere because their link is closed (``a_id``, ``b_id``, ``fields``, ``reason``)."""
    rows: int = 0
    """Records the reconcile step loaded, both sides."""
    seconds: float = 0.0
    """How long the reconcile step (load, plan, breakers) took."""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    waiting: int = 0
    waits: list[dict[str, Any]] = field(default_factory=list)
    """Records waiting (``a_id``, ``reason``): for a reference another flow has not linked yet, or for a pull to
    read them (the last one set them aside)."""

    @property
    def writes(self) -> int:
        return sum(s.writes for s in self.sinks)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sinks"] = [s.as_dict() for s in self.sinks]
        data["writes"] = self.writes
        data["seconds"] = round(self.seconds, 3)
        data["rows_per_second"] = round(self.rows_per_second, 1)
        return data


def load_side(store: DatasetStore, dataset: str) -> dict[str, SideRecord]:
    """Every current row of a mapped dataset as a record (see ``scope.side_record``): a full read, for
    inspection and tests; a run reads the rows it reconciles through the flow's index."""
    if not store.exists(dataset):
        return {}
    return {str(row["_id"]): side_record(row) for row in store.current_arrow(dataset).to_pylist()}


def _set_aside(store: DatasetStore, source: str | None) -> set[str]:
    """The keys of the records the pull of ``source`` set aside (unreadable or untypable), by their dead letters."""
    if source is None:
        return set()
    return {d.a_id.rsplit(":", 1)[-1] for d in load_dead_letters(store, PULL) if d.target == source}


def _source_key(a_id: str, a_key: Callable[[str], int] | None) -> str:
    """The key a pull's dead letter names for the record behind ``a_id`` (``sale:17:2`` -> ``17`` for orders)."""
    if a_key is None:
        return a_id
    try:
        return str(a_key(a_id))
    except SluiceError:
        return a_id


def check_breakers(flow: Dataflow, plan: Plan, linked: int, force: bool) -> None:
    """Stop before sending anything when a run would touch more of the target than the flow allows."""
    limits = flow.limits
    if force or linked < limits.min_target:
        return
    counts = {
        "linked": linked,
        "updates_to_shop": len({c.a_id for c in plan.of("b", "update")}),
        "updates_to_superoffice": len({c.a_id for c in plan.of("a", "update")}),
        "deactivations": len(plan.of("b", "deactivate")),
    }
    over = [
        name
        for name, limit in (
            ("updates_to_shop", limits.max_update_share),
            ("updates_to_superoffice", limits.max_update_share),
            ("deactivations", limits.max_deactivate_share),
        )
        if counts[name] > limit * linked
    ]
    if over:
        detail = ", ".join(f"{name} {counts[name]} of {linked} linked" for name in over)
        raise CircuitBreakerTripped(
            f"flow {flow.name}: refusing to send: {detail} exceeds the configured share; nothing was sent. "
            "Re-run with force when this is intended.",
            counts=counts,
            target=flow.name,
        )


class FlowRunner:
    """One flow's sync against its two sinks (``a``: SuperOffice, ``b``: the shop), in three steps that may run
    as separate tasks: ``start`` (plan, breakers, links, intents), ``push`` per sink, ``finish`` (agreed state,
    closed links, dead letters). The plan and each sink's outcomes wait between steps as JSON objects in the
    root's ``.sync`` state (``wire.py``), so the next step may run in another process or on another machine; a
    sink whose outcomes never arrived counts as failed, so nothing it may have sent advances the agreed state."""

    def __init__(
        self,
        store: DatasetStore,
        flow: Dataflow,
        state: FlowState,
        sink_a: Sink,
        sink_b: Sink,
        files: SideFiles,
        b_source: str | None = None,
        *,
        a_source: str | None = None,
        full: bool = False,
    ) -> None:
        """``a_source``, ``b_source``: the pulled datasets behind the two sides; a pair with a record their last pull
        set aside waits (``reconcile``'s ``stale``)."""
        self.store = store
        self.flow = flow
        self.state = state
        self.sinks = {"a": sink_a, "b": sink_b}
        self.files = files
        self.b_source = b_source
        self.a_source = a_source
        self.full = full
        """Reconcile every pair, not only those that moved since the last commit (``--full``)."""
        self.reconciled = 0
        """Pairs the last plan looked at (all of them on a full reconcile)."""
        self.loaded = 0
        """Records the last ``plan()`` loaded (both sides): the reconcile step's rows."""

    def plan(self) -> Plan:
        return self._reconcile()[0]

    def _reconcile(self) -> tuple[Plan, Cursor]:
        """The plan for the pairs to reconcile, and the cursor its commit writes (the offsets seen first)."""
        seen = observe(self.store, self.flow)
        self.state.index.catch_up()
        ids, compared = self._to_reconcile(load_cursor(self.files, self.flow))
        scope = load_scope(self.state.index, self.flow, ids)
        if self.flow.scope is not None:  # one price list of many: the others are not this flow's records
            scope.a = {k: r for k, r in scope.a.items() if r.scope == self.flow.scope}
        self.reconciled = len(scope.a.keys() | {link.a_id for link in scope.links})
        self.loaded = max(compared, len(scope.a) + len(scope.b))
        stale = self._stale(scope)
        plan = reconcile(self.flow, scope.a, scope.b, scope.links, scope.agreed, stale=stale)
        waiting = stale | {a_id for a_id, _ in plan.waiting}  # a reference not linked, or not read: again next run
        return plan, replace(seen, pending=tuple(sorted(touched(plan) | waiting)))

    def _stale(self, scope: Scope) -> set[str]:
        """The pairs in ``scope`` whose SuperOffice or shop record the last pull of its dataset set aside."""
        stale_a = _set_aside(self.store, self.a_source)
        stale_b = _set_aside(self.store, self.b_source)
        if not stale_a and not stale_b:
            return set()
        a_key = self.flow.declaration.a_key if self.flow.declaration is not None else None
        held = {a_id for a_id in scope.a if _source_key(a_id, a_key) in stale_a}
        return held | {link.a_id for link in scope.links if link.b_id in stale_b}

    def _to_reconcile(self, cursor: Cursor | None) -> tuple[set[str], int]:
        """What moved since the committed cursor plus its pending pairs, dead letters and create intents; on a
        full reconcile (or without a usable cursor) every pair the vectorised comparison cannot prove settled.
        Also the records the comparison went through (both sides; none on an incremental run)."""
        moved = None if self.full or cursor is None else moved_since(self.store, self.flow, self.state.index, cursor)
        if moved is None:
            index = self.state.index
            unsettled = unsettled_ids(self.store, self.flow)
            ids = unsettled if unsettled is not None else set(index.ids("a")) | set(index.link_ids())
            return ids | self._born(), index.count("a") + index.count("b")
        assert cursor is not None
        letters = {d.a_id for d in load_dead_letters(self.store, self.flow.name)}
        return moved | set(cursor.pending) | letters | self.state.pending_intents(), 0

    def _born(self) -> set[str]:
        """For a flow that creates shop-born records in side a: every shop record no link names, by the side-a id
        it will have (``cws:41``); none for other flows."""
        prefix = self.flow.declaration.born_in_b if self.flow.declaration is not None else None
        if not prefix:
            return set()
        index = self.state.index
        shop = set(index.ids("b"))
        return {prefix + b_id for b_id in shop - {link.b_id for link in index.links_to(shop)}}

    def run(self, *, dry_run: bool = False, force: bool = False) -> FlowResult:
        """All three steps in one go (the CLI and ``Project.sync``)."""
        result = self.start(dry_run=dry_run, force=force)
        if dry_run:
            return result
        result.sinks = [self.push("b"), self.push("a")]
        result.dead_letters = self.finish()
        return result

    def start(self, *, dry_run: bool = False, force: bool = False) -> FlowResult:
        """Plan, stop at a breaker before anything is sent, make matches and create intents durable, keep the plan."""
        started = time.monotonic()
        plan, cursor = self._reconcile()
        plan = self._hold_back(plan)
        active = self.state.active_links()
        check_breakers(self.flow, plan, active, force)
        seconds = time.monotonic() - started
        result = FlowResult(
            self.flow.name,
            dry_run,
            creates=len(plan.of("b", "create")),
            updates_to_shop=len(plan.of("b", "update")),
            updates_to_superoffice=len(plan.of("a", "update")),
            creates_in_superoffice=len(plan.of("a", "create")),
            deletes_in_superoffice=len(plan.of("a", "delete")),
            deactivations=len(plan.of("b", "deactivate")),
            matched=len(plan.new_links),
            closed_links=len(plan.closed_links),
            reopened_links=len(plan.reopened_links),
            recreates=sum(1 for c in plan.of("b", "create") if c.replaces),
            stranded_edits=len(plan.stranded),
            ambiguous=len(plan.ambiguous),
            conflicts=len(plan.conflicts),
            reconciled=self.reconciled,
            ambiguities=[asdict(a) for a in plan.ambiguous],
            stranded=[asdict(s) for s in plan.stranded],
            waiting=len(plan.waiting),
            waits=[{"a_id": a_id, "reason": why} for a_id, why in plan.waiting],
            sinks=[SinkResult(self.sinks["b"].name), SinkResult(self.sinks["a"].name)],
            rows=self.loaded,
            seconds=seconds,
        )
        if dry_run:
            return result
        pending = self.state.pending_intents()  # creates an earlier run sent without seeing the answer
        plan.changes = [
            replace(c, lookup_first=True) if c.op == "create" and c.a_id in pending else c for c in plan.changes
        ]
        for link in plan.new_links:
            self.state.record_link(link)
        self.state.record_intents([c.a_id for c in plan.of("b", "create")])
        result.new_conflicts = record_conflicts(self.store, self.flow.name, plan.conflicts)
        plan.conflicts = []  # recorded; the rest of the plan waits for the sinks
        for target in self.sinks:
            self.files.delete(self._name("outcomes", target))
        self._dump(self._name("planned-cursor"), cursor)  # before the plan: a stored plan always has its cursor
        self._dump(self._name("plan"), plan)
        return result

    def push(self, target: str) -> SinkResult:
        """Send one sink's planned changes; creates become durable links the moment they succeed."""
        plan = self._plan()
        sink = self.sinks[target]
        changes = [c for c in plan.changes if c.target == target]
        started = time.monotonic()
        outcomes = sink.push(changes, self._on_confirmed(plan))
        seconds = time.monotonic() - started
        self._dump(self._name("outcomes", target), outcomes)
        return summarize(sink.name, outcomes, seconds)

    def finish(self) -> int:
        """Advance the agreed state for confirmed pushes, close and reopen links, replace the flow's dead letters."""
        plan = self._plan()
        outcomes_b, outcomes_a = self._outcomes(plan, "b"), self._outcomes(plan, "a")
        outcomes = outcomes_b + outcomes_a
        closed = plan.closed_links + [
            Link(o.change.a_id, o.change.b_id or "", status="closed", note=DELETED_IN_A)
            for o in outcomes_b
            if o.ok and o.change.op == "deactivate"
        ]
        closed += [
            Link(o.change.a_id, o.change.b_id or "", status="closed", note=DELETED_IN_B)
            for o in outcomes_a
            if o.ok and o.change.op == "delete"
        ]
        unconfirmed = {o.change.a_id for o in outcomes_b if not o.ok}
        reopened = [link for link in plan.reopened_links if link.a_id not in unconfirmed]  # else: the next run
        held = [PushOutcome(c, ok=False, error="held back by its dead letter") for c in plan.held]
        self.state.save(closed + reopened, self._confirmed_agreed(plan, outcomes + held))
        letters = self._dead_letters(outcomes, plan.held) + self._invalid_letters(plan)
        replace_dead_letters(self.store, self.flow.name, letters, scope=None)
        self._commit_cursor()
        for name in (self._name("plan"), self._name("outcomes", "a"), self._name("outcomes", "b")):
            self.files.delete(name)
        return len(letters)

    def _commit_cursor(self) -> None:
        """The last step of a commit: the next run starts from the offsets this plan saw, plus its pending pairs."""
        planned = self._load(self._name("planned-cursor"))
        if planned is not None:
            save_cursor(self.files, planned)
            self.files.delete(self._name("planned-cursor"))

    def _name(self, kind: str, target: str = "") -> str:
        """``<flow>.plan.json``, ``<flow>.outcomes.b.json``, ``<flow>.planned-cursor.json``."""
        return f"{self.flow.name}.{kind}{'.' + target if target else ''}.json"

    def _dump(self, name: str, value: Any) -> None:
        self.files.write(name, wire.dumps(value))

    def _load(self, name: str) -> Any:
        data = self.files.read(name)
        return None if data is None else wire.loads(data)

    def _plan(self) -> Plan:
        plan = self._load(self._name("plan"))
        if plan is None:
            raise SluiceError(f"flow {self.flow.name}: no plan to push; run the plan step first")
        return plan

    def _outcomes(self, plan: Plan, target: str) -> list[PushOutcome]:
        """A sink's outcomes; when its step never finished, every change it had counts as failed."""
        outcomes = self._load(self._name("outcomes", target))
        if outcomes is not None:
            return outcomes
        return [
            PushOutcome(c, ok=False, error="the push step did not finish") for c in plan.changes if c.target == target
        ]

    def _on_confirmed(self, plan: Plan) -> OnConfirmed:
        def confirmed(outcomes: list[PushOutcome]) -> None:
            created = [o for o in outcomes if o.change.op == "create" and o.change.target == "b" and o.new_b_id]
            links = [(Link(o.change.a_id, o.new_b_id or ""), plan.agreed.get(o.change.a_id)) for o in created]
            born = [o.change for o in outcomes if o.change.op == "create" and o.change.target == "a"]
            links += [(Link(c.a_id, c.b_id or ""), plan.agreed.get(c.a_id)) for c in born]  # a shop-born record
            if links:
                self.state.record_links(links)

        return confirmed

    def _confirmed_agreed(self, plan: Plan, outcomes: list[PushOutcome]) -> dict[str, dict[str, Any]]:
        """The agreed state per pair, advanced only where every push it implies was confirmed."""
        failed: dict[str, set[str]] = {}
        for o in outcomes:
            if not o.ok:
                failed.setdefault(o.change.a_id, set()).update(o.change.fields)
        failed_creates = {o.change.a_id for o in outcomes if not o.ok and o.change.op == "create"}
        created = {o.change.a_id for o in outcomes if o.ok and o.change.op == "create"}
        links, olds = self.state.links.many(plan.agreed), self.state.agreed.many(plan.agreed)
        agreed = {}
        for a_id, state in plan.agreed.items():
            if a_id not in links and a_id not in created:
                continue
            old = olds.get(a_id)
            bad = failed.get(a_id, set())
            if a_id in failed_creates or (old is None and bad):
                continue  # no new pair yet (a fresh one, or a recreate): the next run merges or creates again
            agreed[a_id] = {k: (old.get(k) if k in bad and old is not None else v) for k, v in state.items()}
        return agreed

    def _invalid_letters(self, plan: Plan) -> list[DeadLetter]:
        """A record whose data cannot be synced is skipped (nothing written either way) and listed until fixed."""
        previous = {d.key: d for d in load_dead_letters(self.store, self.flow.name)}
        stamp = now().isoformat()
        letters = []
        for side, rec in plan.invalid:
            key = f"{side}:invalid:{rec.id}"
            before = previous.get(key)
            dataset = self.flow.a_dataset if side == "a" else self.flow.b_dataset
            letters.append(
                DeadLetter(
                    flow=self.flow.name, key=key, target=self.sinks[side].name, op="skip",
                    a_id=rec.id if side == "a" else "", b_id=rec.id if side == "b" else None,
                    request={"dataset": dataset, "_id": rec.id}, status=None, response="", reason=rec.invalid or "",
                    first_failed=before.first_failed if before else stamp, last_failed=stamp,
                    attempts=(before.attempts + 1) if before else 1,
                )
            )  # fmt: skip
        return letters

    def _hold_back(self, plan: Plan) -> Plan:
        """Move the changes their dead letter still holds back into ``plan.held``: the same change the target
        refused, planned again before its back-off has passed. A change that differs (its source was edited)
        goes out at once; a held one is planned again by every run, so nothing waits for ever unseen."""
        letters = {d.key: d for d in load_dead_letters(self.store, self.flow.name)}
        at = now()
        held = {c.key for c in plan.changes if c.key in letters and letters[c.key].holds_back(_fingerprint(c), at)}
        if held:
            plan.held = [c for c in plan.changes if c.key in held]
            plan.changes = [c for c in plan.changes if c.key not in held]
            log.info("flow %s: %d dead-lettered changes held back until their next retry", self.flow.name, len(held))
        return plan

    def _dead_letters(self, outcomes: list[PushOutcome], held: list[Change]) -> list[DeadLetter]:
        """The flow's live dead letters after a run: every refused change (one more attempt, a longer back-off),
        the held-back ones as they were, and those whose retry failed only transiently. The others were pushed
        fine, or are no longer planned (deleted or edited to agree at the source), and leave the list."""
        previous = {d.key: d for d in load_dead_letters(self.store, self.flow.name)}
        kept = [previous[c.key] for c in held if c.key in previous]
        kept += [previous[o.change.key] for o in outcomes if not o.ok and not o.permanent and o.change.key in previous]
        return kept + [self._dead_letter(o, previous.get(o.change.key)) for o in outcomes if o.permanent]

    def _dead_letter(self, outcome: PushOutcome, before: DeadLetter | None) -> DeadLetter:
        change: Change = outcome.change
        sink = self.sinks[change.target]
        failed = now()
        attempts = before.attempts + 1 if before else 1
        return DeadLetter(
            flow=self.flow.name,
            key=change.key,
            target=sink.name,
            op=change.op,
            a_id=change.a_id,
            b_id=change.b_id,
            request=sink.describe(change),
            status=outcome.status,
            response=outcome.response[:2000],
            reason=outcome.error[:1000],
            first_failed=before.first_failed if before else failed.isoformat(),
            last_failed=failed.isoformat(),
            attempts=attempts,
            fingerprint=_fingerprint(change),
            next_retry=(failed + retry_delay(attempts)).isoformat(),
        )


def _fingerprint(change: Change) -> str:
    return fingerprint(change.target, change.op, change.fields)
