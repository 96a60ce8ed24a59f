"""Pull one entity of one system into its dataset, incrementally by a stored watermark.

Rule: the watermark is stored only after the dataset write succeeded, and only when every record
the source listed arrived and could be typed; otherwise it stays where it was, so the next run
re-reads (change detection drops the repeats) and never skips a change. A record that could not be
fetched or typed is set aside, not a stop: a dead letter (flow ``pull``, target the dataset) names
its id, never its values, and lasts until a read no longer fails on it. A full pull
(``full=True``, or one without a watermark) also tombstones what the source no longer returns, but
never an id it set aside, behind the dataset's circuit breaker: a source that suddenly returns
nothing wipes nothing. A source with a ``scan`` makes a full pull cheap: it lists every key and
fetches only those the dataset does not hold or that may have changed since the stored watermark,
and the keys it vouched for are kept, not tombstoned; ``deep`` re-reads every record instead. A read
that fails as a whole (a list page, the credentials) raises ``PullFailed`` and writes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from sluice.datasets import DatasetStore, WriteStats
from sluice.datasets.batch import fit_rows
from sluice.datasets.hashing import quote_ident
from sluice.datasets.sidefiles import SideFiles
from sluice.errors import ApiError, SluiceError
from sluice.sync.state import DeadLetter, load_dead_letters, now, replace_dead_letters

PULL = "pull"
"""The ``flow`` of a pull's dead letters (their ``target`` is the dataset)."""


class PullFailed(SluiceError):
    """A read failed as a whole (after retries): nothing was written and the watermark did not move."""

    def __init__(self, message: str, dataset: str) -> None:
        super().__init__(message)
        self.dataset = dataset

    def __reduce__(self) -> tuple[Any, ...]:
        return (PullFailed, (self.args[0], self.dataset))


def drop_empty_objects(value: Any) -> Any:
    """A copy without empty objects at any depth: ``{}`` carries no data, and Parquet cannot store an
    empty struct (SuperOffice carriers are full of ``"CustomFields": {}``)."""
    if isinstance(value, dict):
        cleaned = {k: drop_empty_objects(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v != {}}
    if isinstance(value, list):
        return [drop_empty_objects(v) for v in value]
    return value


class ReadStream(Protocol):
    """What a client read returns: records to iterate once, then the watermark for the next read (None:
    nothing to resume from). A stream may also carry ``failed``, ``{key: ApiError}`` for the records it
    listed but could not fetch."""

    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    @property
    def watermark(self) -> Any: ...


@dataclass(frozen=True)
class Source:
    """One pullable entity: its dataset, key, id namespace and how to read it since a watermark."""

    system: str
    entity: str
    dataset: str
    key: str
    id_prefix: str
    read: Callable[[str | None], ReadStream]
    """``read(None)`` reads everything; ``read(watermark)`` what changed since it."""
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = drop_empty_objects
    """Turns one record into a dataset row."""
    scan: Callable[[str, dict[Any, Any]], ReadStream] | None = None
    """A cheap full read, ``scan(watermark, held)``: ``held`` maps each key the dataset holds to its
    ``stamp`` value; the stream's ``kept`` names the keys it listed but did not fetch (unchanged).
    None: a full pull is ``read(None)`` (already cheap, or nothing cheaper exists)."""
    stamp: str | None = None
    """The dataset column with each record's change time at the source (handed to ``scan``)."""


@dataclass(frozen=True)
class PullResult:
    """One pull: ``read`` records arrived; ``unread`` were listed but could not be fetched; ``rejected``
    arrived but could not be typed; ``kept`` were listed by a cheap full pull and not fetched (unchanged).
    ``watermark`` is the one stored (the old one when anything failed). ``mode``: ``incremental``,
    ``full`` or ``deep`` (every record re-read although a cheap full pull was possible)."""

    system: str
    entity: str
    dataset: str
    mode: str
    read: int
    stats: WriteStats
    watermark: str | None
    unread: int = 0
    rejected: int = 0
    kept: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return self.unread + self.rejected

    @property
    def rows(self) -> int:
        """The records this pull went through: those it read, and those it listed and kept."""
        return self.read + self.kept

    @property
    def rows_per_second(self) -> float:
        return rate(self.rows, self.seconds)

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "entity": self.entity,
            "dataset": self.dataset,
            "mode": self.mode,
            "read": self.read,
            "unread": self.unread,
            "rejected": self.rejected,
            "failed": self.failed,
            "watermark": self.watermark,
            "kept": self.kept,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            **self.stats.as_dict(),
        }


