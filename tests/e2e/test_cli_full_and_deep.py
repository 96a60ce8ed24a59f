"""``sluice sync --full`` and ``--deep`` as an operator runs them: what each reads, and the rows/s of each step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from sluice.cli.main import app
from tests.e2e.conftest import REPO, Systems

pytestmark = pytest.mark.slow
runner = CliRunner()


def sluice(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--project", str(REPO)])
    return result.exit_code, result.output


def so_gets(systems: Systems) -> int:
    return requests.get(f"{systems.so_server.url}/_admin/stats").json()["by_method"].get("GET", 0)


def test_full_lists_deep_rereads_and_both_report_rows_per_second(
    systems: Systems, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in systems.env(tmp_path / "datasets").items():
        monkeypatch.setenv(key, value)
    assert sluice("sync")[0] == 0
    gone = systems.contact_ids()[0]
    systems.delete_contact(gone)

    systems.reset_stats()
    code, out = sluice("sync", "--full", "--json")
    assert code == 0, out
    report = json.loads(out)
    pulled = {d["dataset"]: d for d in report["datasets"] if d["step"].startswith("pull")}
    contacts = pulled["superoffice_contact"]
    assert (contacts["step"], contacts["deleted"], contacts["kept"]) == ("pull (full)", 1, 29)
    assert so_gets(systems) < 5  # the list page and the flow's own look-ups, no carrier re-read
    assert all(d["rows_per_second"] > 0 and d["seconds"] > 0 for d in pulled.values())
    assert report["flows"][0]["rows"] > 0 and report["flows"][0]["rows_per_second"] > 0
    ran = [d for d in report["datasets"] if d["step"] in ("pipe", "pipe (changed rows)")]
    assert ran and all(d["seconds"] > 0 and d["rows_per_second"] > 0 for d in ran)

    systems.reset_stats()
    code, out = sluice("sync", "--deep", "--json")
    assert code == 0, out
    report = json.loads(out)
    contacts = next(d for d in report["datasets"] if d["dataset"] == "superoffice_contact")
    assert (report["deep"], report["full"], contacts["step"], contacts["kept"]) == (True, True, "pull (deep)", 0)
    assert so_gets(systems) >= 29  # every carrier

    code, out = sluice("sync", "--full")
    assert code == 0, out
    assert "rows/s" in out and "kept" in out and "reconciled" in out
    assert "\x1b[" not in out and "pull superoffice_contact" not in out  # off a terminal: no progress bar
