"""DatasetStore against real Parquet files on disk: change detection, full writes, reads, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from sluice.datasets import DatasetStore
from sluice.datasets import index as index_module
from sluice.errors import CircuitBreakerTripped, DatasetError

from .conftest import make_company


def test_first_write_appends_everything_and_second_nothing(store: DatasetStore, companies) -> None:
    first = store.write("company", companies(50), key="id")
    assert (first.new, first.changed, first.unchanged, first.first_offset, first.last_offset) == (50, 0, 0, 0, 49)
    assert first.appended_bytes > 0
    again = store.write("company", companies(50), key="id")
    assert (again.new, again.changed, again.unchanged, again.appended_bytes) == (0, 0, 50, 0)
    assert again.first_offset is None and again.last_offset == 49
    assert store.info("company").versions == 50


def test_only_changed_entities_get_a_new_version(store: DatasetStore, companies) -> None:
    store.write("company", companies(20), key="id")
    rows = companies(20)
    rows[3]["name"] = "Renamed AS"
    rows[7]["address"] = {"street": "Kirkegata 1", "city": "Oslo"}
    stats = store.write("company", rows, key="id")
    assert (stats.new, stats.changed, stats.unchanged) == (0, 2, 18)
    history = store.history("company", "3").to_pylist()
    assert [v["name"] for v in history] == ["Company 3", "Renamed AS"]
    assert history[0]["_offset"] < history[1]["_offset"]
    current = store.current_df("company").set_index("_id")
    assert current.loc["3", "name"] == "Renamed AS" and len(current) == 20


def test_full_write_tombstones_unseen_entities(store: DatasetStore, companies) -> None:
    store.write("company", companies(10), key="id", id_prefix="superoffice-contact")
    stats = store.write("company", companies(8), key="id", id_prefix="superoffice-contact", full=True)
    assert (stats.deleted, stats.unchanged) == (2, 8)
    live = set(store.current_arrow("company")["_id"].to_pylist())
    assert live == {f"superoffice-contact:{i}" for i in range(8)}
    tombstones = [r for r in store.changes("company", since=9).to_pylist() if r["_deleted"]]
    assert {r["_id"] for r in tombstones} == {"superoffice-contact:8", "superoffice-contact:9"}
    assert all(r["name"] is None and r["_hash"] is None for r in tombstones)
    back = store.write("company", companies(10), key="id", id_prefix="superoffice-contact")
    assert (back.new, back.changed) == (0, 2)  # resurrected entities are changes, not new ones
    assert store.info("company").live == 10


def test_duplicates_last_one_wins_and_are_counted(store: DatasetStore) -> None:
    rows = [make_company(1), make_company(2), make_company(1, name="Second")]
    stats = store.write("company", rows, key="id")
    assert (stats.new, stats.duplicates) == (2, 1)
    assert store.current_df("company").set_index("_id").loc["1", "name"] == "Second"


def test_accepts_arrow_pandas_relation_and_parquet(store: DatasetStore, companies, tmp_path: Path) -> None:
    rows = companies(5)
    table = pa.Table.from_pylist(rows)
    path = tmp_path / "in.parquet"
    duckdb.from_arrow(table).write_parquet(str(path))
    assert store.write("a", table, key="id").new == 5
    assert store.write("a", pd.DataFrame(rows), key="id").unchanged == 5
    assert store.write("a", Path(path), key="id").unchanged == 5
    assert store.write("a", duckdb.from_arrow(table), key="id").unchanged == 5


def test_changes_since_an_offset(store: DatasetStore, companies) -> None:
    store.write("company", companies(5), key="id")
    store.write("company", companies(5, name="v2"), key="id")
    store.write("company", companies(2, name="v3"), key="id")
    changes = store.changes("company", since=4)
    assert changes["_offset"].to_pylist() == list(range(5, 12))
    latest = store.changes("company", since=4, latest_only=True).to_pylist()
    assert {r["_id"]: r["name"] for r in latest} == {"0": "v3", "1": "v3", "2": "v2", "3": "v2", "4": "v2"}
    assert store.changes("company", since=11).num_rows == 0


def test_a_scan_of_the_current_state_by_the_index_is_the_current_state(
    store: DatasetStore, companies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``current_scan_sql`` picks the latest versions by the store's index (a semi-join), ``current_sql`` by ranking
    them: the same rows after every write, through new versions, tombstones, and an index whose overlay is laid
    over its table or folded in."""
    monkeypatch.setattr(index_module, "OVERLAY_MIN", 4)

    def rows(sql: str) -> list[dict]:
        return sorted(store.con.sql(sql).to_arrow_table().to_pylist(), key=lambda r: r["_id"])

    writes = [
        dict(rows=companies(30)),
        dict(rows=companies(3, name="v2")),  # an overlay of three
        dict(rows=companies(10, name="v3")),  # folded in
        dict(rows=companies(25), full=True, force=True),  # 25-29 deleted
        dict(rows=companies(2, name="v4")),
    ]
    for write in writes:
        store.write("company", key="id", **write)
        assert rows(store.current_scan_sql("company")) == rows(store.current_sql("company"))
    assert len(rows(store.current_scan_sql("company"))) == 25


