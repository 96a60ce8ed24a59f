"""The declared schemas are what the datasets really hold: a pull from each simulator, and the sync's own
state rows, are compared with the declarations, so a change on either side fails here, not on a fresh root."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import LocalSideFiles
from sluice.pipes import PipeEngine
from sluice.pipes.declared import STORE_SCHEMA
from sluice.project import Project
from sluice.sync.merge import Conflict
from sluice.sync.model import Link
from sluice.sync.state import DeadLetter, FlowState, declared_schemas, record_conflicts, replace_dead_letters
from sluice.systems import customwebshop, superoffice
from tests.e2e.conftest import start_systems

from .conftest import REPO_PIPES

pytestmark = pytest.mark.slow

PRODUCT_DATASETS = ("superoffice_product", "superoffice_pricelist", "customwebshop_product")
ORDER_DATASETS = ("superoffice_sale", "superoffice_quote", "customwebshop_order")

ADDRESS = {"line1": "Gate 1", "line2": "Bygg B", "postal_code": "0150", "city": "Oslo", "country_code": "NO"}
EVERY_FIELD = {
    "company_name": "Alle Felt AS",
    "organization_number": "912345678",
    "department": "Salg",
    "email": "post@alle-felt.example",
    "phone": "+47 22 00 00 01",
    "website": "https://alle-felt.example",
    "billing_address": ADDRESS,
    "shipping_address": ADDRESS,
    "customer_group": "Gold",
    "accepts_marketing": True,
    "note": "Every field set, so the pull holds every declared column.",
    "active": True,
    "external_refs": {"superoffice_contact_id": "1"},
}
EVERY_PRODUCT_FIELD = {
    "sku": "ALL-1", "name": "Alle felt", "description": "Every field set", "price": "10.50", "cost": "5",
    "vat_rate": "25.00", "currency": "NOK", "unit": "stk", "category": "Test", "stock_quantity": "3",
    "url": "https://shop.example/p/all", "active": True, "external_refs": {"superoffice_product_id": "1"},
}  # fmt: skip

EVERY_ORDER_FIELD = {
    "order_number": "ALL-O-1", "status": "confirmed", "title": "Alle felt", "order_date": "2025-01-02",
    "currency": "NOK", "sales_rep": "Selger", "discount_percent": "5", "note": "Every field set",
    "lines": [{"product_id": 1, "sku": "ALL-L", "name": "Linje", "quantity": "2", "unit_price": "10.00",
               "discount_percent": "0", "vat_rate": "25.00", "position": 1,
               "external_refs": {"superoffice_quoteline_id": "1"}}],
    "external_refs": {"superoffice_sale_id": "sale:1:1", "superoffice_quotealternative_id": "1"},
}  # fmt: skip


def differences(declared: pa.DataType, actual: pa.DataType, path: str) -> list[str]:
    """Where ``actual`` lacks a declared field or types it differently (extra actual fields are fine)."""
    if pa.types.is_struct(declared):
        if not pa.types.is_struct(actual):
            return [f"{path}: declared a struct, found {actual}"]
        found = []
        for field in declared:
            index = actual.get_field_index(field.name)
            if index < 0:
                found.append(f"{path}.{field.name}: not in the dataset")
            else:
                found += differences(field.type, actual.field(index).type, f"{path}.{field.name}")
        return found
    if pa.types.is_list(declared):
        if not pa.types.is_list(actual):
            return [f"{path}: declared a list, found {actual}"]
        return differences(declared.value_type, actual.value_type, f"{path}[]")
    return [] if declared == actual else [f"{path}: declared {declared}, found {actual}"]


def payload_schema(store: DatasetStore, name: str) -> pa.Schema:
    schema = store.current(name).limit(0).to_arrow_table().schema
    return pa.schema([field for field in schema if field.name not in STORE_SCHEMA.names])


@pytest.fixture(scope="module")
def pulled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatasetStore]:
    """Both sources pulled from the simulators; the shop also holds a customer with every field and a tombstone."""
    systems, _ = start_systems(contacts=12, customers=4)
    try:
        session = systems.shop_session()
        session.post(f"{systems.shop_api}/customers", json=EVERY_FIELD).raise_for_status()
        doomed = systems.customers()[0]["id"]
        session.delete(f"{systems.shop_api}/customers/{doomed}").raise_for_status()
        created = session.post(f"{systems.shop_api}/products", json=EVERY_PRODUCT_FIELD)
        created.raise_for_status()
        session.delete(f"{systems.shop_api}/products/{created.json()['id']}").raise_for_status()
        session.post(f"{systems.shop_api}/products", json={**EVERY_PRODUCT_FIELD, "sku": "ALL-2"}).raise_for_status()
        customer = next(c["id"] for c in systems.customers() if c["company_name"] == EVERY_FIELD["company_name"])
        order = session.post(f"{systems.shop_api}/orders", json={**EVERY_ORDER_FIELD, "customer_id": customer})
        order.raise_for_status()
        doomed_order = session.post(f"{systems.shop_api}/orders", json={"customer_id": customer, "order_number": "X-2"})
        session.delete(f"{systems.shop_api}/orders/{doomed_order.json()['id']}").raise_for_status()
        root = tmp_path_factory.mktemp("pulled") / "datasets"
        with systems.project(root) as project:
            for dataset in ("superoffice_contact", "customwebshop_customer", *PRODUCT_DATASETS, *ORDER_DATASETS):
                project.pull(dataset)
        with DatasetStore(root) as store:
            yield store
    finally:
        systems.stop()


@pytest.mark.parametrize(
    "declarations", [superoffice.DATASET_SCHEMAS, customwebshop.DATASET_SCHEMAS], ids=["superoffice", "customwebshop"]
)
def test_each_declared_column_is_in_a_real_pull_with_its_type(pulled: DatasetStore, declarations) -> None:
    for name, declared in declarations.items():
        actual = pa.struct(list(payload_schema(pulled, name)))
        assert differences(pa.struct(list(declared)), actual, name) == []


def test_the_superoffice_columns_the_pipes_read_are_declared(tmp_path: Path) -> None:
    with DatasetStore(tmp_path / "empty") as store:
        engine = PipeEngine(REPO_PIPES, store, declared=superoffice.DATASET_SCHEMAS | customwebshop.DATASET_SCHEMAS)
        read = {str(s) for e in engine.lineage("contact_customer_superoffice") for s in e.sources}
    declared = superoffice.DATASET_SCHEMAS["superoffice_contact"]
    for source in sorted(read):
        dataset, path = source.split(".", 1)
        assert dataset == "superoffice_contact"
        dtype: pa.DataType = pa.struct(list(declared))
        for step in re.sub(r"\[\d+\]", ".[]", path).split("."):
            dtype = dtype.value_type if step == "[]" else dtype.field(step).type  # KeyError: not declared
    assert "superoffice_contact.Address.Street.Zipcode" in read


def test_the_shop_fields_the_pipe_reads_are_declared() -> None:
    """The shop pipe reads each record as JSON (``j->'billing_address'->>'city'``): every path it reads is declared."""
    sql = (REPO_PIPES / "contact_customer" / "customwebshop.sql").read_text()
    paths = [re.findall(r"'(\w+)'", chain) for chain in re.findall(r"\bj((?:->>?'\w+')+)", sql)]
    assert ["external_refs", "superoffice_contact_id"] in paths and ["deleted"] in paths
    declared = pa.struct(list(customwebshop.DATASET_SCHEMAS["customwebshop_customer"]))
    for path in paths:
        dtype: pa.DataType = declared
        for key in path:
            dtype = dtype.field(key).type  # KeyError: the pipe reads a field nobody declared


def test_the_sync_state_rows_have_the_declared_schemas(store: DatasetStore, tmp_path: Path) -> None:
    flow = Project.open(REPO_PIPES.parent).flow("contact_customer")
    state = FlowState(store, flow, LocalSideFiles(tmp_path / "state"))
    state.record_link(Link("superoffice-contact:1", "customwebshop-customer:1", "matched"), {"email": "a@b.example"})
    state.save([Link("superoffice-contact:1", "customwebshop-customer:1", "matched", "closed", "deleted")], {})
    record_conflicts(store, flow.name, [("1", "2", Conflict("email", "a@x.example", "b@x.example", None, "a", "a@x"))])
    letter = DeadLetter(
        flow.name, "create:1", "b", "create", "1", "2", {"body": {}}, 422, "{}", "invalid", "t0", "t1", 2
    )
    replace_dead_letters(store, flow.name, [letter], None)
    declared = declared_schemas([flow])
    assert set(declared) == {"link_contact_customer", "agreed_contact_customer", "sync_conflicts", "sync_deadletters"}
    for name, schema in declared.items():
        assert payload_schema(store, name) == schema, name
