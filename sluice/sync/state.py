"""A flow's durable sync state: links, the last-agreed values, conflicts and dead letters, as datasets.

Rule: links become durable through the journal the moment a create succeeds; the agreed
state only advances for changes the receiving side confirmed. Everything is folded into
ordinary datasets (``link_<flow>``, ``agreed_<flow>``, ``sync_conflicts``,
``sync_deadletters``) so notebooks and the CLI read it like any other data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pyarrow as pa

from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import SideFiles
from sluice.sync.dataflow import Dataflow
from sluice.sync.index import PairIndex
from sluice.sync.journal import Journal
from sluice.sync.merge import MISSING, Conflict
from sluice.sync.model import Link

CONFLICTS = "sync_conflicts"
DEADLETTERS = "sync_deadletters"
RETRY_FIRST, RETRY_CAP = timedelta(minutes=5), timedelta(days=1)
"""An unchanged dead letter is sent again 5 min after its first refusal, then 10, 20, 40 min ... at most a day."""


def _json(value: Any) -> str:
    return json.dumps(None if value is MISSING else value, sort_keys=True, default=str)


def now() -> datetime:
    return datetime.now(UTC)


def retry_delay(attempts: int) -> timedelta:
    """The back-off after the ``attempts``-th refusal of the same change: doubling from 5 minutes, capped at a day."""
    return min(RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 20), RETRY_CAP)


def fingerprint(target: str, op: str, fields: dict[str, Any]) -> str:
    """What a change would send, in short: a plan whose change has another fingerprint is sent again at once."""
    text = _json({"target": target, "op": op, "fields": fields})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DeadLetter:
    """A change the target refused for good: the request, the response and the reason (never a secret).

    The same change is held back until ``next_retry`` (see ``retry_delay``); a change that differs from the
    refused one (its ``fingerprint``: the source was edited) or ``sluice deadletters retry`` sends it sooner.
    """

    flow: str
    key: str
    target: str
    op: str
    a_id: str
    b_id: str | None
    request: dict[str, Any]
    status: int | None
    response: str
    reason: str
    first_failed: str
    last_failed: str
    attempts: int
    fingerprint: str = ""
    next_retry: str = ""
    """ISO time; empty: due now (also letters written before back-off existed)."""

    @property
    def id(self) -> str:
        return f"{self.flow}:{self.key}"

    def holds_back(self, change_fingerprint: str, at: datetime) -> bool:
        """True while the same refused change waits for its back-off."""
        if not self.next_retry or change_fingerprint != self.fingerprint:
            return False
        return at < datetime.fromisoformat(self.next_retry)

    def row(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "flow": self.flow,
            "key": self.key,
            "target": self.target,
            "op": self.op,
            "a_id": self.a_id,
            "b_id": self.b_id,
            "request": _json(self.request),
            "status": self.status,
            "response": self.response,
            "reason": self.reason,
            "first_failed": self.first_failed,
            "last_failed": self.last_failed,
            "attempts": self.attempts,
            "fingerprint": self.fingerprint,
            "next_retry": self.next_retry,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DeadLetter:
        return cls(
            flow=row["flow"],
            key=row["key"],
            target=row["target"],
            op=row["op"],
            a_id=row["a_id"],
            b_id=row.get("b_id"),
            request=json.loads(row["request"] or "{}"),
            status=row.get("status"),
            response=row.get("response") or "",
            reason=row.get("reason") or "",
            first_failed=row["first_failed"],
            last_failed=row["last_failed"],
            attempts=int(row.get("attempts") or 1),
            fingerprint=row.get("fingerprint") or "",
            next_retry=row.get("next_retry") or "",
        )


class FlowState:
    """Links and agreed state of one flow, read by id through the flow's index (never all at once), with
    what this process wrote on top; saved at the end of a run."""

    def __init__(self, store: DatasetStore, flow: Dataflow, files: SideFiles) -> None:
        """``files``: the root's sync state (the journal); the pair index is a local cache in its ``cache_dir``."""
        self.store = store
        self.flow = flow
        self.journal = Journal(files, f"{flow.name}.journal.jsonl")
        self.index = PairIndex(store, flow, files.cache_dir / f"{flow.name}.index.sqlite")
        self.fold_journal()
        self.index.catch_up()
        self.links: Overlay[Link] = Overlay(self.index.links, self.index.link_ids)
        self.agreed: Overlay[dict[str, Any]] = Overlay(self._agreed, self.index.agreed_ids)

    def _agreed(self, a_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {a_id: json.loads(row["state"]) for a_id, row in self.index.rows("agreed", a_ids).items()}

    def active_links(self) -> int:
        """Active links as the datasets hold them (a breaker's denominator)."""
        return self.index.active_links()

    # -- links ------------------------------------------------------------------------------

    def record_intents(self, a_ids: list[str]) -> None:
        """Before creates are sent (one fsync for all): if the process dies, or an answer is lost, the next
        run looks those records up by their external reference first instead of trusting the idempotency
        key alone (the shop forgets keys after 24 h, and a key reused with a changed body is refused)."""
        self.journal.append_many([{"kind": "intent", "a_id": a_id} for a_id in a_ids])

    def pending_intents(self) -> set[str]:
        """SuperOffice ids whose create was sent by a run that died before the link was folded (a recreate's
        SuperOffice id still has its closed link, so only active links resolve an intent)."""
        intents = {e["a_id"] for e in self.journal.read() if e.get("kind") == "intent"}
        links = self.links.many(intents)
        return {a_id for a_id in intents if a_id not in links or links[a_id].status != "active"}

    def record_link(self, link: Link, agreed: dict[str, Any] | None = None) -> None:
        """Durable at once (journal, fsynced); folded into the link dataset at the end of the run."""
        self.record_links([(link, agreed)])

    def record_links(self, links: list[tuple[Link, dict[str, Any] | None]]) -> None:
        """Links (each with its agreed state) confirmed together, e.g. by one batch: durable at once, in one
        journal write and one fsync, instead of one per link."""
        self.journal.append_many(
            [{"kind": "link", "a_id": k.a_id, "b_id": k.b_id, "how": k.how, "agreed": agreed} for k, agreed in links]
        )
        for link, agreed in links:
            self.links.put(link.a_id, link)
            if agreed is not None:
                self.agreed.put(link.a_id, agreed)

    def fold_journal(self) -> None:
        """Write the journal's links (and their agreed state) into the datasets, then clear it."""
        journal = self.journal.read()  # once: what is folded is what is cleared
        events = [e for e in journal if e.get("kind") == "link"]
        if events:
            stamp = now().isoformat()
            self.store.write(
                self.flow.link_dataset,
                [_link_row(Link(e["a_id"], e["b_id"], e["how"]), stamp) for e in events],
            )
            agreed = [_agreed_row(e["a_id"], e["b_id"], e["agreed"]) for e in events if e.get("agreed") is not None]
            if agreed:
                self.store.write(self.flow.agreed_dataset, agreed)
        linked = {e["a_id"] for e in events}
        unresolved = dict.fromkeys(e["a_id"] for e in journal if e.get("kind") == "intent" and e["a_id"] not in linked)
        self.journal.clear()
        self.record_intents(list(unresolved))  # still unresolved: keep each once, for the lookup

    def save(self, links: list[Link], agreed: dict[str, dict[str, Any]]) -> None:
        """End of run: closed and reopened links and the confirmed agreed state become datasets."""
        self.fold_journal()
        if links:
            stamp = now().isoformat()
            self.store.write(self.flow.link_dataset, [_link_row(link, stamp) for link in links])
            for link in links:
                self.links.put(link.a_id, link)
        known, old = self.links.many(agreed), self.agreed.many(agreed)
        rows = [
            _agreed_row(a_id, known[a_id].b_id, state)
            for a_id, state in agreed.items()
            if a_id in known and state != old.get(a_id)
        ]
        if rows:
            self.store.write(self.flow.agreed_dataset, rows)
            for row in rows:
                self.agreed.put(row["_id"], json.loads(row["state"]))


V = TypeVar("V")


class Overlay(Mapping[str, V]):
    """A read-only mapping by id over an index look-up, with this process's own writes on top (the index
    catches up with the datasets when the next run opens it). ``many`` is the batch look-up to use."""

    def __init__(self, fetch: Callable[[Iterable[str]], dict[str, V]], ids: Callable[[], list[str]]) -> None:
        self._fetch = fetch
        self._ids = ids
        self._own: dict[str, V] = {}

    def put(self, key: str, value: V) -> None:
        self._own[key] = value

    def many(self, keys: Iterable[str]) -> dict[str, V]:
        keys = set(keys)
        found = self._fetch(keys - self._own.keys())
        found.update({k: v for k, v in self._own.items() if k in keys})
        return found

    def __getitem__(self, key: str) -> V:
        return self.many([key])[key]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set(self._ids()) | self._own.keys()))

    def __len__(self) -> int:
        return len(set(self._ids()) | self._own.keys())


