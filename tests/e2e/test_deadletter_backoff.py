"""Dead letters are not resent on every run: only when their change differs (the source was edited), when
their back-off has passed, or on ``sluice deadletters retry``; nothing held back is lost meanwhile.

Writes are counted at the simulators (``/_admin/stats``); the back-off is crossed by moving the engine's clock.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sluice.sync.engine
import sluice.sync.state
from sluice.cli.main import app
from sluice.project import Project
from tests.e2e.conftest import REPO, Systems

pytestmark = pytest.mark.slow
TOO_LONG = ("Altfor Langt Navn AS " * 24).strip()  # 503 characters: the shop takes at most 255 (422)


def customer_of(systems: Systems, project: Project, contact_id: int) -> dict:
    [link] = [r for r in project.links("contact_customer").to_pylist() if r["a_id"] == str(contact_id)]
    return systems.customer(link["b_id"])


def move_clock(monkeypatch: pytest.MonkeyPatch, ahead: timedelta) -> None:
    """The engine's clock (and the dead letters' stamps) ``ahead`` of the wall clock."""
    real = sluice.sync.state.now
    for module in (sluice.sync.state, sluice.sync.engine):
        monkeypatch.setattr(module, "now", lambda: real() + ahead)


def test_a_refused_create_is_not_resent_until_its_source_changes(systems: Systems, project: Project) -> None:
    bad = systems.create_contact(Name=TOO_LONG)
    assert project.sync().flows[0].dead_letters == 1
    [letter] = project.dead_letters()
    assert (letter.op, letter.status, letter.attempts) == ("create", 422, 1)

    systems.reset_stats()
    report = project.sync()  # nothing edited: the refused create waits for its back-off
    assert systems.writes() == (0, 0) and report.writes == 0
    assert report.flows[0].dead_letters == 1
    assert [d.attempts for d in project.dead_letters()] == [1]

    systems.edit_contact(bad["ContactId"], Name="Kort Navn AS")  # the fix, at the source
    systems.reset_stats()
    project.sync()
    assert systems.writes() == (0, 1)
    assert customer_of(systems, project, bad["ContactId"])["company_name"] == "Kort Navn AS"
    assert project.dead_letters() == []


def test_a_held_back_update_loses_nothing_on_either_side(systems: Systems, project: Project) -> None:
    project.sync()
    contact_id = systems.contact_ids()[0]
    before = customer_of(systems, project, contact_id)["company_name"]
    systems.edit_contact(contact_id, Name=TOO_LONG)
    project.sync()
    [letter] = project.dead_letters()
    assert (letter.op, letter.target, letter.status) == ("update", "customwebshop.customers", 422)

    systems.reset_stats()
    for _ in range(2):  # the agreed state must not move for the held change, or the shop's value would win
        project.sync()
    assert systems.writes() == (0, 0)
    assert systems.contact(contact_id)["Name"] == TOO_LONG
    assert customer_of(systems, project, contact_id)["company_name"] == before

    systems.edit_contact(contact_id, Name="Rettet Navn AS")
    project.sync()
    assert customer_of(systems, project, contact_id)["company_name"] == "Rettet Navn AS"
    assert project.dead_letters() == []
    systems.reset_stats()
    project.sync()
    assert systems.writes() == (0, 0)


def test_an_unchanged_dead_letter_is_retried_after_a_growing_back_off(
    systems: Systems, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    systems.create_contact(Name=TOO_LONG)
    project.sync()
    [first] = project.dead_letters()
    failed = datetime.fromisoformat(first.last_failed)
    assert datetime.fromisoformat(first.next_retry) - failed == timedelta(minutes=5)

    move_clock(monkeypatch, timedelta(minutes=4))
    systems.reset_stats()
    project.sync()
    assert systems.writes() == (0, 0)  # still inside the first 5 minutes

    move_clock(monkeypatch, timedelta(minutes=6))
    project.sync()
    assert systems.writes() == (0, 1)  # due: sent once more, refused once more
    [second] = project.dead_letters()
    assert second.attempts == 2 and second.first_failed == first.first_failed
    assert datetime.fromisoformat(second.next_retry) - datetime.fromisoformat(second.last_failed) == timedelta(
        minutes=10
    )


def sluice_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--project", str(REPO)])
    return result.exit_code, result.output


def test_deadletters_retry_sends_at_once_and_list_shows_age_and_attempts(
    systems: Systems, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in systems.env(tmp_path / "datasets").items():
        monkeypatch.setenv(key, value)
    bad = systems.create_contact(Name=TOO_LONG)
    assert sluice_cli("sync")[0] == 0

    systems.reset_stats()
    code, out = sluice_cli("deadletters", "retry", "--json")  # inside the back-off, and asked for: sent
    assert code == 0 and json.loads(out)[0]["dead_letters"] == 1
    assert systems.writes() == (0, 1)

    code, out = sluice_cli("deadletters", "list", "--json")
    [letter] = json.loads(out)
    assert letter["a_id"] == str(bad["ContactId"]) and letter["attempts"] == 2
    assert letter["next_retry"] > letter["last_failed"]
    monkeypatch.setenv("COLUMNS", "240")  # an operator's terminal, wide enough for every column
    code, out = sluice_cli("deadletters", "list")
    assert code == 0
    assert "age" in out and "next retry" in out
    row = next(line for line in out.splitlines() if str(bad["ContactId"]) in line)
    assert " 2 " in row and "0m" in row  # two attempts, failed first under a minute ago

    systems.reset_stats()
    assert sluice_cli("sync")[0] == 0
    assert systems.writes() == (0, 0)


def test_a_retry_that_fails_only_transiently_keeps_its_dead_letter(
    systems: Systems, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    systems.create_contact(Name=TOO_LONG)
    project.sync()
    [first] = project.dead_letters()

    move_clock(monkeypatch, timedelta(minutes=6))  # due again
    for dataset in ("superoffice_contact", "customwebshop_customer"):
        project.pull(dataset)
    project.run_pipes()
    systems.faults(rate_503=1.0)  # the shop is down while the retry is pushed
    flow = project.sync_flow("contact_customer")
    assert flow.sinks[0].failed == 1 and flow.sinks[0].dead_lettered == 0
    assert project.dead_letters() == [first]  # neither dropped nor counted as another refusal

    systems.clear_faults()
    project.sync()
    [second] = project.dead_letters()
    assert (second.attempts, second.status) == (2, 422)
