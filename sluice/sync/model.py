"""The values that cross the sync layer: records in a common vocabulary, links, plans and results.

Rule: frozen dataclasses only, no behaviour beyond small derived properties; the engine,
sinks and front ends pass these (or dataset names), never DataFrames.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sluice.sync.merge import Conflict

Op = Literal["create", "update", "deactivate", "delete"]

DELETED_IN_A = "deleted in SuperOffice"
"""The note of a link closed because its SuperOffice record went: it reopens when the record comes back."""
DELETED_IN_B = "deleted in the shop"
"""The note of a link closed because its shop record went: later edits go by ``on_target_deleted``."""


@dataclass(frozen=True)
class SideRecord:
    """One record of one side, mapped to the common (shop) vocabulary by its pipe.

    ``fields`` are flat (dotted names); ``updated`` drives the conflict policy; ``version`` is what
    the side's optimistic-concurrency check needs (the shop's ``version``, SuperOffice's UpdatedDate).
    """

    id: str
    fields: dict[str, Any]
    updated: datetime | None = None
    version: str | None = None
    deleted: bool = False
    scope: str | None = None
    """Which part of the side the record belongs to (a SuperOffice price list): a flow syncs one scope."""
    invalid: str | None = None
    """Why the record cannot be synced as it is (a price that is not a number): skipped and reported."""
    waiting: str | None = None
    """Why the record cannot go out yet (a reference another flow has not linked): skipped, reported as waiting,
    never dead-lettered; it goes out in the run that links it."""
    locked: str | None = None
    """Why side a takes no edits from side b now (a quote version that is no longer a draft): side a's values
    win every field, and a shop edit, add or removal is undone and reported as a conflict."""


@dataclass(frozen=True)
class Link:
    """A SuperOffice record (``a_id``) and the shop record (``b_id``) it is kept in sync with."""

    a_id: str
    b_id: str
    how: Literal["created", "matched"] = "created"
    status: Literal["active", "closed"] = "active"
    note: str = ""


@dataclass(frozen=True)
class Change:
    """One write a sink must make: a create, an update of some fields, a deactivation, or a delete (side a only:
    a shop-removed order line deletes its quote line). A create on side a (a shop-added line) has the id it
    will be known by on side a as ``a_id`` (the flow's ``born_in_b`` prefix and the shop id) and its shop id.

    ``key`` is the stable identity of the change (its idempotency key and dead-letter id).
    """

    op: Op
    target: Literal["a", "b"]
    a_id: str
    b_id: str | None
    fields: dict[str, Any]
    version: str | None = None
    lookup_first: bool = False
    """A create an earlier run may have sent already (its answer was lost): look it up before creating."""
    replaces: str | None = None
    """A create that replaces this deleted shop record (``on_target_deleted = "recreate"``): part of its
    idempotency key, so it never replays the create that made the deleted one."""

    @property
    def key(self) -> str:
        return f"{self.target}:{self.op}:{self.a_id}"


@dataclass(frozen=True)
class Ambiguity:
    """A SuperOffice record whose natural key matched several shop records (or vice versa): not guessed."""

    a_id: str
    key: str
    value: str
    candidates: tuple[str, ...]
    rivals: tuple[str, ...] = ()
    """Other SuperOffice records that matched the same single shop record."""


@dataclass(frozen=True)
class Stranded:
    """A SuperOffice record edited (or restored) after its shop record was deleted: the change went nowhere."""

    a_id: str
    b_id: str
    fields: tuple[str, ...]
    reason: str


@dataclass
class Plan:
    """Everything one flow's reconciliation decided, before anything is sent."""

    changes: list[Change] = field(default_factory=list)
    new_links: list[Link] = field(default_factory=list)
    closed_links: list[Link] = field(default_factory=list)
    reopened_links: list[Link] = field(default_factory=list)
    """Links closed when their SuperOffice record went, whose record is back: active once the shop confirms."""
    stranded: list[Stranded] = field(default_factory=list)
    """Edits that went nowhere because their link is closed (``on_target_deleted = "close"``), each reported once."""
    conflicts: list[tuple[str, str, Conflict]] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)
    agreed: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The new last-agreed state per ``a_id``, valid once every change of that pair is confirmed."""
    invalid: list[tuple[str, SideRecord]] = field(default_factory=list)
    """Records skipped because their data cannot be synced (side, record): reported as dead letters."""
    waiting: list[tuple[str, str]] = field(default_factory=list)
    """Side-a records waiting (``a_id``, why) for a reference or for a pull to read their pair: neither sent,
    deactivated nor dead-lettered."""
    held: list[Change] = field(default_factory=list)
    """Changes a dead letter holds back (refused before, unchanged, inside their back-off): not sent this run."""

    def of(self, target: str, op: Op) -> list[Change]:
        return [c for c in self.changes if c.target == target and c.op == op]


@dataclass(frozen=True)
class PushOutcome:
    """What happened to one change: confirmed (with the record the target answered) or failed (and how)."""

    change: Change
    ok: bool
    record: dict[str, Any] | None = None
    error: str = ""
    status: int | None = None
    permanent: bool = False
    new_b_id: str | None = None
    response: str = ""


@dataclass
class SinkResult:
    """Per-sink counts for reports and artifacts."""

    sink: str
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    failed: int = 0
    dead_lettered: int = 0
    seconds: float = 0.0
    """How long the push took (requests, retries and waits for the rate limit included)."""

    @property
    def writes(self) -> int:
        return self.created + self.updated + self.deactivated + self.failed

    @property
    def writes_per_second(self) -> float:
        return self.writes / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["writes_per_second"] = round(self.writes_per_second, 1)
        return data