def _link_row(link: Link, stamp: str) -> dict[str, Any]:
    return {
        "_id": link.a_id,
        "a_id": link.a_id,
        "b_id": link.b_id,
        "how": link.how,
        "status": link.status,
        "note": link.note,
        "changed_at": stamp,
    }


def _agreed_row(a_id: str, b_id: str, state: dict[str, Any]) -> dict[str, Any]:
    return {"_id": a_id, "b_id": b_id, "state": _json(state)}


def declared_schemas(flows: Iterable[Dataflow]) -> dict[str, pa.Schema]:
    """The payload schemas of the state datasets these flows write (the rows built in this module), so a
    pipe that reads ``link_<flow>`` plans before the first sync wrote it. A test writes real rows and compares."""

    def texts(*names: str) -> list[tuple[str, pa.DataType]]:
        return [(name, pa.string()) for name in names]

    link = pa.schema(texts("a_id", "b_id", "how", "status", "note", "changed_at"))
    agreed = pa.schema(texts("b_id", "state"))
    schemas = {
        CONFLICTS: pa.schema(
            texts("flow", "a_id", "b_id", "field", "superoffice_value", "customwebshop_value", "agreed_value")
            + texts("winner", "resolved_value", "detected_at")
        ),
        DEADLETTERS: pa.schema(
            [
                *texts("flow", "key", "target", "op", "a_id", "b_id", "request"),
                ("status", pa.int64()),
                *texts("response", "reason", "first_failed", "last_failed"),
                ("attempts", pa.int64()),
                *texts("fingerprint", "next_retry"),
            ]
        ),
    }
    for flow in flows:
        schemas[flow.link_dataset] = link
        schemas[flow.agreed_dataset] = agreed
    return schemas


