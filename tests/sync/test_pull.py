"""``pull``: watermarks, records that could not be fetched or typed, and their dead letters.

The source is an in-memory read (the pull loop has no HTTP of its own); the store is real.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import LocalSideFiles
from sluice.errors import TransientError
from sluice.sync.pull import PULL, PullFailed, Source, Watermarks, pull
from sluice.sync.state import load_dead_letters


@dataclass
class Read:
    """A finished read: its records, the watermark the source hands back, the keys it could not fetch."""

    records: list[dict[str, Any]]
    watermark: str | None
    failed: dict[Any, Exception] = field(default_factory=dict)
    breaks_off: bool = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield from self.records
        if self.breaks_off:
            raise TransientError("GET customers -> 503: Service temporarily unavailable", status=503)


class Scripted:
    """A source that answers each read with the next scripted ``Read`` and remembers what it was asked."""

    def __init__(self, *reads: Read) -> None:
        self.reads = list(reads)
        self.asked: list[str | None] = []

    def __call__(self, since: str | None) -> Read:
        self.asked.append(since)
        return self.reads.pop(0)


def customer(i: int, **changes: Any) -> dict[str, Any]:
    return {"id": i, "company_name": f"Kunde {i} AS", "email": f"post@kunde{i}.example", **changes}


def source(reads: Scripted) -> Source:
    return Source("customwebshop", "customers", "customwebshop_customer", "id", "customwebshop-customer", reads)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DatasetStore]:
    with DatasetStore(tmp_path / "datasets") as store:
        yield store


@pytest.fixture
def marks(tmp_path: Path) -> Watermarks:
    return Watermarks(LocalSideFiles(tmp_path))


def letters(store: DatasetStore) -> dict[str, str]:
    return {d.a_id: d.reason for d in load_dead_letters(store, PULL)}


def test_an_empty_read_stores_no_watermark_and_the_next_read_is_full(store: DatasetStore, marks: Watermarks):
    reads = Scripted(Read([], None), Read([customer(1)], "2026-01-01T00:00:01.000001Z"), Read([], None))
    assert pull(store, source(reads), marks).watermark is None
    assert "customwebshop_customer" not in marks.all()  # not the text "None"
    second = pull(store, source(reads), marks)
    assert second.mode == "full" and second.stats.new == 1
    assert marks.get("customwebshop_customer") == "2026-01-01T00:00:01.000001Z"
    third = pull(store, source(reads), marks, full=True, force=True)  # force: the breaker guards an empty full read
    assert "customwebshop_customer" not in marks.all()  # a full read of an empty source resumes from nothing
    assert reads.asked == [None, None, None] and third.stats.deleted == 1


def test_a_stored_none_watermark_is_no_watermark(store: DatasetStore, marks: Watermarks):
    marks.files.write(marks.name, json.dumps({"customwebshop_customer": "None", "superoffice_contact": ""}).encode())
    assert marks.get("customwebshop_customer") is None and marks.get("superoffice_contact") is None
    store.write("customwebshop_customer", [customer(1)], key="id", id_prefix="customwebshop-customer")
    reads = Scripted(Read([customer(1)], "2026-01-01T00:00:01Z"))
    assert pull(store, source(reads), marks).mode == "full"
    assert reads.asked == [None]


def test_a_record_that_could_not_be_fetched_holds_the_watermark_and_is_not_tombstoned(
    store: DatasetStore, marks: Watermarks
):
    first = Scripted(Read([customer(i) for i in range(1, 5)], "2026-01-01T00:00:01Z"))
    pull(store, source(first), marks)
    lost = TransientError("GET http://shop/api/v1/customers/3 -> 503: Service temporarily unavailable", status=503)
    reads = Scripted(
        Read([customer(1, company_name="Nytt Navn AS"), customer(2), customer(4)], "2026-01-02T00:00:00Z", {3: lost}),
        Read([customer(i) for i in range(1, 5)], "2026-01-03T00:00:00Z"),
    )
    result = pull(store, source(reads), marks, full=True)
    assert (result.read, result.unread, result.failed, result.stats.changed) == (3, 1, 1, 1)  # kept what it read
    assert result.stats.deleted == 0 and store.info("customwebshop_customer").live == 4  # 3 not tombstoned
    assert marks.get("customwebshop_customer") == "2026-01-01T00:00:01Z"  # held
    assert result.watermark == "2026-01-01T00:00:01Z"
    [letter] = load_dead_letters(store, PULL)
    assert (letter.a_id, letter.target, letter.op, letter.status) == (
        "customwebshop-customer:3", "customwebshop_customer", "read", 503,
    )  # fmt: skip

    again = pull(store, source(reads), marks)
    assert reads.asked == [None, "2026-01-01T00:00:01Z"]  # the next run re-reads from the held watermark
    assert again.failed == 0 and letters(store) == {}  # the later successful read cleared the letter
    assert marks.get("customwebshop_customer") == "2026-01-03T00:00:00Z"


def test_a_wrong_typed_record_is_set_aside_naming_its_id_not_its_data(store: DatasetStore, marks: Watermarks):
    pull(store, source(Scripted(Read([customer(1), customer(2)], "2026-01-01T00:00:01Z"))), marks)
    bad = customer(2, company_name=12345)
    reads = Scripted(Read([customer(1, email="ny@kunde1.example"), bad, customer(3)], "2026-01-02T00:00:00Z"))
    result = pull(store, source(reads), marks)
    assert (result.read, result.rejected, result.stats.changed, result.stats.new) == (3, 1, 1, 1)
    assert marks.get("customwebshop_customer") == "2026-01-01T00:00:01Z"
    [(a_id, reason)] = letters(store).items()
    assert a_id == "customwebshop-customer:2" and "company_name" in reason
    dumped = json.dumps([d.row() for d in load_dead_letters(store)])
    for value in ("12345", "Kunde", "kunde", "ny@"):
        assert value not in dumped
    current = {r["id"]: r["company_name"] for r in store.current_arrow("customwebshop_customer").to_pylist()}
    assert current == {1: "Kunde 1 AS", 2: "Kunde 2 AS", 3: "Kunde 3 AS"}  # the bad version never landed


def test_a_full_read_clears_the_letters_of_records_that_are_gone(store: DatasetStore, marks: Watermarks):
    lost = TransientError("GET customers/2 -> 503", status=503)
    reads = Scripted(
        Read([customer(1)], "2026-01-01T00:00:01Z", {2: lost}), Read([customer(1)], "2026-01-02T00:00:00Z")
    )
    pull(store, source(reads), marks)
    assert set(letters(store)) == {"customwebshop-customer:2"}
    pull(store, source(reads), marks, full=True)
    assert letters(store) == {}


def test_a_read_that_breaks_off_writes_nothing_and_names_the_dataset(store: DatasetStore, marks: Watermarks):
    reads = Scripted(Read([customer(1)], "2026-01-01T00:00:01Z", breaks_off=True))
    with pytest.raises(PullFailed, match="pull customwebshop_customer failed: GET customers -> 503") as caught:
        pull(store, source(reads), marks)
    assert caught.value.dataset == "customwebshop_customer"
    assert pickle.loads(pickle.dumps(caught.value)).dataset == "customwebshop_customer"  # Prefect moves it
    assert not store.exists("customwebshop_customer") and marks.all() == {}
