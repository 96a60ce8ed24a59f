"""The flow index's own bookkeeping: its count of active links follows the links (a breaker's denominator, without
counting every link each run), a match key is read from a row as the flattened row holds it, and a look-up by id
returns the store's current rows whether they come from a base file (several sorted runs of several batches),
the versions caught up since, a base written again, or a base file that went missing. Real store, real Parquet,
real SQLite, real Arrow files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluice.datasets import DatasetStore
from sluice.project import Project
from sluice.sync import index as pair_index
from sluice.sync.dataflow import MatchKey
from sluice.sync.index import META, PairIndex, field_value, normalized, side_fields

FLOW = Project.open(Path(__file__).resolve().parents[2]).flow("contact_customer")


def _links(store: DatasetStore, rows: dict[str, str], full: bool = False) -> None:
    store.write(
        FLOW.link_dataset,
        [
            {"_id": a, "a_id": a, "b_id": f"b{a}", "how": "created", "status": s, "note": "", "changed_at": "t"}
            for a, s in rows.items()
        ],
        full=full,
        force=True,
    )


def _counted(path: Path) -> int:
    with sqlite3.connect(path) as con:
        return con.execute("SELECT count(*) FROM links WHERE status = 'active'").fetchone()[0]


def test_the_active_count_follows_closes_reopens_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with DatasetStore(tmp_path / "datasets") as store:
        _links(store, {str(i): "active" for i in range(10)})
        index = PairIndex(store, FLOW, path)
        index.catch_up()
        assert index.active_links() == 10
        _links(store, {"1": "closed", "2": "closed", "3": "active", "10": "active", "11": "closed"})
        index.catch_up()
        assert index.active_links() == _counted(path) == 9
        _links(store, {str(i): "active" for i in range(1, 11)}, full=True)  # 0 and 11 tombstoned, 1 and 2 reopened
        index.catch_up()
        assert index.active_links() == _counted(path) == 10
        index.close()

        with sqlite3.connect(path) as con:  # an index file written before the count existed
            con.execute("DELETE FROM counts")
        index = PairIndex(store, FLOW, path)
        assert index.active_links() == 10
        _links(store, {"5": "closed"})
        index.catch_up()
        assert index.active_links() == _counted(path) == 9
        index.close()


def test_a_match_key_value_is_what_the_flattened_row_holds() -> None:
    rows = [
        {"_id": "1", "email": "a@b.no", "billing": {"city": "Oslo", "geo": {"lat": 1}}, "sync_x": "s"},
        {"_id": "2", "email": None, "billing": None},
        {"_id": "3", "email": {"nested": "x"}, "billing": {"city": None}},
        {"_id": "4", "billing.city": "Dotted", "billing": {"city": "Struct"}},
    ]
    names = ["email", "billing.city", "billing.geo", "billing.geo.lat", "billing", "missing", "sync_x", "_id"]
    for row in rows:
        assert [field_value(row, n) for n in names] == [side_fields(row).get(n) for n in names], row


def _current(store: DatasetStore, name: str) -> dict[str, dict[str, Any]]:
    table = store.current_arrow(name)
    return {row["_id"]: row for row in table.drop_columns([c for c in META if c in table.column_names]).to_pylist()}


def _contacts(store: DatasetStore, ids: range | list[int], name: str = "Company", full: bool = False) -> None:
    rows = [{"_id": str(i), "company_name": f"{name} {i}", "address": {"city": "Oslo", "no": i}} for i in ids]
    store.write(FLOW.a_dataset, rows, full=full, force=True)


def test_rows_by_id_are_the_current_rows_through_overlays_rewrites_and_a_lost_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pair_index, "RUN_ROWS", 7)  # 40 versions: six sorted runs
    monkeypatch.setattr(pair_index, "BATCH_ROWS", 3)
    monkeypatch.setattr(pair_index, "OVERLAY_MIN", 6)
    path = tmp_path / "index.sqlite"
    wanted = [str(i) for i in range(-3, 50)]  # some never existed
    with DatasetStore(tmp_path / "datasets") as store:
        _contacts(store, range(40))
        index = PairIndex(store, FLOW, path)
        index.catch_up()
        assert index.rows("a", wanted) == _current(store, FLOW.a_dataset)
        assert index.ids("a") == sorted(_current(store, FLOW.a_dataset)) and index.count("a") == 40

        _contacts(store, [3, 17, 41, 42], name="Edited")  # two edits, two new: kept beside the base
        index.catch_up()
        assert index.rows("a", wanted) == _current(store, FLOW.a_dataset)
        assert index._overlaid("a") == 4
        assert index.ids("a") == sorted(_current(store, FLOW.a_dataset)) and index.count("a") == 42

        _contacts(store, range(10, 42), full=True)  # 0-9 and 42 deleted: the overlay outgrows its share
        [before] = list(tmp_path.glob("index.sqlite-base-a-*.arrow"))
        index.catch_up()
        assert index._overlaid("a") == 0
        [after] = list(tmp_path.glob("index.sqlite-base-a-*.arrow"))
        assert after != before  # written again, the old one gone
        assert index.rows("a", wanted) == _current(store, FLOW.a_dataset)
        assert index.ids("a") == sorted(_current(store, FLOW.a_dataset)) and index.count("a") == 32
        index.close()

        after.unlink()  # a cleaned cache folder
        index = PairIndex(store, FLOW, path)
        index.catch_up()
        assert index.rows("a", wanted) == _current(store, FLOW.a_dataset)
        index.close()


@pytest.mark.parametrize("casefold", [True, False])
def test_a_match_key_is_normalized_in_arrow_as_the_merge_normalizes_it(casefold: bool) -> None:
    key = MatchKey("address.city", casefold=casefold)
    ascii_only = [" Oslo ", "\x1cBERGEN\x1f", "\t\n", "", None, "Mixed Case", " a b "]
    other = [*ascii_only, "Straße ", "\u00a0Tromsø\u2003", "ǅemal"]
    for cities in (ascii_only, other):
        rows = [{"_id": str(n), "address": {"city": city}} for n, city in enumerate(cities)]
        batch = pa.RecordBatch.from_pylist(rows)
        assert normalized(key, batch, key.field).to_pylist() == [key.normalize(city) for city in cities]
    numbers = pa.RecordBatch.from_pylist([{"_id": "1", "address": {"city": 42}}, {"_id": "2", "address": None}])
    assert normalized(key, numbers, key.field).to_pylist() == ["42", None]
