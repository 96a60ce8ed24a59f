"""``sluice sync`` and ``sluice deadletters`` as an operator runs them: configured by the environment only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sluice.cli.main import app
from sluice.simulators.customwebshop import DEMO_API_KEY
from tests.e2e.conftest import REPO, Systems

pytestmark = pytest.mark.slow
runner = CliRunner()


def sluice(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--project", str(REPO)])
    return result.exit_code, result.output


def test_a_dead_letter_is_listed_and_a_retry_after_the_fix_clears_it(
    systems: Systems, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in systems.env(tmp_path / "datasets").items():
        monkeypatch.setenv(key, value)
    bad = systems.create_contact(Name="Feil Epost AS", Emails=[{"Value": "not-an-address"}])

    code, out = sluice("sync", "--json")
    assert code == 0, out
    assert json.loads(out)["flows"][0]["dead_letters"] == 1

    code, out = sluice("deadletters", "list", "--json")
    [letter] = json.loads(out)
    assert (letter["a_id"], letter["op"], letter["status"]) == (str(bad["ContactId"]), "create", 422)
    assert DEMO_API_KEY not in out

    code, out = sluice("deadletters", "list")
    assert code == 0 and str(bad["ContactId"]) in out and "422" in out

    systems.edit_contact(bad["ContactId"], Emails=[{"Value": "post@feil-epost.example"}])
    code, out = sluice("deadletters", "retry", "--json")
    assert code == 0 and json.loads(out)[0]["dead_letters"] == 0
    code, out = sluice("deadletters", "list", "--json")
    assert json.loads(out) == []


def test_a_tripped_breaker_exits_3_with_the_counts(
    systems: Systems, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in systems.env(tmp_path / "datasets").items():
        monkeypatch.setenv(key, value)
    assert sluice("sync")[0] == 0
    for contact_id in systems.contact_ids()[:20]:
        systems.delete_contact(contact_id)
    code, out = sluice("sync", "--full")
    assert code == 3 and "circuit breaker" in out and '"linked": 30' in out
