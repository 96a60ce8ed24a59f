"""An integration author's first commands, on a checkout where nothing was pulled yet (typer's runner, real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sluice.cli.main import app

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def sluice(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def empty_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository as checked out (the working directory), with a dataset root nothing was pulled into."""
    root = tmp_path / "datasets"  # not even created
    monkeypatch.setenv("SLUICE_DATASETS", str(root))
    monkeypatch.chdir(REPO)
    return root


def test_list_and_dag_work_on_an_empty_root(empty_root: Path) -> None:
    code, out, err = sluice("pipes", "list")
    assert code == 0, err
    row = next(line for line in out.splitlines() if "contact_customer_superoffice" in line)
    # one table row per pipe, on one line even past 80 columns (stdout is not a terminal here)
    assert "pipes/contact_customer/superoffice.sql" in row and "not pulled yet: superoffice_contact" in row
    assert len(row) > 80
    code, out, err = sluice("pipes", "dag")
    assert code == 0, err
    assert "customwebshop_customer (dataset)" in out and "superoffice_contact (dataset)" in out
    assert not empty_root.exists()


def test_preview_says_not_pulled_yet_in_one_line(empty_root: Path) -> None:
    code, out, err = sluice("pipes", "preview", "contact_customer_superoffice")
    assert code == 0
    assert err.splitlines() == [
        "not pulled yet: superoffice_contact; `sluice sync --dry-run` pulls the sources "
        "(and sends nothing to either system)"
    ]
    assert out == ""
    code, out, err = sluice("pipes", "preview", "contact_customer_customwebshop", "--json")
    assert code == 0 and json.loads(out) == [] and "not pulled yet: customwebshop_customer" in err


def test_diff_and_lineage_work_on_an_empty_root(empty_root: Path) -> None:
    code, out, err = sluice("pipes", "diff", "contact_customer_customwebshop")
    assert code == 0, err
    assert "0 new, 0 changed, 0 deleted, 0 unchanged" in out and "not pulled yet" in err
    code, out, err = sluice("pipes", "lineage", "contact_customer_superoffice", "--json")
    assert code == 0, err
    assert json.loads(out)["email"] == ["superoffice_contact.Emails[0].Value"]


def test_pipes_and_datasets_honour_the_paths_in_sluice_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_DATASETS")
    project = tmp_path / "integration"
    (project / "sql" / "crm").mkdir(parents=True)
    (project / "sql" / "crm" / "names.sql").write_text("SELECT c._id, c.Name AS name FROM superoffice_contact AS c")
    (project / "sluice.toml").write_text('[paths]\ndatasets = "data"\npipes = "sql"\n')
    code, out, err = sluice("pipes", "list", "--project", str(project))
    assert code == 0, err
    assert "crm_names" in out
    code, out, err = sluice("pipes", "run", "--project", str(project))
    assert code == 0, err
    code, out, err = sluice("datasets", "list", "--json", "--project", str(project))
    assert code == 0, err
    assert [d["name"] for d in json.loads(out)] == ["crm_names"]
    assert (project / "data" / "crm_names").is_dir()
