"""Row-local pipes run over the changed rows alone, and that equals a full recompute (incremental.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluice.datasets import DatasetStore
from sluice.errors import PipeError
from sluice.pipes import PipeEngine
from sluice.pipes.incremental import row_local_input
from sluice.pipes.pipe import discover, load_pipe

from .conftest import REPO_PIPES, contact, contacts

PREFIX = "superoffice-contact"
KEYS = "SELECT 'k' || CAST(ContactId AS VARCHAR) AS _id, Name AS n FROM superoffice_contact WHERE Deleted = 0"
CUSTOMERS = """SELECT CAST(c.ContactId AS VARCHAR) AS _id, c.Name AS company_name, c.Emails[1].Value AS email
FROM superoffice_contact AS c
WHERE c.Deleted = 0
"""


def _pipe(tmp_path: Path, sql: str):
    path = tmp_path / "p" / "x.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sql, encoding="utf-8")
    return load_pipe(path, tmp_path)


def test_the_shipped_one_to_one_pipes_are_row_local_and_the_joining_ones_are_not() -> None:
    found = {pipe.name: row_local_input(pipe) for pipe in discover(REPO_PIPES)}
    assert found["contact_customer_superoffice"] == "superoffice_contact"
    assert found["contact_customer_customwebshop"] == "customwebshop_customer"
    assert found["product_product_customwebshop"] == "customwebshop_product"
    assert found["product_product_superoffice"] is None  # joins the price lists
    assert found["sale_order_superoffice"] is None
    assert found["quoteline_orderline_superoffice"] is None


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a._id FROM x AS a JOIN y AS b ON a._id = b._id",
        "SELECT _id, count(*) AS n FROM x GROUP BY _id",
        "SELECT _id, row_number() OVER (ORDER BY _id) AS n FROM x",
        "SELECT DISTINCT _id FROM x",
        "SELECT _id FROM x LIMIT 10",
        "SELECT _id, random() AS r FROM x",
        "SELECT _id, now() AS t FROM x",
        "SELECT _id, current_timestamp AS t FROM x",
        "SELECT _id FROM x UNION ALL SELECT _id FROM x",
        "SELECT _id FROM x WHERE _id IN (SELECT _id FROM x WHERE v > 1)",
        "SELECT _id, (SELECT max(v) FROM x) AS top FROM x",
        "SELECT _id || unnest([1, 2]) AS _id FROM x",
        "SELECT * FROM read_parquet('elsewhere.parquet')",
    ],
)
def test_what_needs_other_rows_or_the_clock_runs_in_full(tmp_path: Path, sql: str) -> None:
    assert row_local_input(_pipe(tmp_path, sql)) is None


def test_ctes_and_filters_over_one_dataset_are_row_local(tmp_path: Path) -> None:
    sql = "WITH s AS (SELECT to_json(x) AS j FROM x) SELECT j->>'id' AS _id FROM s WHERE j->>'id' IS NOT NULL"
    assert row_local_input(_pipe(tmp_path, sql)) == "x"


def test_deleted_and_filtered_input_rows_take_their_output_rows_with_them(
    store: DatasetStore, engine: PipeEngine, write_pipe
) -> None:
    store.write("superoffice_contact", contacts(50))
    write_pipe("crm/customers.sql", CUSTOMERS)
    engine.run()
    kept = [contact(i) for i in range(1, 49) if i not in (7, 8)]  # 49 and 50 go
    store.write("superoffice_contact", [*kept, contact(7, Deleted=1), contact(8, Name="Åtte AS")], full=True)
    (run,) = engine.run()
    assert run.changed_only
    assert (run.stats.changed, run.stats.deleted, run.stats.unchanged) == (1, 3, 0)  # 7 filtered, 49 and 50 gone
    live = {r["_id"]: r["company_name"] for r in store.current_arrow("crm_customers").to_pylist()}
    assert set(live) == {str(i) for i in range(1, 49)} - {"7"}
    assert live["8"] == "Åtte AS"


def test_output_ids_other_than_the_input_ids_follow_their_rows(
    store: DatasetStore, engine: PipeEngine, write_pipe
) -> None:
    """Pulls store ``superoffice-contact:7`` while the pipe makes ``k7``: a deleted or filtered row's output id
    comes from the pipe over the row's earlier version."""
    store.write("superoffice_contact", contacts(20), key="ContactId", id_prefix=PREFIX)
    write_pipe("crm/keys.sql", KEYS)
    engine.run()
    kept = [contact(i) for i in range(1, 21) if i not in (3, 4, 5)]
    rows = [*kept, contact(3, Name="Tre AS"), contact(5, Deleted=1)]
    store.write("superoffice_contact", rows, key="ContactId", id_prefix=PREFIX, full=True)
    (run,) = engine.run()
    assert run.changed_only and (run.stats.changed, run.stats.deleted, run.stats.unchanged) == (1, 2, 0)
    live = {r["_id"]: r["n"] for r in store.current_arrow("crm_keys").to_pylist()}
    assert live["k3"] == "Tre AS" and "k4" not in live and "k5" not in live and len(live) == 18
    forced = engine.run(force=True)[0].stats
    assert (forced.new, forced.changed, forced.deleted) == (0, 0, 0)


