"""The sync deployments: schedules from sluice.toml, concurrency limit 1, prefect.yaml in step, registration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from typer.testing import CliRunner

from flows.deployments import (
    FULL,
    INCREMENTAL,
    PUSH,
    PUSH_DEPLOYMENT,
    build_deployments,
    cron_to_rrule,
    register,
    specs,
)
from sluice.cli.main import app
from sluice.config import Schedules

REPO = Path(__file__).resolve().parents[2]


def custom_project(tmp_path: Path) -> Path:
    (tmp_path / "sluice.toml").write_text(
        '[schedules]\nincremental_seconds = 60\nfull_cron = "30 3 * * 1-5"\ntimezone = "Europe/Oslo"\n'
    )
    return tmp_path


def test_deployments_follow_the_schedules_in_sluice_toml(tmp_path: Path) -> None:
    incremental, full, _ = build_deployments(custom_project(tmp_path))
    assert incremental.name == INCREMENTAL
    assert incremental.schedules[0].schedule.interval == timedelta(seconds=60)
    assert incremental.schedules[0].schedule.timezone == "Europe/Oslo"
    assert full.name == FULL
    assert full.schedules[0].schedule.rrule.endswith("FREQ=DAILY;BYHOUR=3;BYMINUTE=30;BYSECOND=0;BYDAY=MO,TU,WE,TH,FR")
    assert full.schedules[0].schedule.timezone == "Europe/Oslo"


def test_a_cron_that_rrule_cannot_say_stays_a_cron(tmp_path: Path) -> None:
    (tmp_path / "sluice.toml").write_text('[schedules]\nfull_cron = "0 2 1 * *"\n')
    _, full, _ = build_deployments(tmp_path)
    assert full.schedules[0].schedule.cron == "0 2 1 * *"


@pytest.mark.parametrize("cron", ["0 2 * * *", "30 3 * * 1-5", "0,30 1,13 * * 0,6", "15 23 * * 7"])
def test_the_rrule_fires_exactly_when_the_cron_does(cron: str) -> None:
    from dateutil.rrule import rrulestr
    from prefect._vendor.croniter import croniter  # Prefect's own cron reading

    start = datetime(2026, 3, 1, 0, 0)  # across a month and the start of European summer time
    rule = rrulestr(cron_to_rrule(cron), dtstart=start)
    expected = croniter(cron, start - timedelta(seconds=1))
    for fired in rule[:60]:
        assert fired == expected.get_next(datetime)


def test_the_prefect_server_can_expand_the_nightly_schedule() -> None:
    """The server's own schedule model (what its scheduler runs) yields the next nights at 02:00."""
    from prefect.server.schemas.schedules import RRuleSchedule

    _, full, _ = build_deployments(REPO)
    schedule = full.schedules[0].schedule
    server = RRuleSchedule(rrule=schedule.rrule, timezone=schedule.timezone)
    nights = list(server._get_dates_generator(n=3, start=datetime(2026, 11, 26, 12, tzinfo=UTC), end=None))
    assert [(n.day, n.hour, n.minute) for n in nights] == [(27, 2, 0), (28, 2, 0), (29, 2, 0)]


def test_each_deployment_runs_one_at_a_time_with_its_parameters(tmp_path: Path) -> None:
    project = custom_project(tmp_path)
    incremental, full, push = build_deployments(project)
    for deployment in (incremental, full):
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
        assert deployment.parameters["dry_run"] is False
        assert deployment.parameters["flows"] is None
        assert deployment.parameters["project_dir"] == str(project.resolve())
        assert deployment.parameters["push_deployment"] == PUSH_DEPLOYMENT == f"{push.flow_name}/{push.name}"
        assert deployment.entrypoint.endswith("flows/sync.py:sync")
    assert incremental.parameters["full"] is False
    assert full.parameters["full"] is True


