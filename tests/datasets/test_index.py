"""The index is a cache: stale, missing or damaged, it is rebuilt from the log and never wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.datasets import DatasetStore
from sluice.datasets.layout import Layout


@pytest.mark.parametrize("damage", ["delete", "garbage", "stale"])
def test_index_is_rebuilt_from_the_log(local_root: Path, companies, damage: str) -> None:
    store = DatasetStore(local_root)
    store.write("company", companies(20), key="id")
    index = Layout.of(local_root, "company").index_path
    stale = index.read_bytes()
    store.write("company", companies(20, name="v2"), key="id")
    store.write("company", companies(15, name="v2"), key="id", full=True)
    if damage == "delete":
        index.unlink(missing_ok=True)
    elif damage == "garbage":
        index.write_bytes(b"not arrow at all")
    else:
        index.write_bytes(stale)
    fresh = DatasetStore(local_root)
    stats = fresh.write("company", companies(15, name="v2"), key="id", full=True)
    assert (stats.unchanged, stats.appended) == (15, 0)
    assert fresh.info("company").live == 15


def test_index_is_checkpointed_and_records_its_offset(local_root: Path, companies) -> None:
    store = DatasetStore(local_root)
    store.write("company", companies(10), key="id")
    index = Layout.of(local_root, "company").index_path
    assert index.exists() and not list(index.parent.glob("*.parquet"))
    from sluice.datasets.index import load_index

    state = load_index(Layout.of(local_root, "company"))
    assert (state.covered, state.rows) == (9, 10)


def test_leftover_temp_files_are_removed_under_the_lock(local_root: Path, companies) -> None:
    store = DatasetStore(local_root)
    store.write("company", companies(3), key="id")
    layout = Layout.of(local_root, "company")
    junk = layout.log_dir / "part-000000000003-000000000009.parquet.123.tmp"
    junk.write_bytes(b"half a part")
    assert len(store.current_arrow("company")) == 3  # readers never see temp files
    store.write("company", companies(3), key="id")
    assert not junk.exists()


def test_fast_hashes_from_another_duckdb_version_are_ignored(local_root: Path, companies) -> None:
    """Fast hashes only short-cut the canonical hash for the DuckDB version that computed them."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from sluice.datasets.index import load_index, save_index

    DatasetStore(local_root).write("company", companies(10), key="id")
    layout = Layout.of(local_root, "company")
    state = load_index(layout)
    assert state.table["_fast"].null_count == 0
    bogus = state.table.set_column(4, "_fast", pa.array([1] * 10, pa.uint64()))  # would all mismatch
    save_index(layout, state.__class__(bogus, state.covered, state.persisted, state.columns))
    with pa.OSFile(str(layout.index_path)) as source:  # a copy: the file is rewritten in place below
        table = ipc.open_file(source).read_all()
    meta = dict(table.schema.metadata)
    meta[b"fast"] = b"duckdb-0.0.0"
    with pa.OSFile(str(layout.index_path), "wb") as sink, ipc.new_file(sink, table.schema.with_metadata(meta)) as w:
        w.write_table(table.replace_schema_metadata(meta))
    assert load_index(layout).table["_fast"].null_count == 10
    store = DatasetStore(local_root)
    stats = store.write("company", companies(10), key="id")
    assert (stats.unchanged, stats.appended) == (10, 0)


def test_a_deleted_and_recreated_dataset_does_not_inherit_the_cache(local_root: Path, companies) -> None:
    import shutil

    store = DatasetStore(local_root)
    store.write("company", companies(5), key="id")
    shutil.rmtree(local_root / "company")
    stats = store.write("company", companies(3), key="id")
    assert (stats.new, stats.unchanged, stats.first_offset) == (3, 0, 0)
    assert store.info("company").live == 3


def test_a_small_write_lays_its_ids_over_the_index_instead_of_copying_it(local_root: Path, companies) -> None:
    store = DatasetStore(local_root)
    store.write("company", companies(20_000), key="id")
    before = store._indexes["company"].table
    rows = companies(20_000)
    for i in (3, 7):
        rows[i]["name"] = f"Renamed {i}"
    assert store.write("company", [rows[3], rows[7]], key="id").changed == 2
    state = store._indexes["company"]
    assert state.table is before and state.delta is not None and state.delta.num_rows == 2  # not copied
    stats = store.write("company", rows[:19_990], key="id", full=True, force=True)  # through the overlay
    assert (stats.changed, stats.deleted, stats.unchanged) == (0, 10, 19_990)
    assert store.info("company").live == 19_990
    fresh = DatasetStore(local_root)  # the index file and the log agree with the overlay
    assert fresh.current_df("company").set_index("_id").loc["7", "name"] == "Renamed 7"
    assert fresh.write("company", rows[:19_990], key="id", full=True).appended_bytes == 0