def test_a_changed_row_making_an_id_another_row_makes_fails_as_a_full_run_would(
    store: DatasetStore, engine: PipeEngine, write_pipe
) -> None:
    store.write("superoffice_contact", contacts(5))
    write_pipe("crm/names.sql", "SELECT Name AS _id, ContactId AS n FROM superoffice_contact")
    engine.run()
    store.write("superoffice_contact", [contact(2, Name="Company 1 AS")])
    with pytest.raises(PipeError, match="duplicate _id"):
        engine.run()


EDIT = st.tuples(
    st.sampled_from(["rename", "delete_flag", "restore", "tombstone", "create", "clear_email"]),
    st.integers(min_value=1, max_value=30),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(st.lists(EDIT, min_size=1, max_size=6), min_size=1, max_size=5))
def test_changed_rows_runs_equal_a_full_recompute(tmp_path_factory, history) -> None:
    """After any history of edits, each followed by a run, a forced full recompute finds nothing to change."""
    root = tmp_path_factory.mktemp("inc")
    (root / "pipes" / "crm").mkdir(parents=True)
    (root / "pipes" / "crm" / "customers.sql").write_text(CUSTOMERS, encoding="utf-8")
    (root / "pipes" / "crm" / "keys.sql").write_text(KEYS, encoding="utf-8")
    with DatasetStore(root / "datasets") as store:
        engine = PipeEngine(root / "pipes", store)
        rows = {i: contact(i) for i in range(1, 21)}
        store.write("superoffice_contact", list(rows.values()), key="ContactId", id_prefix=PREFIX)
        engine.run()
        for n, batch in enumerate(history):
            for kind, i in batch:
                rows.setdefault(i, contact(i))
                if kind == "rename":
                    rows[i] = {**rows[i], "Name": f"Name {n}-{i}"}
                elif kind == "delete_flag":
                    rows[i] = {**rows[i], "Deleted": 1}
                elif kind == "restore":
                    rows[i] = {**rows[i], "Deleted": 0}
                elif kind == "clear_email":
                    rows[i] = {**rows[i], "Emails": []}
                elif kind == "tombstone":
                    rows.pop(i)
            store.write(
                "superoffice_contact", list(rows.values()), key="ContactId", id_prefix=PREFIX, full=True, force=True
            )
            runs = engine.run()
            assert all(run.changed_only or run.skipped for run in runs), runs
        for forced in (run.stats for run in engine.run(force=True)):
            assert (forced.new, forced.changed, forced.deleted) == (0, 0, 0)
        expected = {str(i) for i, r in rows.items() if r["Deleted"] == 0}
        assert {r["_id"] for r in store.current_arrow("crm_customers").to_pylist()} == expected
        assert {r["_id"] for r in store.current_arrow("crm_keys").to_pylist()} == {f"k{i}" for i in expected}
