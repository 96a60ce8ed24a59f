from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.pipes.diff import diff_tables


def test_new_changed_deleted_and_changed_columns() -> None:
    old = pa.Table.from_pylist(
        [
            {"_id": "1", "name": "a", "addr": {"city": "Oslo"}, "_hash": "h1"},
            {"_id": "2", "name": "b", "addr": {"city": "Oslo"}, "_hash": "h2"},
            {"_id": "3", "name": "c", "addr": None, "_hash": "h3"},
        ]
    )
    new = pa.Table.from_pylist(
        [
            {"_id": "1", "name": "a", "addr": {"city": "Oslo"}},
            {"_id": "2", "name": "B", "addr": {"city": "Bergen"}},
            {"_id": "4", "name": "d", "addr": None},
        ]
    )
    diff = diff_tables("p", new, old)
    assert diff.counts == {"new": 1, "changed": 1, "deleted": 1, "unchanged": 1}
    assert diff.changed.to_pylist() == [{"_id": "2", "changed_columns": ["name", "addr"]}]
    assert diff.changes.to_pylist() == [
        {"_id": "2", "column": "addr", "before": '{"city":"Oslo"}', "after": '{"city":"Bergen"}'},
        {"_id": "2", "column": "name", "before": '"b"', "after": '"B"'},
    ]
    assert diff.deleted.column("_id").to_pylist() == ["3"]
    assert diff.new.column("_id").to_pylist() == ["4"]


def test_added_column_counts_as_a_change_where_it_has_a_value() -> None:
    old = pa.table({"_id": ["1", "2"], "a": [1, 2]})
    new = pa.table({"_id": ["1", "2"], "a": [1, 2], "b": ["x", None]})
    diff = diff_tables("p", new, old)
    assert diff.changed.to_pylist() == [{"_id": "1", "changed_columns": ["b"]}]
    assert diff.unchanged == 1


def test_no_previous_output_means_everything_is_new() -> None:
    diff = diff_tables("p", pa.table({"_id": ["1", "2"], "a": [1, 2]}), None)
    assert diff.counts == {"new": 2, "changed": 0, "deleted": 0, "unchanged": 0}


ROWS = st.dictionaries(
    st.sampled_from([str(i) for i in range(12)]),
    st.tuples(st.one_of(st.none(), st.integers(0, 3)), st.sampled_from(["a", "b", None])),
    max_size=12,
)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(old=ROWS, new=ROWS)
def test_diff_agrees_with_a_plain_python_comparison(old: dict, new: dict) -> None:
    def table(rows: dict) -> pa.Table:
        return pa.table(
            {
                "_id": pa.array(list(rows), pa.string()),
                "n": pa.array([v[0] for v in rows.values()], pa.int64()),
                "s": pa.array([v[1] for v in rows.values()], pa.string()),
            }
        )

    diff = diff_tables("p", table(new), table(old))
    changed = {
        key: [col for col, i in (("n", 0), ("s", 1)) if new[key][i] != old[key][i]] for key in new.keys() & old.keys()
    }
    assert sorted(diff.new.column("_id").to_pylist()) == sorted(new.keys() - old.keys())
    assert sorted(diff.deleted.column("_id").to_pylist()) == sorted(old.keys() - new.keys())
    assert {r["_id"]: r["changed_columns"] for r in diff.changed.to_pylist()} == {k: v for k, v in changed.items() if v}
    assert diff.unchanged == sum(1 for v in changed.values() if not v)
