"""Pull one entity of one system into its dataset, incrementally by a stored watermark.

Rule: the watermark is stored only after the dataset write succeeded, so a run that dies
mid-pull re-reads (change detection drops the repeats) and never skips a change. A full
pull (``full=True``, or the first one) also tombstones what the source no longer returns,
behind the dataset's circuit breaker: a source that suddenly returns nothing wipes nothing.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from sluice.datasets import DatasetStore, WriteStats


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
    """What a client read returns: records to iterate once, then the watermark for the next read."""

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


@dataclass(frozen=True)
class PullResult:
    system: str
    entity: str
    dataset: str
    mode: str
    read: int
    stats: WriteStats
    watermark: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "entity": self.entity,
            "dataset": self.dataset,
            "mode": self.mode,
            "read": self.read,
            "watermark": self.watermark,
            **self.stats.as_dict(),
        }


class Watermarks:
    """Per-dataset watermarks in one small JSON file, replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def all(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text() or "{}")

    def get(self, dataset: str) -> str | None:
        return self.all().get(dataset)

    def set(self, dataset: str, value: str) -> None:
        with self._lock:
            values = self.all()
            values[dataset] = value
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(values, indent=2, sort_keys=True))
            os.replace(tmp, self.path)


def pull(
    store: DatasetStore, source: Source, watermarks: Watermarks, *, full: bool = False, force: bool = False
) -> PullResult:
    """Read the source (all of it, or since its watermark) into its dataset; store the new watermark."""
    since = None if full or not store.exists(source.dataset) else watermarks.get(source.dataset)
    stream = source.read(since)
    counted = _Counter(source.prepare(r) for r in stream)
    records = iter(counted)
    first = next(records, None)
    rows: Any = (
        itertools.chain([first], records) if first is not None else pa.table({source.key: pa.array([], pa.null())})
    )
    stats = store.write(
        source.dataset, rows, key=source.key, id_prefix=source.id_prefix, full=since is None, force=force
    )
    mark = str(stream.watermark)
    watermarks.set(source.dataset, mark)
    return PullResult(
        source.system, source.entity, source.dataset, "full" if since is None else "incremental",
        counted.count, stats, mark,
    )  # fmt: skip


class _Counter:
    """Counts records as the store consumes them (reads stream; nothing is held twice)."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self._records = records
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for record in self._records:
            self.count += 1
            yield record
