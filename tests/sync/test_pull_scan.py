"""``pull`` with a source that can scan: a full pull keeps what the scan vouched for, tombstones the rest,
and keeps the pull's guarantees (watermark after the write, failures held, dead letters re-fetched).

The source is in memory (the pull loop has no HTTP of its own); the store is real."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import LocalSideFiles
from sluice.errors import CircuitBreakerTripped, TransientError
from sluice.sync.pull import PULL, Source, Watermarks, pull
from sluice.sync.state import load_dead_letters

DATASET = "superoffice_contact"


@dataclass
class Scan:
    """A finished scan: the records it fetched, the keys it kept, the keys it could not fetch."""

    records: list[dict[str, Any]]
    watermark: str
    kept: set[int] = field(default_factory=set)
    failed: dict[int, Exception] = field(default_factory=dict)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield from self.records


@dataclass
class Tenant:
    """Answers reads with every record and scans with the next scripted ``Scan``; remembers what it held."""

    records: list[dict[str, Any]]
    scans: list[Scan] = field(default_factory=list)
    held: list[dict[Any, Any]] = field(default_factory=list)
    reads: int = 0

    def read(self, since: str | None) -> Scan:
        self.reads += 1
        return Scan(list(self.records), "2026-12-01T10:00:00+00:00")

    def scan(self, since: str, held: dict[Any, Any]) -> Scan:
        self.held.append(held)
        return self.scans.pop(0)

    def source(self) -> Source:
        return Source(
            "superoffice", "contact", DATASET, "ContactId", "superoffice-contact", self.read,
            scan=self.scan, stamp="UpdatedDate",
        )  # fmt: skip


def contact(i: int, **changes: Any) -> dict[str, Any]:
    return {"ContactId": i, "Name": f"Firma {i} AS", "UpdatedDate": f"2025-05-{i:02d}T08:00:00Z", **changes}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DatasetStore]:
    with DatasetStore(tmp_path / "datasets") as store:
        yield store


@pytest.fixture
def marks(tmp_path: Path) -> Watermarks:
    return Watermarks(LocalSideFiles(tmp_path))


def live(store: DatasetStore) -> set[int]:
    return {r["ContactId"] for r in store.current_arrow(DATASET).to_pylist()}


def test_a_full_pull_scans_with_what_the_dataset_holds_and_tombstones_only_the_unlisted(store, marks):
    tenant = Tenant([contact(i) for i in range(1, 6)])
    pull(store, tenant.source(), marks)
    tenant.scans.append(Scan([contact(2, Name="Ny")], "2026-12-02T10:00:00+00:00", kept={1, 3, 4}))
    result = pull(store, tenant.source(), marks, full=True)
    assert tenant.held == [{i: f"2025-05-{i:02d}T08:00:00Z" for i in range(1, 6)}]
    assert (result.mode, result.read, result.kept, result.stats.changed, result.stats.deleted) == ("full", 1, 3, 1, 1)
    assert live(store) == {1, 2, 3, 4} and marks.get(DATASET) == "2026-12-02T10:00:00+00:00"


def test_deep_reads_everything_and_an_incremental_pull_never_scans(store, marks):
    tenant = Tenant([contact(i) for i in range(1, 4)])
    pull(store, tenant.source(), marks)
    assert pull(store, tenant.source(), marks, full=True, deep=True).mode == "deep"
    assert pull(store, tenant.source(), marks).mode == "incremental"
    assert tenant.reads == 3 and tenant.held == []


def test_without_a_watermark_a_full_pull_reads_everything(store, marks):
    tenant = Tenant([contact(i) for i in range(1, 4)])
    pull(store, tenant.source(), marks)
    marks.set(DATASET, None)
    assert pull(store, tenant.source(), marks, full=True).read == 3
    assert tenant.held == []


def test_a_record_the_scan_could_not_fetch_holds_the_watermark_and_is_fetched_next_time(store, marks):
    tenant = Tenant([contact(i) for i in range(1, 6)])
    pull(store, tenant.source(), marks)
    mark = marks.get(DATASET)
    lost = TransientError("GET Contact/3 -> 503: Service temporarily unavailable", status=503)
    tenant.scans.append(Scan([], "2026-12-02T10:00:00+00:00", kept={1, 2, 4, 5}, failed={3: lost}))
    failed = pull(store, tenant.source(), marks, full=True)
    assert failed.unread == 1 and failed.watermark == mark == marks.get(DATASET)
    assert live(store) == {1, 2, 3, 4, 5}
    assert [d.a_id for d in load_dead_letters(store, PULL)] == ["superoffice-contact:3"]
    tenant.scans.append(Scan([contact(3)], "2026-12-03T10:00:00+00:00", kept={1, 2, 4, 5}))
    pull(store, tenant.source(), marks, full=True)
    assert 3 not in tenant.held[1]  # set aside last time: fetched whatever its list row says
    assert load_dead_letters(store, PULL) == [] and marks.get(DATASET) == "2026-12-03T10:00:00+00:00"


def test_a_scan_that_lists_nothing_trips_the_breaker(store, marks):
    tenant = Tenant([contact(i) for i in range(1, 11)])
    pull(store, tenant.source(), marks)
    mark = marks.get(DATASET)
    tenant.scans.append(Scan([], "2026-12-02T10:00:00+00:00"))
    with pytest.raises(CircuitBreakerTripped):
        pull(store, tenant.source(), marks, full=True)
    assert live(store) == set(range(1, 11)) and marks.get(DATASET) == mark


def test_a_pull_reports_its_duration_and_rows_per_second(store, marks):
    tenant = Tenant([contact(i) for i in range(1, 6)])
    result = pull(store, tenant.source(), marks)
    assert result.seconds > 0 and result.rows_per_second == pytest.approx(5 / result.seconds)
    data = result.as_dict()
    assert data["seconds"] > 0 and data["rows_per_second"] > 0 and data["kept"] == 0
