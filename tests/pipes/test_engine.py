from __future__ import annotations

import pytest

from sluice.datasets import DatasetStore
from sluice.errors import CircuitBreakerTripped, PipeError
from sluice.pipes import PipeEngine

from .conftest import REPO_PIPES, contact, contacts

CUSTOMERS = """/* description: Companies as customers. */
SELECT CAST(c.ContactId AS VARCHAR) AS _id,
       c.Name AS company_name,
       c.Emails[1].Value AS email,
       {'city': c.Address.Postal.City} AS billing_address
FROM superoffice_contact AS c
WHERE c.Deleted = 0
"""
NAMES = "SELECT k._id, upper(k.company_name) AS loud FROM crm_customers AS k"


@pytest.fixture
def crm(store: DatasetStore, write_pipe) -> DatasetStore:
    store.write("superoffice_contact", contacts(200))
    write_pipe("crm/customers.sql", CUSTOMERS)
    write_pipe("crm/names.sql", NAMES)
    return store


def test_run_writes_outputs_in_dag_order_then_skips(crm: DatasetStore, engine: PipeEngine) -> None:
    seen = []
    runs = engine.run(on_progress=seen.append)
    assert [r.name for r in runs] == ["crm_customers", "crm_names"] == [r.name for r in seen]
    assert [r.stats.new for r in runs] == [200, 200]
    assert crm.current_arrow("crm_names").num_rows == 200
    again = engine.run()
    assert [r.skipped for r in again] == [True, True]
    assert all(info.up_to_date for info in engine.list())


def test_an_input_change_reruns_only_what_it_feeds(crm: DatasetStore, engine: PipeEngine) -> None:
    engine.run()
    crm.write("superoffice_contact", [contact(3, Name="Renamed AS"), contact(201)])
    first, second = engine.run()
    # Both pipes are row-local: they run over the two changed rows only, the other 199 are not even read.
    assert (first.skipped, first.stats.new, first.stats.changed, first.stats.unchanged) == (False, 1, 1, 0)
    assert (second.skipped, second.stats.changed, second.stats.new) == (False, 1, 1)
    assert first.changed_only and second.changed_only and (first.rows, second.rows) == (2, 2)
    rows = {r["_id"]: r["loud"] for r in crm.current_arrow("crm_names").to_pylist()}
    assert rows["3"] == "RENAMED AS"


def test_editing_the_sql_reruns_and_force_reruns(crm: DatasetStore, engine: PipeEngine, write_pipe) -> None:
    engine.run()
    write_pipe("crm/names.sql", NAMES.replace("upper", "lower"))
    runs = engine.run()
    assert [r.skipped for r in runs] == [True, False]
    assert runs[1].stats.changed == 200
    forced = engine.run(["crm_customers"], force=True)
    assert [(r.name, r.skipped, r.stats.unchanged) for r in forced] == [("crm_customers", False, 200)]


def test_full_runs_tombstone_vanished_entities(crm: DatasetStore, engine: PipeEngine) -> None:
    engine.run()
    crm.write("superoffice_contact", [contact(5, Deleted=1)])
    customers = engine.run(["crm/customers.sql"])[0]
    assert customers.stats.deleted == 1
    assert "5" not in crm.current_arrow("crm_customers").column("_id").to_pylist()


def test_the_store_breaker_still_guards_pipe_outputs(crm: DatasetStore, engine: PipeEngine) -> None:
    engine.run()
    crm.write("superoffice_contact", [contact(i, Deleted=1) for i in range(1, 181)])
    with pytest.raises(CircuitBreakerTripped):
        engine.run(["crm_customers"])
    assert crm.current_arrow("crm_customers").num_rows == 200
    assert engine.run(["crm_customers"], force_write=True)[0].stats.deleted == 180


def test_preview_and_diff_write_nothing(crm: DatasetStore, engine: PipeEngine) -> None:
    preview = engine.preview("crm_customers", limit=5)
    assert preview.num_rows == 5
    assert set(preview.column_names) == {"_id", "company_name", "email", "billing_address"}
    assert not crm.exists("crm_customers")
    engine.run(["crm_customers"])
    crm.write("superoffice_contact", [contact(1, Name="New name"), contact(2, Deleted=1), contact(300)])
    offset = crm.last_offset("crm_customers")
    diff = engine.diff("crm_customers")
    assert diff.counts == {"new": 1, "changed": 1, "deleted": 1, "unchanged": 198}
    assert diff.changes.to_pylist() == [
        {"_id": "1", "column": "company_name", "before": '"Company 1 AS"', "after": '"New name"'}
    ]
    assert crm.last_offset("crm_customers") == offset


