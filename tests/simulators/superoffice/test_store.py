"""Bulk loads: all or nothing, and the secondary indexes are there (and used) afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.simulators.superoffice.store import INDEXES, Store

BASE = ("id", "data", "registered", "updated")
STAMP = "2024-01-01T00:00:00.000000"


def index_names(store: Store) -> set[str]:
    return {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def test_bulk_load_builds_the_indexes_after_the_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "so.db")
    with store.bulk_load() as load:
        assert not index_names(store) & set(INDEXES)  # dropped while loading
        load("contact", BASE, ((i, "{}", STAMP, STAMP) for i in range(1, 1001)))
        load("person", (*BASE, "contact_id"), [(i, "{}", STAMP, STAMP, i) for i in range(1, 11)])
    assert set(INDEXES) <= index_names(store)
    plan = " ".join(str(r[3]) for r in store.query("EXPLAIN QUERY PLAN SELECT id FROM person WHERE contact_id = 3"))
    assert "person_contact" in plan
    store.close()
    reopened = Store(tmp_path / "so.db")
    assert reopened.count("contact") == 1000 and set(INDEXES) <= index_names(reopened)


def test_a_failing_load_leaves_nothing_behind() -> None:
    store = Store()

    def rows():
        yield 1, "{}", STAMP, STAMP
        raise RuntimeError("generator broke half way")

    with pytest.raises(RuntimeError), store.bulk_load() as load:
        load("contact", BASE, [(i, "{}", STAMP, STAMP) for i in range(1, 50)])
        load("person", (*BASE, "contact_id"), ((*r, 1) for r in rows()))
    assert store.count("contact") == store.count("person") == 0
    assert set(INDEXES) <= index_names(store)
    store.insert("contact", {"Name": "after"}, STAMP)  # the store is still usable
    assert store.count("contact") == 1


def test_a_duplicate_id_fails_the_whole_load() -> None:
    store = Store()
    with pytest.raises(Exception, match="UNIQUE"), store.bulk_load() as load:
        load("contact", BASE, [(1, "{}", STAMP, STAMP), (1, "{}", STAMP, STAMP)])
    assert store.count("contact") == 0
