"""Declared datasets: pipes list, plan, preview and trace on a root where nothing was pulled yet."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from sluice.datasets import DatasetStore
from sluice.errors import PipeError
from sluice.pipes import PipeEngine
from sluice.pipes.declared import STORE_SCHEMA, empty_relation
from sluice.project import Project
from sluice.sync.state import declared_schemas
from sluice.systems import customwebshop, superoffice

from .conftest import REPO, REPO_PIPES, contact

DECLARED = (
    superoffice.DATASET_SCHEMAS
    | customwebshop.DATASET_SCHEMAS
    | declared_schemas(Project.open(REPO).flows.flows.values())
)
LINKED = """/* description: Contacts with their shop customer, once linked. */
SELECT CAST(c.ContactId AS VARCHAR) AS _id, c.Name AS company_name, l.b_id AS shop_id
FROM superoffice_contact AS c
LEFT JOIN link_contact_customer AS l ON l.a_id = 'superoffice-contact:' || CAST(c.ContactId AS VARCHAR)
"""


@pytest.fixture
def fresh(store: DatasetStore) -> PipeEngine:
    """The repository's pipes over an empty dataset root."""
    return PipeEngine(REPO_PIPES, store, declared=DECLARED)


def test_the_repository_pipes_plan_on_a_fresh_root(fresh: PipeEngine) -> None:
    infos = fresh.list()
    assert {i.name: i.absent for i in infos} == {
        "contact_customer_customwebshop": ("customwebshop_customer",),
        "contact_customer_superoffice": ("superoffice_contact",),
        "product_product_customwebshop": ("customwebshop_product",),
        "product_product_superoffice": ("superoffice_product", "superoffice_pricelist"),
        "sale_order_customwebshop": ("customwebshop_order",),
        "sale_order_superoffice": ("superoffice_sale", "superoffice_quote", "link_contact_customer"),
        "quoteline_orderline_customwebshop": (
            "customwebshop_order", "link_sale_order", "superoffice_quote", "link_product_product",
            "superoffice_product",
        ),
        "quoteline_orderline_superoffice": (
            "superoffice_quote", "link_sale_order", "superoffice_product", "link_product_product",
        ),
    }  # fmt: skip
    assert fresh.dag().sources == (
        "customwebshop_customer", "customwebshop_order", "customwebshop_product", "link_contact_customer",
        "link_product_product", "link_sale_order", "superoffice_contact", "superoffice_pricelist",
        "superoffice_product", "superoffice_quote", "superoffice_sale",
    )  # fmt: skip
    assert fresh.preview("product_product_superoffice").num_rows == 0
    for info in (i for i in infos if i.name.startswith("contact_customer")):
        rows = fresh.preview(info.name)
        assert rows.num_rows == 0
        assert {"_id", "company_name", "email", "billing_address", "external_refs"} <= set(rows.column_names)
        assert fresh.diff(info.name).counts == {"new": 0, "changed": 0, "deleted": 0, "unchanged": 0}
        assert fresh.absent_inputs(info.name) == list(info.absent)
    lineage = {e.column: [str(s) for s in e.sources] for e in fresh.lineage("contact_customer_superoffice")}
    assert lineage["billing_address.line1"] == ["superoffice_contact.Address.Postal.Address1"]


def test_project_pipes_are_wired_with_the_declarations(tmp_path: Path) -> None:
    with Project.open(REPO, datasets=tmp_path / "empty") as project:
        assert [i.name for i in project.pipes.list()] == [
            "contact_customer_customwebshop",
            "contact_customer_superoffice",
            "product_product_customwebshop",
            "product_product_superoffice",
            "quoteline_orderline_customwebshop",
            "quoteline_orderline_superoffice",
            "sale_order_customwebshop",
            "sale_order_superoffice",
        ]
        assert project.pipes.preview("contact_customer_superoffice").num_rows == 0
        assert project.pipes.preview("quoteline_orderline_customwebshop").num_rows == 0
        assert project.pipes.preview("sale_order_superoffice").num_rows == 0  # links declared too
    assert not (tmp_path / "empty").exists()  # planning writes nothing


def test_a_pipe_reading_the_link_dataset_plans_before_the_first_sync(
    store: DatasetStore, pipes_dir: Path, write_pipe
) -> None:
    write_pipe("crm/linked.sql", LINKED)
    store.write("superoffice_contact", [contact(1), contact(2)])
    engine = PipeEngine(pipes_dir, store, declared=DECLARED)
    assert engine.absent_inputs("crm_linked") == ["link_contact_customer"]
    rows = engine.preview("crm_linked").to_pylist()
    assert sorted((r["_id"], r["shop_id"]) for r in rows) == [("1", None), ("2", None)]
    link = {"_id": "a", "a_id": "superoffice-contact:2", "b_id": "customwebshop-customer:9"}
    store.write("link_contact_customer", [link])
    assert engine.absent_inputs("crm_linked") == []
    rows = engine.preview("crm_linked").to_pylist()
    assert sorted((r["_id"], r["shop_id"]) for r in rows) == [("1", None), ("2", "customwebshop-customer:9")]


def test_a_declared_dataset_in_the_store_binds_as_itself(fresh: PipeEngine, store: DatasetStore) -> None:
    store.write("superoffice_contact", [contact(7, Name="Sju AS")])
    assert fresh.absent_inputs("contact_customer_superoffice") == []
    rows = fresh.preview("contact_customer_superoffice").to_pylist()
    assert [(r["_id"], r["company_name"]) for r in rows] == [("7", "Sju AS")]


def test_a_run_over_a_declared_absent_input_writes_an_empty_output(fresh: PipeEngine, store: DatasetStore) -> None:
    [run, _] = fresh.run(["contact_customer_superoffice", "contact_customer_customwebshop"])
    assert (run.rows, run.stats.new) == (0, 0)
    store.write("superoffice_contact", [contact(1)])
    assert [r.stats.new for r in fresh.run(["contact_customer_superoffice"])] == [1]


def test_an_undeclared_dataset_is_still_unknown(store: DatasetStore, pipes_dir: Path, write_pipe) -> None:
    write_pipe("crm/linked.sql", LINKED)
    engine = PipeEngine(pipes_dir, store, declared=superoffice.DATASET_SCHEMAS)
    with pytest.raises(PipeError, match=r"crm/linked.sql:4: unknown dataset 'link_contact_customer'"):
        engine.list()


def test_an_empty_relation_has_the_columns_the_store_gives(store: DatasetStore) -> None:
    store.write("thing", [{"_id": "1", "name": "x", "n": 3}])
    current = store.current("thing").limit(0).to_arrow_table().schema
    assert pa.schema(list(current)[: len(STORE_SCHEMA)]) == STORE_SCHEMA
    declared = pa.schema([("_id", pa.int64()), ("name", pa.string()), ("n", pa.int64())])
    assert empty_relation(declared).schema == current  # a declared store column is the store's, not redeclared


def test_a_dataset_stored_empty_binds_with_its_declared_columns(fresh: PipeEngine, store: DatasetStore) -> None:
    """A tenant with no quotes: the pull stores an empty ``superoffice_quote`` with no payload columns, and the
    order pipe that names ``FavoriteQuoteAlternativeId`` must still run (it stopped every sync before)."""
    store.write("superoffice_quote", pa.table({"SaleId": pa.array([], pa.null())}), key="SaleId", full=True)
    assert "FavoriteQuoteAlternativeId" not in store.columns("superoffice_quote")
    assert fresh.preview("sale_order_superoffice").num_rows == 0