def rate(rows: int, seconds: float) -> float:
    """Rows per second; 0 when nothing was timed."""
    return rows / seconds if seconds > 0 else 0.0


class Watermarks:
    """Per-dataset watermarks in one small JSON object beside the datasets (``ROOT/.sync/watermarks.json``).

    Each ``set`` is a read-modify-write that keeps the other datasets' marks even when pulls of several
    datasets run at once in other processes or on other machines (``SideFiles.update``)."""

    def __init__(self, files: SideFiles, name: str = "watermarks.json") -> None:
        self.files = files
        self.name = name

    def all(self) -> dict[str, str]:
        return _marks(self.files.read(self.name))

    def get(self, dataset: str) -> str | None:
        """The stored watermark; None when there is none (``"None"`` is what an empty read stored before 0.2)."""
        value = self.all().get(dataset)
        return value if isinstance(value, str) and value.strip() and value != "None" else None

    def set(self, dataset: str, value: str | None) -> None:
        """Store ``value``; None removes the dataset's watermark (the next pull reads everything)."""

        def change(old: bytes | None) -> bytes:
            values = _marks(old)
            if value is None:
                values.pop(dataset, None)
            else:
                values[dataset] = value
            return json.dumps(values, indent=2, sort_keys=True).encode()

        self.files.update(self.name, change)


def _marks(data: bytes | None) -> dict[str, str]:
    return json.loads(data) if data and data.strip() else {}


@dataclass
class _Failure:
    """One record set aside: its dataset ``_id``, its source key, and why (never its values)."""

    id: str
    key: Any
    op: str
    status: int | None
    reason: str


def pull(
    store: DatasetStore,
    source: Source,
    watermarks: Watermarks,
    *,
    full: bool = False,
    deep: bool = False,
    force: bool = False,
) -> PullResult:
    """Read the source (all of it, or since its watermark) into its dataset; store the new watermark
    unless a record failed; replace the dataset's pull dead letters with this read's failures.

    ``full`` lists everything and tombstones what is gone, cheaply where the source can scan; ``deep``
    is a full pull that re-reads every record."""
    started = time.monotonic()
    stored = watermarks.get(source.dataset) if store.exists(source.dataset) else None
    since = None if full or deep else stored
    stream, records = _read(source, _opener(store, source, since, stored, deep))
    unread = [
        _Failure(_id(source, key), key, "read", exc.status, str(exc)[:1000])
        for key, exc in (getattr(stream, "failed", None) or {}).items()
    ]
    kept = frozenset(_id(source, key) for key in getattr(stream, "kept", None) or ())
    rows, rejected = _typed(store, source, records)
    failures = unread + rejected
    stats = store.write(
        source.dataset, rows, key=source.key, id_prefix=source.id_prefix, full=since is None, force=force,
        spare=kept | frozenset(f.id for f in failures),
    )  # fmt: skip
    if failures:
        mark = watermarks.get(source.dataset)  # held: the next run re-reads what failed
    else:
        mark = None if stream.watermark is None else str(stream.watermark)
        watermarks.set(source.dataset, mark)
    _record_failures(store, source, failures)
    mode = "incremental" if since is not None else "deep" if deep and source.scan is not None else "full"
    return PullResult(
        source.system, source.entity, source.dataset, mode, len(records), stats, mark,
        unread=len(unread), rejected=len(rejected), kept=len(kept), seconds=time.monotonic() - started,
    )  # fmt: skip


def _opener(
    store: DatasetStore, source: Source, since: str | None, stored: str | None, deep: bool
) -> Callable[[], ReadStream]:
    """How this pull reads: since the watermark; a scan (a full pull the watermark and the dataset
    make cheap); or everything (deep, the first pull, a source without a scan)."""
    scan = source.scan
    if since is None and not deep and stored is not None and scan is not None:
        return lambda: scan(stored, _held(store, source))
    return lambda: source.read(since)


