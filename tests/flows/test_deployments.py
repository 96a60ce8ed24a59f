"""The sync deployments: schedules from sluice.toml, concurrency limit 1, prefect.yaml in step, registration."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from flows.deployments import FULL, INCREMENTAL, build_deployments, register, specs
from sluice.cli.main import app
from sluice.config import Schedules

REPO = Path(__file__).resolve().parents[2]


def custom_project(tmp_path: Path) -> Path:
    (tmp_path / "sluice.toml").write_text(
        '[schedules]\nincremental_seconds = 60\nfull_cron = "30 3 * * 1-5"\ntimezone = "Europe/Oslo"\n'
    )
    return tmp_path


def test_deployments_follow_the_schedules_in_sluice_toml(tmp_path: Path) -> None:
    incremental, full = build_deployments(custom_project(tmp_path))
    assert incremental.name == INCREMENTAL
    assert incremental.schedules[0].schedule.interval == timedelta(seconds=60)
    assert incremental.schedules[0].schedule.timezone == "Europe/Oslo"
    assert full.name == FULL
    assert full.schedules[0].schedule.cron == "30 3 * * 1-5"
    assert full.schedules[0].schedule.timezone == "Europe/Oslo"


def test_each_deployment_runs_one_at_a_time_with_its_parameters(tmp_path: Path) -> None:
    project = custom_project(tmp_path)
    incremental, full = build_deployments(project)
    for deployment in (incremental, full):
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
        assert deployment.parameters["dry_run"] is False
        assert deployment.parameters["flows"] is None
        assert deployment.parameters["project_dir"] == str(project.resolve())
        assert deployment.entrypoint.endswith("flows/sync.py:sync")
    assert incremental.parameters["full"] is False
    assert full.parameters["full"] is True


def test_the_repository_defaults_are_every_five_minutes_and_nightly() -> None:
    incremental, full = build_deployments(REPO)
    assert incremental.schedules[0].schedule.interval == timedelta(minutes=5)
    assert full.schedules[0].schedule.cron == "0 2 * * *"


def test_prefect_yaml_describes_the_same_deployments() -> None:
    described = {d["name"]: d for d in yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]}
    expected = {s.name: s for s in specs(Schedules())}
    assert set(described) == set(expected)
    for name, spec in expected.items():
        entry = described[name]
        assert entry["entrypoint"] == "flows/sync.py:sync"
        assert entry["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
        params = entry["parameters"]
        assert {k: params[k] for k in spec.parameters} == spec.parameters
        (schedule,) = entry["schedules"]
        assert schedule.get("interval") == spec.interval_seconds
        assert schedule.get("cron") == spec.cron
        assert schedule["timezone"] == spec.timezone


@pytest.mark.slow
def test_register_creates_the_work_pool_and_both_deployments(prefect_server: str, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    project = custom_project(tmp_path)
    assert register(project, work_pool="sluice-test") == ["sync/incremental", "sync/full"]
    assert register(project, work_pool="sluice-test") == ["sync/incremental", "sync/full"]  # idempotent
    with get_client(sync_client=True) as client:
        pool = client.read_work_pool("sluice-test")
        assert pool.type == "process"
        incremental = client.read_deployment_by_name("sync/incremental")
        full = client.read_deployment_by_name("sync/full")
        schedules = client.read_deployment_schedules(incremental.id)
    for deployment in (incremental, full):
        assert deployment.work_pool_name == "sluice-test"
        assert deployment.job_variables == {"working_dir": str(project.resolve())}
        assert deployment.global_concurrency_limit is not None
        assert deployment.global_concurrency_limit.limit == 1
        assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert len(schedules) == 1  # re-registering replaced the schedule, it did not add a second
    assert schedules[0].schedule.interval == timedelta(seconds=60)
    assert full.schedules[0].schedule.cron == "30 3 * * 1-5"
    assert full.parameters["full"] is True and incremental.parameters["full"] is False


@pytest.mark.slow
def test_sluice_deploy_registers_with_the_configured_server(prefect_server: str) -> None:
    from prefect.client.orchestration import get_client

    result = CliRunner().invoke(app, ["deploy", "--work-pool", "sluice-cli", "--project", str(REPO)])
    assert result.exit_code == 0, result.output
    assert "sync/incremental" in result.output and "sync/full" in result.output
    with get_client(sync_client=True) as client:
        assert client.read_work_pool("sluice-cli").type == "process"
        deployment = client.read_deployment_by_name("sync/full")
    assert deployment.work_pool_name == "sluice-cli"
    assert deployment.schedules[0].schedule.cron == "0 2 * * *"


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
    assert [d.name for d in served] == ["incremental", "full"]
    assert all(d.global_concurrency_limit is not None and d.global_concurrency_limit.limit == 1 for d in served)
