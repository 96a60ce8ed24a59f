"""Which pairs an incremental reconcile looks at: what moved since the last commit, plus pending work.

Rule: the cursor (the datasets' offsets a plan saw, and the pairs it left unsettled) advances only
when a run commits (``FlowRunner.finish``), and always to the offsets its plan observed, so a run
that dies re-does its work and a row written while it ran is seen again. No cursor, a cursor of
another flow declaration, or a dataset replaced behind it: the run reconciles everything.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import SideFiles
from sluice.sync.dataflow import Dataflow
from sluice.sync.index import PairIndex, flow_datasets
from sluice.sync.model import Plan

ROLES = ("a", "b", "link", "agreed")


ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
"""The memory address in a default repr (``<function _set.<locals>.setter at 0x7f..>``): differs per process."""


def flow_key(flow: Dataflow) -> str:
    """The declaration a cursor belongs to: other fields or policies make the old plans' verdicts void. The
    same declaration gives the same key in every process (a declaration holds functions, whose repr names
    their address), else every new process would find the cursor void and reconcile everything."""
    return hashlib.sha256(ADDRESS.sub("", repr(flow)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Cursor:
    """What a committed run settled: every row up to ``offsets`` (per role), except the ``pending`` pairs."""

    flow: str
    offsets: dict[str, int]
    pending: tuple[str, ...] = ()
    key: str = ""

    def to_json(self) -> str:
        return json.dumps({"flow": self.flow, "key": self.key, "offsets": self.offsets, "pending": self.pending})

    @classmethod
    def from_json(cls, text: str) -> Cursor:
        data = json.loads(text)
        offsets = {role: int(data["offsets"][role]) for role in ROLES}
        return cls(data["flow"], offsets, tuple(str(i) for i in data.get("pending", ())), data.get("key", ""))


def observe(store: DatasetStore, flow: Dataflow, pending: Iterable[str] = ()) -> Cursor:
    """The offsets a plan starts from (read before any row is): the cursor its commit will write."""
    offsets = {role: store.last_offset(name) for role, name in flow_datasets(flow).items()}
    return Cursor(flow.name, offsets, tuple(sorted(set(pending))), flow_key(flow))


def cursor_name(flow: Dataflow) -> str:
    return f"{flow.name}.cursor.json"


def load_cursor(files: SideFiles, flow: Dataflow) -> Cursor | None:
    """The committed cursor, or None (never committed, damaged, or written for another declaration)."""
    try:
        cursor = Cursor.from_json((files.read(cursor_name(flow)) or b"").decode())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return cursor if cursor.flow == flow.name and cursor.key == flow_key(flow) else None


def save_cursor(files: SideFiles, cursor: Cursor) -> None:
    """Atomically (``SideFiles.write``): a commit either moved the cursor or did not."""
    files.write(f"{cursor.flow}.cursor.json", cursor.to_json().encode())


def touched(plan: Plan) -> set[str]:
    """Every pair a plan did something about: reconciled again by the next run whatever moves, so a failed
    push, a held dead letter, a create still to make or an ambiguity is never left behind."""
    ids = {c.a_id for c in plan.changes + plan.held}
    ids |= {link.a_id for link in plan.new_links + plan.closed_links + plan.reopened_links}
    ids |= {s.a_id for s in plan.stranded} | {a.a_id for a in plan.ambiguous} | {a_id for a_id, _, _ in plan.conflicts}
    return ids


def moved_since(store: DatasetStore, flow: Dataflow, index: PairIndex, cursor: Cursor) -> set[str] | None:
    """SuperOffice ids whose record, link or agreed state, or whose linked shop record, has a version beyond
    the cursor (tombstones included); None when a dataset is behind the cursor (deleted or replaced)."""
    ids: set[str] = set()
    shop: set[str] = set()
    for role, name in flow_datasets(flow).items():
        since = cursor.offsets[role]
        last = store.last_offset(name) if store.exists(name) else -1
        if last < since:
            return None
        if last == since:
            continue
        changed = store.changes(name, since).column("_id").to_pylist()
        (shop if role == "b" else ids).update(str(i) for i in changed)
    linked = index.links_to(shop)
    prefix = flow.declaration.born_in_b if flow.declaration is not None else None
    if prefix:  # a shop record no link names is a create in side a, under the id it will have there
        ids |= {prefix + b_id for b_id in shop - {link.b_id for link in linked}}
    return ids | {link.a_id for link in linked}
