"""Incremental reads and deletion detection against the simulator."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sluice.systems.superoffice import SuperOfficeClient, Watermark

from .conftest import Running, start


@pytest.fixture
def fresh() -> Iterator[Running]:
    """A simulator per test: its seeded records are all older than any read, so an incremental
    read sees exactly what the test edited."""
    yield from start(seed=5, contacts=60)


def edit(so: SuperOfficeClient, ids: list[int], tag: str) -> None:
    for key in ids:
        so.update("contact", key, {"Department": f"{tag}-{key}"})


@pytest.mark.parametrize("dynamic", [True, False], ids=["dynamic", "date-only"])
def test_incremental_read_returns_exactly_the_edited_records(fresh: Running, dynamic: bool) -> None:
    so = fresh.client()
    full = so.read("contact")
    all_ids = sorted(record["ContactId"] for record in full)
    mark = full.watermark
    edited = [*all_ids[3:6], all_ids[-1]]
    edit(so, edited, "incr")
    if not dynamic:
        so.dynamic_supported = False
    changed = so.read("contact", since=mark)
    records = list(changed)
    assert sorted(r["ContactId"] for r in records) == sorted(edited)
    assert all(r["Department"] == f"incr-{r['ContactId']}" for r in records)
    assert changed.mode == ("dynamic" if dynamic else "date")
    assert changed.watermark >= mark


def test_the_next_watermark_moves_past_the_edits(fresh: Running) -> None:
    """Watermarks overlap the previous read by a few seconds (the server's Date header and its
    stored ``updated`` are whole seconds, and uvicorn refreshes Date once a second): a read three
    seconds after an edit no longer sees it again."""
    so = fresh.client()
    full = so.read("contact")
    first = min(record["ContactId"] for record in full)
    so.update("contact", first, {"Department": "moved on"})
    time.sleep(3.1)
    changed = so.read("contact", since=full.watermark)
    assert [r["ContactId"] for r in changed] == [first]
    again = so.read("contact", since=changed.watermark)
    assert list(again) == []


def test_watermark_survives_storage_as_text(fresh: Running) -> None:
    so = fresh.client()
    result = so.read("sale")
    assert len(list(result)) > 0
    stored = str(result.watermark)
    assert Watermark.parse(stored) == result.watermark


def test_deletions_show_in_key_scans_and_the_recycle_bin(fresh: Running) -> None:
    so = fresh.client()
    before = so.ids("contact")
    victim = max(before)
    full = so.read("contact")
    list(full)
    assert so.delete("contact", victim) is True
    assert victim not in so.ids("contact")
    assert victim in so.deleted_contacts()
    assert victim in so.deleted_contacts(full.watermark)
    assert so.delete("contact", victim) in (True, False)  # soft-deleted: idempotent either way
