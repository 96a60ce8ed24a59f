"""Compaction keeps the current state and live offsets, drops only old superseded versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sluice.datasets import DatasetStore
from sluice.datasets.layout import Layout


def live_rows(store: DatasetStore, name: str) -> list[dict]:
    return store.current_arrow(name).sort_by("_id").to_pylist()


def test_compaction_drops_superseded_versions_only(store: DatasetStore, companies) -> None:
    store.write("company", companies(10), key="id")
    store.write("company", companies(5, name="v2"), key="id")
    store.write("company", companies(8), key="id", full=True)  # reverts 0-4, deletes 8 and 9
    before = live_rows(store, "company")
    stats = store.compact("company")
    assert (stats.parts_before, stats.parts_after) == (3, 1)
    assert stats.versions_before == 10 + 5 + 5 + 2
    assert stats.versions_after == 10  # one latest version per _id, tombstones included
    assert live_rows(store, "company") == before
    assert store.last_offset("company") == 21
    assert store.write("company", companies(8), key="id", full=True).appended == 0
    assert [r["_offset"] for r in store.history("company", "9").to_pylist()] == [21]


def test_retention_keeps_recent_history(store: DatasetStore, companies) -> None:
    store.write("company", companies(4), key="id")
    store.write("company", companies(4, name="v2"), key="id")
    stats = store.compact("company", retention=dt.timedelta(days=7))
    assert stats.dropped == 0 and stats.parts_after == 1
    assert len(store.history("company", "1")) == 2


def test_compacting_again_is_a_no_op(store: DatasetStore, companies) -> None:
    store.write("company", companies(4), key="id")
    store.compact("company")
    again = store.compact("company")
    assert again.parts_before == again.parts_after == 1 and again.dropped == 0


def test_crash_between_publish_and_delete_is_harmless(companies, local_root: Path) -> None:
    """A compaction killed after publishing its part but before deleting the old ones: readers ignore the
    covered parts, and the next write and compaction clean up (on S3: test_s3.py)."""
    store = DatasetStore(local_root)
    store.write("company", companies(6), key="id")
    store.write("company", companies(6, name="v2"), key="id")
    layout = Layout.of(local_root, "company")
    old = [p.path.read_bytes() for p in layout.parts()]
    names = [p.path.name for p in layout.parts()]
    store.compact("company")
    for name, data in zip(names, old, strict=True):  # resurrect the superseded parts
        (layout.log_dir / name).write_bytes(data)
    assert len(list(layout.log_dir.glob("*.parquet"))) == 3
    assert [p.path.name for p in layout.parts()] == ["part-000000000000-000000000011.parquet"]
    assert len(store.current_arrow("company")) == 6
    assert store.changes("company", since=-1).num_rows == 6
    assert store.compact("company").parts_after == 1
