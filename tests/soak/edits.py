"""The campaign's model of what users changed, shared by every flow's adapter, and the no-lost-update judgement.

Rule: the model is the edits themselves. Each user action records, per mapped field it changed, the value the
user left and the value the side held before. At a check every field must hold its last edit, or a value that
won a recorded conflict (``sync_conflicts``), and every field nobody edited must be where the base had it. The
base is the last state both systems were seen to agree on: the checkpoint, or for one field a later moment an
unchecked sync left both sides equal (``settle``; see ``ContactCustomer.observe`` for why, seed 1203).
Values are compared in their normalised form (``sluice.sync.merge.normalize``): the adapters' views give
numbers as ``Decimal`` and texts as they are, so ``"2.0"`` and ``2`` agree and blanks do not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sluice.project import Project
from sluice.sync.merge import normalize
from tests.soak.figures import LOST, Violation


@dataclass(frozen=True)
class Edit:
    """One mapped field a user changed: on which side, of which record (the SuperOffice id), to what, from what."""

    side: str
    record: str
    field: str
    value: Any
    before: Any
    derived: bool = False
    """Not made on this record but following from an edit of another (an order's sale edited through a sibling
    order): expected at the next check, never settled early (the other record's edit may not have moved yet)."""
    source: str | None = None
    """The record a derived edit follows from."""


@dataclass(frozen=True)
class Settled:
    """A field both systems held equally after an unchecked (faulty or killed) sync: the edits made before are
    judged against that value at the next check, and the value is the field's base from then on."""

    record: str
    field: str
    edits: tuple[Edit, ...]
    value: Any


@dataclass
class EditLog:
    """What the users did since the last clean check, and the state that check agreed on."""

    what: str = "record"
    """How findings name a record ("contact 3")."""
    base: dict[str, dict[str, Any]] = field(default_factory=dict)
    """record -> mapped fields both systems held at the last checkpoint."""
    edits: list[Edit] = field(default_factory=list)
    settled: list[Settled] = field(default_factory=list)
    story: list[str] | None = None
    """The world's story, when the adapter hands it over: edits and settled fields are told there."""
    either: dict[tuple[str, str], set[Any]] = field(default_factory=dict)
    """(record, field) -> values it may also hold: what a derived edit would have left, once the record it
    followed from was deleted before a check (``forget``). Whether that edit moved before the delete is timing."""

    def record_edit(
        self,
        side: str,
        record: str,
        before: dict[str, Any],
        after: dict[str, Any],
        fields: Iterable[str],
        source: str | None = None,
    ) -> list[str]:
        """Note every field in ``fields`` the action changed; returns their names. ``source``: the record whose edit
        this one follows from (a derived edit)."""
        changed = [name for name in fields if after.get(name) != before.get(name)]
        derived = source is not None
        self.edits += [Edit(side, record, name, after.get(name), before.get(name), derived, source) for name in changed]
        self.tell(
            f"  {side} {self.what} {record}: "
            + ", ".join(f"{n} {before.get(n)!r} -> {after.get(n)!r}" for n in changed)
        )
        return changed

    def tell(self, line: str) -> None:
        if self.story is not None:
            self.story.append(line)

    def terms(self, name: str, value: Any) -> Any:
        """A conflict's resolved value (as ``sync_conflicts`` stores it) in the adapter's views' terms."""
        return value

    def forget(self, record: str) -> None:
        """A record out of the sync by policy (deleted in the shop): its pending edits are expected nowhere, and
        the edits that follow from them (on its sibling orders) may or may not have happened: a sync that read the
        edit before the delete carried it to the sale, one that did not never saw it (seed 40062)."""
        following = [e for e in self.edits if e.source == record]
        for e in following:
            self.either.setdefault((e.record, e.field), set()).add(normalize(e.value))
        self.edits = [e for e in self.edits if e.record != record and e not in following]
        self.settled = [s for s in self.settled if s.record != record]

    def pending(self) -> set[str]:
        return {e.record for e in self.edits}

    def settle(self, record: str, a: dict[str, Any], b: dict[str, Any], fields: Iterable[str]) -> None:
        """After an unchecked sync: each edited field of ``record`` both sides (``a``, ``b``) hold equally is
        settled at that value, and becomes the field's base."""
        for name in fields:
            edits = tuple(e for e in self.edits if e.record == record and e.field == name)
            value = normalize(a.get(name))
            if not edits or any(e.derived for e in edits) or value != normalize(b.get(name)):
                continue
            self.settled.append(Settled(record, name, edits, value))
            self.tell(f"  settled {self.what} {record} {name} at {value!r}")
            self.edits = [e for e in self.edits if e not in edits]
            if record in self.base:  # a record created in the window has no base yet
                self.base[record][name] = a.get(name)

    def judge(self, record: str, held: dict[str, Any], fields: Iterable[str], conflicts: list[dict[str, Any]]):
        """The violations of one record both sides now agree on (``held``): unedited fields that moved, and
        edits neither kept nor recorded as a conflict they lost."""
        found = []
        base = self.base.get(record, {})
        for name in fields:
            value = normalize(held.get(name))
            edits = [e for e in self.edits if e.record == record and e.field == name]
            if value in self.either.get((record, name), ()):
                continue
            if not edits:
                if record in self.base and value != normalize(base.get(name)):
                    detail = f"{self.what} {record} {name}: {base.get(name)!r} -> {held.get(name)!r}"
                    found.append(Violation("nothing changes unedited", detail))
                continue
            if not edit_kept(edits, value) and not conflict_won(conflicts, record, name, value, self.terms):
                wanted = [(e.side, e.value) for e in edits]
                found.append(Violation(LOST, f"{self.what} {record} {name} holds {held.get(name)!r}; edits {wanted}"))
        return found

    def judge_settled(self, conflicts: list[dict[str, Any]], records: set[str] | None = None) -> list[Violation]:
        """The settled fields judged as a check judges, at the value they settled on."""
        found = []
        for s in self.settled:
            if records is not None and s.record not in records:
                continue
            won = conflict_won(conflicts, s.record, s.field, s.value, self.terms)
            if not edit_kept(list(s.edits), s.value) and not won:
                wanted = [(e.side, e.value) for e in s.edits]
                found.append(
                    Violation(LOST, f"{self.what} {s.record} {s.field} settled on {s.value!r}; edits {wanted}")
                )
        return found

    def restart(self, base: dict[str, dict[str, Any]]) -> None:
        """The systems agree now: ``base`` is the next window's start."""
        self.base, self.edits, self.settled, self.either = base, [], [], {}


def edit_kept(edits: list[Edit], value: Any) -> bool:
    """The field holds the last edit, or the last edit undid its own side's earlier ones (a net no-op there) and
    the value is what another side's edit left."""
    last = edits[-1]
    if value == normalize(last.value):
        return True
    same_side = [e for e in edits if e.side == last.side]
    undone = normalize(same_side[0].before) == normalize(last.value)
    return undone and value in {normalize(e.value) for e in edits if e.side != last.side}


def conflict_won(
    conflicts: list[dict[str, Any]],
    record: str,
    name: str,
    value: Any,
    terms: Callable[[str, Any], Any] = lambda name, value: value,
) -> bool:
    """A recorded conflict on this field resolved to the held value (read in the adapter's ``terms``): the other
    edit lost, and it says so."""
    return any(
        row["a_id"] == record
        and row["field"] == name
        and normalize(terms(name, json.loads(row["resolved_value"]))) == value
        for row in conflicts
    )


def conflicts(project: Project, flow: str) -> list[dict[str, Any]]:
    """The flow's ``sync_conflicts`` rows."""
    table = project.conflicts()
    return [r for r in table.to_pylist() if r.get("flow") == flow] if table.num_rows else []


def active_links(project: Project, flow: str) -> dict[str, str]:
    """SuperOffice id -> shop id of the flow's active links."""
    table = project.links(flow)
    return {r["a_id"]: r["b_id"] for r in table.to_pylist() if r["status"] == "active"} if table.num_rows else {}


def dead_letters(project: Project, flow: str, what: str) -> list[Violation]:
    """Every value the campaign generates is valid for both systems: a dead letter is a finding."""
    return [
        Violation("no dead letter", f"{d.op} of {what} {d.a_id}: {d.status} {d.reason}"[:300])
        for d in project.dead_letters(flow)
    ]