def test_lineage_uses_the_store_schema_for_star(store: DatasetStore, engine: PipeEngine, write_pipe) -> None:
    store.write("superoffice_contact", contacts(3))
    write_pipe("all.sql", "SELECT * FROM superoffice_contact")
    got = {e.column: [str(s) for s in e.sources] for e in engine.lineage("all")}
    assert got["Name"] == ["superoffice_contact.Name"]
    assert got["Address"] == ["superoffice_contact.Address"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT c.Name FROM superoffice_contact c", "no _id column"),
        ("SELECT 'same' AS _id FROM superoffice_contact c", "duplicate _id"),
        ("SELECT c.ContactId AS _id, c.Nmae FROM superoffice_contact c", "the query failed: Binder Error"),
        ("SELECT c.ContactId AS _id FROM superoffice_contact c WHERE", "SQL syntax error"),
        ("SELECT c.ContactId AS _id FROM superoffice_contcat c", "unknown dataset 'superoffice_contcat'"),
    ],
)
def test_bad_pipes_fail_naming_the_file_and_write_nothing(
    store: DatasetStore, engine: PipeEngine, write_pipe, sql: str, message: str
) -> None:
    store.write("superoffice_contact", contacts(3))
    write_pipe("bad.sql", sql)
    with pytest.raises(PipeError, match=message) as err:
        engine.run()
    assert err.value.path == "pipes/bad.sql"
    assert not store.exists("bad")
    assert engine.state.read("bad") is None


def test_incompatible_type_change_is_refused(store: DatasetStore, engine: PipeEngine, write_pipe) -> None:
    store.write("superoffice_contact", contacts(3))
    write_pipe("t.sql", "SELECT CAST(c.ContactId AS VARCHAR) AS _id, c.ContactId AS n FROM superoffice_contact c")
    engine.run()
    offset = store.last_offset("t")
    write_pipe("t.sql", "SELECT CAST(c.ContactId AS VARCHAR) AS _id, c.Name AS n FROM superoffice_contact c")
    with pytest.raises(PipeError, match=r"pipes/t.sql: incompatible column type change .*n: int64 -> string"):
        engine.run()
    assert store.last_offset("t") == offset


def test_state_stays_out_of_dataset_folders(crm: DatasetStore, engine: PipeEngine) -> None:
    engine.run()
    assert (crm.root / ".pipes" / "crm_customers.json").exists()
    assert ".pipes" not in crm.names()


def test_pipe_lookup_by_name_or_path(crm: DatasetStore, engine: PipeEngine) -> None:
    assert engine.pipe("crm/customers.sql").name == "crm_customers"
    assert engine.pipe("pipes/crm/customers.sql").name == "crm_customers"
    with pytest.raises(PipeError, match="no pipe named 'nope'"):
        engine.pipe("nope")


def test_a_pipe_reading_an_unwritten_pipe_output_says_what_to_run(crm: DatasetStore, engine: PipeEngine) -> None:
    with pytest.raises(PipeError, match=r"crm_customers .*run their pipes first"):
        engine.preview("crm_names")


def test_repository_pipes_pass_their_yaml_tests(store: DatasetStore) -> None:
    results = PipeEngine(REPO_PIPES, store).test()
    assert {r.pipe for r in results} == {
        "contact_customer_superoffice", "contact_customer_customwebshop",
        "product_product_superoffice", "product_product_customwebshop",
        "sale_order_superoffice", "sale_order_customwebshop",
        "quoteline_orderline_superoffice", "quoteline_orderline_customwebshop",
    }  # fmt: skip
    assert all(r.passed for r in results), [r for r in results if not r.passed]


def test_repository_pipes_run_over_the_store(store: DatasetStore) -> None:
    store.write("superoffice_contact", [*contacts(150), contact(151, Deleted=1, NoMailing=True)])
    store.write("customwebshop_customer", [{"_id": "9", "id": 9, "company_name": "Shop AS", "active": True}])
    for name in (
        "superoffice_product",
        "superoffice_pricelist",
        "customwebshop_product",
        "superoffice_sale",
        "superoffice_quote",
        "customwebshop_order",
        "link_contact_customer",
        "link_sale_order",
        "link_product_product",
    ):  # the other flows' inputs
        store.write(name, [], key="id")
    runs = PipeEngine(REPO_PIPES, store).run(["contact_customer_superoffice", "contact_customer_customwebshop"])
    assert {r.name: r.rows for r in runs} == {"contact_customer_superoffice": 151, "contact_customer_customwebshop": 1}
    row = {r["_id"]: r for r in store.current_arrow("contact_customer_superoffice").to_pylist()}["151"]
    assert (row["active"], row["accepts_marketing"]) == (False, False)
    assert row["external_refs"] == {"superoffice_contact_id": "151"}
    assert row["billing_address"]["country_code"] == "NO"
