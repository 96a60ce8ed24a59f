"""The pipes CLI over a real store and real pipe files (typer's runner, no mocks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sluice.cli.main import app
from sluice.datasets import DatasetStore

REPO = Path(__file__).resolve().parents[2]
SQL = """/* description: Companies as customers. */
SELECT CAST(c.ContactId AS VARCHAR) AS _id, c.Name AS company_name, c.Address.Postal.City AS city
FROM superoffice_contact AS c
"""


@pytest.fixture
def project(tmp_path: Path, dataset_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pipes folder with one pipe and its test, and a store holding its input; cwd is the project."""
    pipes = tmp_path / "pipes" / "crm"
    pipes.mkdir(parents=True)
    (pipes / "customers.sql").write_text(SQL)
    (pipes / "customers.test.yaml").write_text(
        "upper_case:\n  inputs:\n    superoffice_contact:\n"
        "      - {ContactId: 1, Name: Acme, Address: {Postal: {City: Oslo}}}\n"
        "  expected:\n    - {_id: '1', company_name: Acme, city: Oslo}\n"
    )
    with DatasetStore(dataset_root) as store:
        postal = {"Postal": {"City": "Oslo"}}
        rows = [{"_id": str(i), "ContactId": i, "Name": f"Co {i}", "Address": postal} for i in (1, 2)]
        store.write("superoffice_contact", rows)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_list_dag_and_pictures(project: Path) -> None:
    code, out = invoke("pipes", "list")
    assert code == 0 and "crm_customers" in out and "will run" in out
    code, out = invoke("pipes", "dag", "--mermaid", "dag.mmd", "--dot", "dag.dot")
    assert code == 0 and "crm_customers" in out and "superoffice_contact" in out
    assert "superoffice_contact --> crm_customers" in (project / "dag.mmd").read_text()
    assert "digraph" in (project / "dag.dot").read_text()


def test_preview_diff_run_json(project: Path) -> None:
    code, out = invoke("pipes", "preview", "crm_customers", "--limit", "1", "--json")
    assert code == 0 and len(json.loads(out)) == 1
    code, out = invoke("pipes", "diff", "crm/customers.sql", "--json")
    assert code == 0 and json.loads(out)["counts"]["new"] == 2
    code, out = invoke("pipes", "run", "--json")
    assert code == 0
    assert [(r["name"], r["skipped"], r["stats"]["new"]) for r in json.loads(out)] == [("crm_customers", False, 2)]
    code, out = invoke("pipes", "run")
    assert code == 0 and "skip" in out


def test_lineage(project: Path) -> None:
    code, out = invoke("pipes", "lineage", "crm_customers", "--json")
    assert code == 0
    assert json.loads(out)["city"] == ["superoffice_contact.Address.Postal.City"]


def test_test_command_passes_then_shows_the_differing_rows(project: Path) -> None:
    code, out = invoke("pipes", "test")
    assert code == 0 and "1 passed, 0 failed" in out
    yaml_path = project / "pipes" / "crm" / "customers.test.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("city: Oslo}", "city: Bergen}"))
    code, out = invoke("pipes", "test", "crm_customers")
    assert code == 1
    assert "FAIL" in out and "Bergen" in out and "Oslo" in out and "city" in out


def test_errors_are_one_line_with_exit_code_1(project: Path) -> None:
    (project / "pipes" / "crm" / "broken.sql").write_text("SELECT 1 AS _id FROM\n missing_dataset")
    code, out = invoke("pipes", "run")
    assert code == 1
    assert "pipes/crm/broken.sql:2: unknown dataset 'missing_dataset'" in " ".join(out.split())
    assert "Traceback" not in out


def test_docs_write_and_check(project: Path) -> None:
    code, _ = invoke("docs", "--check")
    assert code == 1  # no document yet
    code, _ = invoke("docs")
    assert code == 0 and (project / "docs" / "dataflow.md").exists()
    code, _ = invoke("docs", "--check")
    assert code == 0


def test_docs_check_passes_for_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out = invoke("docs", "--check")
    assert code == 0, out


def test_diff_shows_changed_columns_per_entity(project: Path, dataset_root: Path) -> None:
    assert invoke("pipes", "run")[0] == 0
    with DatasetStore(dataset_root) as store:
        store.write("superoffice_contact", [{"_id": "2", "ContactId": 2, "Name": "Renamed", "Address": None}])
    code, out = invoke("pipes", "diff", "crm_customers")
    assert code == 0
    assert "0 new, 1 changed, 0 deleted, 1 unchanged" in out
    assert "company_name" in out and "Renamed" in out and "city" in out