def test_the_push_deployment_has_no_schedule_and_no_deployment_limit(tmp_path: Path) -> None:
    """It runs when a sync run hands it a dataflow; the dataflow's global limit, not a deployment limit,
    keeps two of its runs apart (pushes of different dataflows may run at once)."""
    project = custom_project(tmp_path)
    *_, push = build_deployments(project)
    assert (push.flow_name, push.name) == ("push", PUSH)
    assert push.schedules in (None, [])
    assert push.concurrency_limit is None
    assert push.parameters == {"project_dir": str(project.resolve())}
    assert push.entrypoint.endswith("flows/sync.py:push_dataflow")


def test_the_repository_defaults_are_every_five_minutes_and_nightly() -> None:
    incremental, full, _ = build_deployments(REPO)
    assert incremental.schedules[0].schedule.interval == timedelta(minutes=5)
    assert full.schedules[0].schedule.rrule.endswith("FREQ=DAILY;BYHOUR=2;BYMINUTE=0;BYSECOND=0")


def test_prefect_yaml_describes_the_same_deployments() -> None:
    described = {d["name"]: d for d in yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]}
    expected = {s.name: s for s in specs(Schedules())}
    assert set(described) == {*expected, PUSH}
    push = described[PUSH]
    assert push["entrypoint"] == "flows/sync.py:push_dataflow" and "schedules" not in push
    assert push["work_pool"]["name"] == "sluice"
    for name, spec in expected.items():
        entry = described[name]
        assert entry["entrypoint"] == "flows/sync.py:sync"
        assert entry["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
        params = entry["parameters"]
        assert {k: params[k] for k in spec.parameters} == spec.parameters
        (schedule,) = entry["schedules"]
        assert schedule.get("interval") == spec.interval_seconds
        assert schedule.get("rrule") == (cron_to_rrule(spec.cron) if spec.cron else None)
        assert schedule["timezone"] == spec.timezone


@pytest.mark.slow
def test_register_creates_the_work_pool_and_both_deployments(prefect_server: str, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    project = custom_project(tmp_path)
    names = ["sync/incremental", "sync/full", "push/dataflow"]
    assert register(project, work_pool="sluice-test") == names
    assert register(project, work_pool="sluice-test") == names  # idempotent
    with get_client(sync_client=True) as client:
        pool = client.read_work_pool("sluice-test")
        assert pool.type == "process"
        incremental = client.read_deployment_by_name("sync/incremental")
        full = client.read_deployment_by_name("sync/full")
        push = client.read_deployment_by_name(PUSH_DEPLOYMENT)
        schedules = client.read_deployment_schedules(incremental.id)
        contacts = client.read_global_concurrency_limit_by_name("sluice-dataset-superoffice_contact")
    assert push.work_pool_name == "sluice-test" and not push.schedules
    assert (contacts.limit, contacts.active, contacts.active_slots) == (1, True, 0)
    for deployment in (incremental, full):
        assert deployment.work_pool_name == "sluice-test"
        assert deployment.job_variables == {"working_dir": str(project.resolve())}
        assert deployment.global_concurrency_limit is not None
        assert deployment.global_concurrency_limit.limit == 1
        assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert len(schedules) == 1  # re-registering replaced the schedule, it did not add a second
    assert schedules[0].schedule.interval == timedelta(seconds=60)
    assert full.schedules[0].schedule.rrule.endswith("BYDAY=MO,TU,WE,TH,FR")
    assert full.parameters["full"] is True and incremental.parameters["full"] is False
    assert_the_server_schedules_runs(prefect_server, full.id, hour=3, minute=30, zone="Europe/Oslo")


def assert_the_server_schedules_runs(api: str, deployment_id: Any, hour: int, minute: int, zone: str) -> None:
    """Ask the server to schedule the deployment's next runs (what its scheduler service does)."""
    from zoneinfo import ZoneInfo

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    requests.post(f"{api}/deployments/{deployment_id}/schedule", json={}).raise_for_status()
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
    starts = [r.expected_start_time.astimezone(ZoneInfo(zone)) for r in runs]
    assert starts and all((s.hour, s.minute) == (hour, minute) and s.weekday() < 5 for s in starts)


@pytest.mark.slow
def test_sluice_deploy_registers_with_the_configured_server(prefect_server: str) -> None:
    from prefect.client.orchestration import get_client

    result = CliRunner().invoke(app, ["deploy", "--work-pool", "sluice-cli", "--project", str(REPO)])
    assert result.exit_code == 0, result.output
    assert "sync/incremental" in result.output and "sync/full" in result.output
    with get_client(sync_client=True) as client:
        assert client.read_work_pool("sluice-cli").type == "process"
        deployment = client.read_deployment_by_name("sync/full")
        limits = {c.name: c.limit for c in client.read_global_concurrency_limits(limit=200, offset=0)}
    assert limits["sluice-flow-contact_customer"] == limits["sluice-dataset-contact_customer_customwebshop"] == 1
    assert deployment.work_pool_name == "sluice-cli"
    assert deployment.schedules[0].schedule.rrule.endswith("FREQ=DAILY;BYHOUR=2;BYMINUTE=0;BYSECOND=0")


def test_sluice_deploy_reports_a_broken_sluice_toml_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "sluice.toml").write_text("[schedules]\nevery = 5\n")
    result = CliRunner().invoke(app, ["deploy", "--project", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown settings" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_sluice_serve_can_register_its_deployments_without_a_work_pool(prefect_server: str, tmp_path: Path) -> None:
    """What ``prefect.serve`` does first (serve itself blocks): apply each deployment with no work pool."""
    from prefect.client.orchestration import get_client

    ids = [deployment.apply() for deployment in build_deployments(custom_project(tmp_path))]
    with get_client(sync_client=True) as client:
        served = [client.read_deployment(i) for i in ids]
    assert [d.name for d in served] == ["incremental", "full", PUSH]
    assert all(d.global_concurrency_limit is not None and d.global_concurrency_limit.limit == 1 for d in served[:2])
    assert served[2].global_concurrency_limit is None


def test_the_entrypoint_loads_the_sync_flow_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.flows import load_flow_from_entrypoint

    monkeypatch.chdir(tmp_path)
    incremental, _, push = build_deployments(REPO)
    assert load_flow_from_entrypoint(incremental.entrypoint).name == "sync"
    assert load_flow_from_entrypoint(push.entrypoint).name == "push"


@pytest.mark.slow
def test_prefect_deploy_accepts_prefect_yaml(prefect_server: str, tmp_path: Path) -> None:
    """``prefect deploy --all`` from the repository registers the two deployments of prefect.yaml."""
    import os
    import subprocess
    import sys

    from prefect.client.orchestration import get_client

    from flows.deployments import ensure_work_pool

    ensure_work_pool("sluice")
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "PREFECT_HOME": str(tmp_path), "PWD": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with get_client(sync_client=True) as client:
        full = client.read_deployment_by_name("sync/full")
    assert full.work_pool_name == "sluice"
    assert full.schedules[0].schedule.rrule.endswith("FREQ=DAILY;BYHOUR=2;BYMINUTE=0;BYSECOND=0")
    assert full.global_concurrency_limit is not None and full.global_concurrency_limit.limit == 1
    assert full.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]


def test_sluice_deploy_without_a_configured_server_says_how_to_configure_one() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = CliRunner().invoke(app, ["deploy", "--project", str(REPO)])
    assert result.exit_code == 1
    assert "no Prefect server configured: set PREFECT_API_URL" in result.output
    assert "Traceback" not in result.output


def test_sluice_deploy_to_an_unreachable_server_is_a_one_line_error() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        result = CliRunner().invoke(app, ["deploy", "--project", str(REPO)])
    assert result.exit_code == 1
    assert "could not register with the Prefect server at http://127.0.0.1:9/api" in result.output
    assert "Traceback" not in result.output