def _read(source: Source, start: Callable[[], ReadStream]) -> tuple[ReadStream, list[dict[str, Any]]]:
    """The stream ``start()`` opens and its prepared records; a read that breaks off as a whole raises
    ``PullFailed``."""
    try:
        stream = start()
        return stream, [source.prepare(r) for r in stream]
    except ApiError as exc:
        raise PullFailed(
            f"pull {source.dataset} failed: {exc}; nothing was written, the next run reads it again",
            source.dataset,
        ) from exc


def _held(store: DatasetStore, source: Source) -> dict[Any, Any]:
    """Each live record's key and ``stamp`` value, for a scan; a record with a pull dead letter is left
    out, so the scan fetches it again whatever its list row says."""
    stamp = quote_ident(source.stamp) if source.stamp and source.stamp in store.columns(source.dataset) else "NULL"
    rows = store.current(source.dataset).query(
        "c", f"SELECT {quote_ident(source.key)}, {stamp} FROM c WHERE {quote_ident(source.key)} IS NOT NULL"
    )
    failed = {d.a_id for d in load_dead_letters(store, PULL) if d.target == source.dataset}
    return {key: value for key, value in rows.fetchall() if _id(source, key) not in failed}


def _id(source: Source, key: Any) -> str:
    return f"{source.id_prefix}:{key}"


def _typed(store: DatasetStore, source: Source, records: list[dict[str, Any]]) -> tuple[pa.Table, list[_Failure]]:
    """The records that have a key and fit the dataset's types, as a table, and those set aside."""
    keyed = [r for r in records if r.get(source.key) is not None]
    failures = [
        _Failure(_id(source, f"row-{n}"), None, "type", None, f"the record has no {source.key!r}")
        for n, r in enumerate(records)
        if r.get(source.key) is None
    ]
    fitted = fit_rows(keyed, source.dataset, store.columns(source.dataset))
    for reject in fitted.rejected:
        key = keyed[reject.position][source.key]
        failures.append(_Failure(_id(source, key), key, "type", None, f"cannot be stored: {reject.reason}"))
    if fitted.table.num_rows == 0:
        return pa.table({source.key: pa.array([], pa.null())}), failures
    return fitted.table, failures


def set_aside(store: DatasetStore, dataset: str) -> list[DeadLetter]:
    """The records of ``dataset`` its last pull listed but could not fetch or type (its pull dead letters): a
    look-up that finds nothing in the dataset may be looking for one of them, and must say so."""
    return [d for d in load_dead_letters(store, PULL) if d.target == dataset]


def unread_error(dataset: str, letters: list[DeadLetter], looked_for: str) -> PullFailed:
    """A ``PullFailed`` for a look-up the set-aside records of ``dataset`` cut short: which records, and how
    their reads failed (the HTTP status), so the operator waits for the next run instead of reconfiguring."""
    ids = ", ".join(str(d.request.get("id", d.a_id)) for d in letters[:5]) + (" …" if len(letters) > 5 else "")
    how = ", ".join(sorted({f"HTTP {d.status}" if d.status else d.op for d in letters}))
    return PullFailed(
        f"{looked_for}: the last pull of {dataset} could not read record {ids} ({how}), which may be the one "
        "looked for; nothing was changed for it, the next run reads it again",
        dataset,
    )


def _record_failures(store: DatasetStore, source: Source, failures: list[_Failure]) -> None:
    """This read's failures become the dataset's pull dead letters, all others leave: the read started at
    the watermark the failed reads held, so it listed every record changed since; one it did not list
    is stored as it is, and a clean read leaves the dataset complete."""
    previous = {d.key: d for d in load_dead_letters(store, PULL) if d.target == source.dataset}
    if not failures and not previous:
        return
    stamp = now().isoformat()
    current = []
    for f in failures:
        before = previous.get(f.id)
        current.append(
            DeadLetter(
                flow=PULL, key=f.id, target=source.dataset, op=f.op, a_id=f.id, b_id=None,
                request={"dataset": source.dataset, "id": f.key}, status=f.status, response="", reason=f.reason,
                first_failed=before.first_failed if before else stamp, last_failed=stamp,
                attempts=before.attempts + 1 if before else 1,
            )
        )  # fmt: skip
    replace_dead_letters(store, PULL, current, set(previous) | {f.id for f in failures})
