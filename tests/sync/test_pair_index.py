"""The flow index's own bookkeeping: its count of active links follows the links (a breaker's denominator, without
counting every link each run), and a match key is read from a row as the flattened row holds it. Real store,
real Parquet, real SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sluice.datasets import DatasetStore
from sluice.project import Project
from sluice.sync.index import PairIndex, field_value, side_fields

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
