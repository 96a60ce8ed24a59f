"""Both notebooks, executed top to bottom with nbclient over a dataset root this module prepares.

The root comes from two real syncs against the demo simulators (with edits on both sides between
them, so there are histories and a conflict to show); ``SLUICE_NOTEBOOK_DATASETS`` points the
notebooks at it, so the tests never read or create a developer's ``.demo``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from flows.demo import edit_both_sides, environment, simulators
from sluice.project import Project
from tests.datasets.s3server import MotoS3

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


@pytest.fixture(scope="module")
def synced_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("notebook-datasets") / "datasets"
    with simulators(contacts=40, customers=10, seed=11) as systems, environment(systems.env(root)):
        with Project.open(REPO) as project:
            project.sync()
        edit_both_sides(systems)
        with Project.open(REPO) as project:
            project.sync()
    yield root


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


@pytest.mark.parametrize("name", ["inspect_datasets.ipynb", "author_pipe.ipynb"])
def test_notebooks_are_committed_without_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
