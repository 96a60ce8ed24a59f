"""The notebooks, executed top to bottom with nbclient over a dataset root this module prepares.

The root comes from two real syncs of the demo's flows (contacts, products, orders) against the demo
simulators, with the demo's edits on both sides between them (so there are histories, an order edited
on each side and a conflict to show); ``SLUICE_NOTEBOOK_DATASETS`` points the notebooks at it, so the
tests never read or create a developer's ``.demo``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from flows.demo import DEMO_FLOWS, edit_both_sides, edit_orders, environment, simulators
from flows.demo_orders import OrderEdits
from sluice.project import Project
from tests.datasets.s3server import MotoS3

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


@dataclass(frozen=True)
class Synced:
    root: Path
    orders: OrderEdits
    """What ``edit_orders`` changed (the order whose lines were edited on both sides, and how)."""


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    root = tmp_path_factory.mktemp("notebook-datasets") / "datasets"
    with simulators(contacts=40, customers=10, seed=11) as systems, environment(systems.env(root)):
        with Project.open(REPO) as project:
            project.sync(flows=DEMO_FLOWS)
        edit_both_sides(systems)
        orders = edit_orders(systems)
        with Project.open(REPO) as project:
            project.sync(flows=DEMO_FLOWS)
    yield Synced(root, orders)


@pytest.fixture(scope="module")
def synced_root(synced: Synced) -> Path:
    return synced.root


@pytest.fixture(scope="module")
def s3_synced_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The same two syncs with the root in a bucket (moto's S3 server); the AWS variables a reader needs."""
    with MotoS3() as s3:
        root = f"s3://{s3.new_bucket()}/analytics/datasets"
        aws = s3.env | {"SLUICE_CACHE": str(tmp_path_factory.mktemp("cache"))}
        with simulators(contacts=40, customers=10, seed=11) as systems, environment(systems.env(root) | aws):
            with Project.open(REPO) as project:
                project.sync()
            edit_both_sides(systems)
            with Project.open(REPO) as project:
                project.sync()
        yield root, aws


def execute(name: str, root: Path | str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the notebook (any cell error fails the test); returns all its text output."""
    monkeypatch.setenv("SLUICE_NOTEBOOK_DATASETS", str(root))
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    resources = {"metadata": {"path": str(NOTEBOOKS)}}
    NotebookClient(notebook, timeout=240, kernel_name="python3", resources=resources).execute()
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.append(output.get("data", {}).get("text/plain", ""))
            texts.append(output.get("data", {}).get("text/html", ""))
    return "\n".join(texts)


@pytest.mark.slow
def test_inspect_datasets_runs_and_shows_history_links_and_conflicts(
    synced_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = execute("inspect_datasets.ipynb", synced_root, monkeypatch)
    assert f"datasets: {synced_root}" in text
    assert "superoffice_contact: 40 live entities" in text
    assert "Nordlys Energi AS" in text or "Fjellvann Bryggeri AS" in text  # a rename in an entity's history
    assert "contact_customer: 40 active links" in text
    assert "1 conflicts" in text and "Edited in the shop AS" in text
    assert "0 dead letters" in text


@pytest.mark.slow
def test_inspect_datasets_reads_an_s3_root_with_the_same_calls(
    s3_synced_root: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An analyst's notebook over a bucket: only ``SLUICE_NOTEBOOK_DATASETS`` and the AWS variables differ."""
    root, aws = s3_synced_root
    for name, value in aws.items():
        monkeypatch.setenv(name, value)
    text = execute("inspect_datasets.ipynb", root, monkeypatch)
    assert f"datasets: {root}" in text
    assert "superoffice_contact: 40 live entities" in text
    assert "Nordlys Energi AS" in text or "Fjellvann Bryggeri AS" in text
    assert "contact_customer: 40 active links" in text
    assert "1 conflicts" in text and "Edited in the shop AS" in text
    assert "0 dead letters" in text


@pytest.mark.slow
def test_author_pipe_runs_the_edit_and_rerun_loop(synced_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pipes_before = {p: p.read_text() for p in (REPO / "pipes").rglob("*.sql")}
    text = execute("author_pipe.ipynb", synced_root, monkeypatch)
    assert "contact_customer/superoffice.sql -> dataset contact_customer_superoffice" in text
    assert "maps_a_company_to_a_customer" in text
    assert "'changed': 0, 'deleted': 0, 'unchanged': 40" in text  # the pipe's output is current
    assert "department" in text and "HOVEDKONTOR" in text.upper()
    assert {p: p.read_text() for p in pipes_before} == pipes_before  # edits happened in a scratch copy


@pytest.mark.slow
def test_order_history_follows_one_order_across_both_systems(synced: Synced, monkeypatch: pytest.MonkeyPatch) -> None:
    edited = synced.orders
    monkeypatch.setenv("SLUICE_NOTEBOOK_ORDER", edited.key)
    with Project.open(REPO, datasets=synced.root) as project:
        links = [r for r in project.links("sale_order").to_pylist() if r["status"] == "active"]
    text = execute("order_history.ipynb", synced.root, monkeypatch)
    assert f"sale_order: {len(links)} active links of {len(links)}" in text
    assert f"order {edited.key} <-> shop order {edited.order}: link active (created)" in text
    sale = edited.key.split(":")[1]
    assert f"sale {sale}: 2 versions" in text and f"quote of sale {sale}: 2 versions" in text
    # the CRM's line edit, as two versions of the quote tree, and in the SuperOffice side of the flow
    line = edited.crm_line
    assert f"{line.sku} × {line.before:g} @" in text and f"{line.sku} × {line.after:g} @" in text
    assert "SuperOffice quote (alternative" in text and f"shop order {edited.order}" in text
    assert "both ways" in text and "to shop only" in text  # the fields' directions
    assert f"0 conflicts for {edited.key}" in text
    # the lines as records of their own: the CRM-edited line and the shop-edited line of the same order
    assert edited.shop_line is not None and edited.shop_line.quoteline != line.quoteline
    assert re.search(rf"{re.escape(edited.key)}: [2-9] lines", text)
    assert "quantity (agreed)" in text and "no quoteline_orderline datasets" not in text


@pytest.mark.parametrize("name", ["inspect_datasets.ipynb", "author_pipe.ipynb", "order_history.ipynb"])
def test_notebooks_are_committed_without_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