def record_conflicts(store: DatasetStore, flow: str, conflicts: list[tuple[str, str, Conflict]]) -> int:
    """Append conflicts; the same conflict seen again on a later run is not recorded twice."""
    rows = []
    stamp = now().isoformat()
    for a_id, b_id, c in conflicts:
        values = [_json(c.a), _json(c.b), _json(c.base), _json(c.value)]
        digest = hashlib.md5("|".join(values).encode(), usedforsecurity=False).hexdigest()[:12]
        rows.append(
            {
                "_id": f"{flow}:{a_id}:{c.field}:{digest}",
                "flow": flow,
                "a_id": a_id,
                "b_id": b_id,
                "field": c.field,
                "superoffice_value": values[0],
                "customwebshop_value": values[1],
                "agreed_value": values[2],
                "winner": "superoffice" if c.winner == "a" else "customwebshop",
                "resolved_value": values[3],
                "detected_at": stamp,
            }
        )
    if not rows:
        return 0
    return store.write(CONFLICTS, rows).new


def load_dead_letters(store: DatasetStore, flow: str | None = None) -> list[DeadLetter]:
    if not store.exists(DEADLETTERS):
        return []
    letters = [DeadLetter.from_row(r) for r in store.current_arrow(DEADLETTERS).to_pylist()]
    return [d for d in letters if flow is None or d.flow == flow]


def replace_dead_letters(store: DatasetStore, flow: str, current: list[DeadLetter], scope: set[str] | None) -> None:
    """The flow's dead letters become ``current``: those retried with success disappear (tombstones).

    ``scope`` limits which of the flow's old letters this run could have resolved (None: all of them).
    """
    keep = [
        d
        for d in load_dead_letters(store)
        if d.flow != flow or (scope is not None and d.a_id not in scope and d.key not in {c.key for c in current})
    ]
    rows = [d.row() for d in keep + current]
    if rows or store.exists(DEADLETTERS):
        store.write(DEADLETTERS, rows, full=True, force=True)


def release_dead_letters(store: DatasetStore, flow: str | None = None) -> list[str]:
    """Make every dead letter (of ``flow``) due now, for ``sluice deadletters retry``; returns their flows."""
    letters = load_dead_letters(store)
    released = [replace(d, next_retry="") if flow in (None, d.flow) else d for d in letters]
    if released != letters:
        store.write(DEADLETTERS, [d.row() for d in released], full=True, force=True)
    return sorted({d.flow for d in letters if flow in (None, d.flow)})