def test_new_null_column_does_not_reversion(store: DatasetStore, companies) -> None:
    store.write("company", companies(30), key="id")
    stats = store.write("company", companies(30, fax=None), key="id")
    assert (stats.changed, stats.unchanged) == (0, 30)


def test_schema_evolution_new_column_and_widened_type(store: DatasetStore, companies) -> None:
    store.write("company", companies(3), key="id")
    widened = [make_company(i, employees=float(i) + 0.5, vat="NO123") for i in range(3)]
    stats = store.write("company", widened, key="id")
    assert stats.changed == 3
    current = store.current_df("company").sort_values("_id")
    assert list(current["employees"]) == [0.5, 1.5, 2.5] and list(current["vat"]) == ["NO123"] * 3
    old = store.history("company", "0").to_pylist()[0]
    assert old["employees"] == 0 and old["vat"] is None
    assert store.info("company").columns["employees"] == "DOUBLE"


def test_incompatible_type_change_is_refused_and_nothing_written(store: DatasetStore, companies) -> None:
    store.write("company", companies(3), key="id")
    bad = companies(3, name={"first": "A", "last": "B"})
    with pytest.raises(DatasetError, match="'name' changes type from VARCHAR to STRUCT"):
        store.write("company", bad, key="id")
    assert store.last_offset("company") == 2
    assert store.write("company", companies(3), key="id").unchanged == 3


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"name": "no key"}], "no key column 'id'"),
        ([{"id": 1, "name": "x"}, {"id": None, "name": "y"}], "1 of 2 entities have no key 'id'"),
        ([{"id": 1, "name": "x"}, {"id": 2, "name": 5}], "row 1: column 'name' is BIGINT, not VARCHAR"),
        ([{"id": 1}, "not a dict"], "row 1 is a str"),
        ([{"id": {"a": 1}}], "key column 'id' must be a string or an integer"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(store: DatasetStore, rows, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        store.write("company", rows, key="id")
    assert store.last_offset("company") == -1


def test_breaker_trips_on_mass_delete_and_force_overrides(store: DatasetStore, companies) -> None:
    store.write("company", companies(200), key="id")
    with pytest.raises(CircuitBreakerTripped) as caught:
        store.write("company", companies(90), key="id", full=True)
    assert caught.value.counts["deleted"] == 110 and caught.value.counts["live"] == 200
    assert store.last_offset("company") == 199
    assert store.write("company", companies(90), key="id", full=True, force=True).deleted == 110


def test_empty_full_write_of_live_dataset_trips(store: DatasetStore, companies) -> None:
    store.write("company", companies(10), key="id")
    with pytest.raises(CircuitBreakerTripped, match="empty batch"):
        store.write("company", [], key="id", full=True)
    assert store.info("company").live == 10


def test_empty_full_write_of_a_tiny_dataset_tombstones_it(store: DatasetStore, companies) -> None:
    store.write("company", companies(3), key="id")
    assert store.write("company", [], key="id", full=True).deleted == 3
    assert store.info("company").live == 0


def test_change_share_limit(store: DatasetStore, companies) -> None:
    store.write("company", companies(100), key="id")
    with pytest.raises(CircuitBreakerTripped, match="change 100 of 100"):
        store.write("company", companies(100, name="x"), key="id", max_change_share=0.5)


def test_empty_and_missing_datasets(store: DatasetStore) -> None:
    with pytest.raises(DatasetError, match="no such dataset"):
        store.current("never_written")
    assert store.last_offset("never_written") == -1
    stats = store.write("empty", [])
    assert stats.appended == 0 and store.exists("empty") and store.names() == ["empty"]
    assert store.current_arrow("empty").num_rows == 0
    assert "_id" in store.current("empty").columns
    assert store.changes("empty", since=-1).num_rows == 0


def test_bad_dataset_names_are_refused(store: DatasetStore) -> None:
    with pytest.raises(DatasetError, match="letters, digits and underscores"):
        store.write("../escape", [{"_id": "1"}])


def test_register_gives_a_view_per_dataset(store: DatasetStore, companies) -> None:
    store.write("superoffice_contact", companies(4), key="id")
    store.write("superoffice_contact", companies(3), key="id", full=True)
    con = duckdb.connect()
    store.register(con)
    assert con.sql("SELECT count(*) FROM superoffice_contact").fetchall() == [(3,)]
    assert len(store.con.sql(store.current_sql("superoffice_contact")).fetchall()) == 3
    if isinstance(store.root, Path):  # on local disk the SQL is self-contained (S3: parts registered on store.con)
        assert len(duckdb.connect().sql(store.current_sql("superoffice_contact")).fetchall()) == 3


def test_plain_parquet_readable_without_sluice(companies, local_root: Path) -> None:
    store = DatasetStore(local_root)
    store.write("company", companies(10), key="id")
    store.write("company", companies(10, extra=1), key="id")
    glob = local_root / "company" / "**" / "*.parquet"
    rows = duckdb.sql(f"SELECT count(*), count(extra) FROM read_parquet('{glob}', union_by_name=true)").fetchall()
    assert rows == [(20, 10)]
    assert pd.read_parquet(local_root / "company" / "log").shape[0] == 20


def test_metadata_columns(store: DatasetStore, companies) -> None:
    before = dt.datetime.now(dt.UTC)
    store.write("company", companies(2), key="id", id_prefix="c")
    row = store.current_arrow("company").sort_by("_id").to_pylist()[0]
    assert row["_id"] == "c:0" and len(row["_hash"]) == 32 and row["_deleted"] is False
    assert before <= row["_ts"] <= dt.datetime.now(dt.UTC)
    schema = store.current_arrow("company").schema
    assert schema.field("_offset").type == pa.int64() and schema.names[:5] == [
        "_id",
        "_hash",
        "_offset",
        "_ts",
        "_deleted",
    ]


def test_info_and_two_stores_share_a_root(dataset_root: Path, companies) -> None:
    a, b = DatasetStore(dataset_root), DatasetStore(dataset_root)
    a.write("company", companies(10), key="id")
    assert b.write("company", companies(12), key="id").new == 2  # b catches up with a's parts
    assert a.write("company", companies(12), key="id").unchanged == 12  # and a with b's
    info = a.info("company")
    assert (info.live, info.versions, info.last_offset) == (12, 12, 11) and info.bytes > 0
    assert set(info.columns) == {"id", "name", "address", "emails", "employees"}


def test_renamed_column_with_same_values_is_a_change(store: DatasetStore) -> None:
    """The fast hash covers the batch schema: same values under another name must not look unchanged."""
    store.write("t", [{"_id": "1", "a": "x", "b": None}])
    stats = store.write("t", [{"_id": "1", "b": "x", "a": None}])
    assert stats.changed == 1


def test_widened_type_with_equal_values_is_unchanged(store: DatasetStore) -> None:
    store.write("t", pa.table({"_id": ["1", "2"], "n": pa.array([1, 2], pa.int32())}))
    stats = store.write("t", pa.table({"_id": ["1", "2"], "n": pa.array([1.0, 2.5], pa.float64())}))
    assert (stats.unchanged, stats.changed) == (1, 1)


def test_current_of_reads_the_current_rows_of_some_ids(store: DatasetStore, companies) -> None:
    store.write("company", companies(30), key="id")
    rows = companies(30)
    rows[4]["name"] = "Renamed AS"
    store.write("company", rows[:29], key="id", full=True)  # 29 tombstoned, 4 renamed
    found = store.current_of("company", ["4", "7", "29", "404", "7"]).to_pylist()
    assert sorted((r["_id"], r["name"]) for r in found) == [("4", "Renamed AS"), ("7", "Company 7")]
    assert store.current_of("company", []).num_rows == 0
    assert set(store.current_of("company", [str(i) for i in range(2500)]).column("_id").to_pylist()) == {
        str(i) for i in range(29)
    }  # more ids than one statement takes
    assert store.current_of("company", ["it's"]).num_rows == 0  # quoted, not injected


def test_a_batch_whose_nested_field_is_null_typed_is_written_as_the_dataset_types_it(local_root: Path) -> None:
    """Soak seed 73160: two new contacts without a postal address made a part whose ``Address.Postal`` (and
    empty ``Phones``) were NULL-typed; beside parts where they are a struct, every read of the dataset failed
    inside DuckDB ("requires a flat vector") and left its connection unusable."""
    address = {"Street": {"City": "Oslo"}, "Postal": {"City": "Oslo", "Zipcode": "0150"}}
    phones = [{"Value": "+47 1", "Description": "work"}]
    with DatasetStore(local_root) as store:
        store.write("c", pa.Table.from_pylist([{"id": 1, "Address": address, "Phones": phones}]), key="id")
        street = {"Street": {"City": "Bergen"}, "Postal": None}
        bare = pa.Table.from_struct_array(pa.array([{"id": 2, "Address": street, "Phones": []},
                                                    {"id": 3, "Address": None, "Phones": []}]))  # fmt: skip
        assert "null" in str(bare.schema.field("Address").type)
        store.write("c", bare, key="id")
        rows = {r["id"]: r for r in store.current_arrow("c").to_pylist()}
    assert rows[1]["Address"]["Postal"]["Zipcode"] == "0150" and rows[1]["Phones"] == phones
    assert rows[2]["Address"]["Postal"] is None and rows[3]["Address"] is None and rows[3]["Phones"] == []
