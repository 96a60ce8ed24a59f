"""The ``sync`` flow under the Prefect test harness, against both simulators over real HTTP.

Configuration reaches the flow only through the environment (as for a deployment run):
``flows.demo``'s simulators and their ``SLUICE_*`` variables, a dataset root per test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import requests

from flows.demo import DemoSystems, edit_both_sides, simulators
from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def systems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[DemoSystems]:
    with simulators(contacts=30, customers=8, seed=7) as demo:
        for key, value in demo.env(tmp_path / "datasets").items():
            monkeypatch.setenv(key, value)
        yield demo


@pytest.fixture
def basic_auth_systems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Both simulators with a SuperOffice that takes Basic auth: no login request, so every POST, PUT,
    PATCH or DELETE the simulators count is a data write. Yields the two servers' base URLs."""
    so = SuperOfficeSimulator(contacts=30, seed=7, auth="basic")
    shop = CustomwebshopSimulator(customers=8, seed=7)
    with ServerThread(so.app) as so_server, ServerThread(shop.app) as shop_server:
        env = {
            "SLUICE_SUPEROFFICE_URL": f"{so_server.url}/{so.tenant}",
            "SLUICE_SUPEROFFICE_AUTH": "basic",
            "SLUICE_SUPEROFFICE_USERNAME": DEMO.username,
            "SLUICE_SUPEROFFICE_PASSWORD": DEMO.password,
            "SLUICE_CUSTOMWEBSHOP_URL": shop_server.url,
            "SLUICE_CUSTOMWEBSHOP_API_KEY": DEMO_API_KEY,
            "SLUICE_DATASETS": str(tmp_path / "datasets"),
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield so_server.url, shop_server.url


def writes(*servers: str) -> list[int]:
    return [requests.get(f"{url}/_admin/stats").json()["writes"] for url in servers]


def run_sync(**params: Any) -> tuple[UUID, dict[str, Any]]:
    from flows.sync import sync

    state = sync(project_dir=str(REPO), return_state=True, **params)
    assert state.is_completed(), state.message
    return state.state_details.flow_run_id, state.result()


def rows(artifact: Any) -> list[dict[str, Any]]:
    """A table artifact's rows (the API returns them as a JSON string)."""
    return json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data


def artifacts(flow_run_id: UUID | None = None, key: str | None = None) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    flt = ArtifactFilter(
        flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]) if flow_run_id else None,
        key=ArtifactFilterKey(any_=[key]) if key else None,
    )
    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=flt)


@pytest.mark.slow
def test_a_sync_run_publishes_counts_summary_and_progress(prefect_server: str, systems: DemoSystems) -> None:
    run_id, summary = run_sync()
    found = {a.key: a for a in artifacts(run_id)}
    assert {"sync-dataset-counts", "sync-sink-counts", "sync-summary"} <= set(found)

    datasets = {(row["dataset"], row["step"]): row for row in rows(found["sync-dataset-counts"])}
    assert datasets[("superoffice_contact", "pull (full)")]["new"] == 30
    assert datasets[("customwebshop_customer", "pull (full)")]["new"] == 8
    sinks = {row["sink"]: row for row in rows(found["sync-sink-counts"])}
    shop_sink = next(row for name, row in sinks.items() if "shop" in name)
    assert shop_sink["created"] == summary["flows"][0]["creates"] > 0
    assert "sluice datasets show sync_conflicts" in found["sync-summary"].data
    assert "sluice deadletters list" in found["sync-summary"].data
    # a real run says so, and never "dry run" (issue 12, bug 11)
    assert found["sync-summary"].data.startswith("# Incremental sync\n\nThe writes were sent.")
    assert found["sync-sink-counts"].description == "Incremental sync: writes sent per sink"
    assert all("dry run" not in (a.description or "").lower() for a in found.values())

    progress = artifacts(key="pull-superoffice-contact")
    assert progress and all(a.type == "progress" for a in progress)
    latest = max(progress, key=lambda a: a.created)
    assert latest.data == 100.0
    assert latest.description == "superoffice_contact: read 30 records"


@pytest.mark.slow
def test_artifacts_keep_their_history_and_list_new_conflicts(prefect_server: str, systems: DemoSystems) -> None:
    first, first_summary = run_sync()
    edit_both_sides(systems)  # includes one field edited on both sides: a conflict
    second, _ = run_sync()
    runs = {a.flow_run_id for a in artifacts(key="sync-dataset-counts")}
    assert {first, second} <= runs
    second_counts = next(a for a in artifacts(second) if a.key == "sync-dataset-counts")
    pulled = {row["dataset"]: row for row in rows(second_counts) if row["step"].startswith("pull")}
    assert pulled["superoffice_contact"]["step"] == "pull (incremental)"
    assert pulled["superoffice_contact"]["new"] == 0
    assert pulled["superoffice_contact"]["changed"] == 4  # contacts 1, 2, 3 and 5 were edited in the CRM
    # the shop's side of the second run: the customers the first run created there, read back
    assert pulled["customwebshop_customer"]["new"] == first_summary["flows"][0]["creates"]
    summary = next(a for a in artifacts(second) if a.key == "sync-summary").data
    assert "## Conflicts detected in this run (1; all: `sluice datasets show sync_conflicts`)" in summary
    assert "Edited in the shop AS" in summary


@pytest.mark.slow
def test_dry_run_reports_every_delta_and_sends_no_write(
    prefect_server: str, basic_auth_systems: tuple[str, str]
) -> None:
    assert writes(*basic_auth_systems) == [0, 0]
    run_id, summary = run_sync(dry_run=True)
    assert writes(*basic_auth_systems) == [0, 0]
    creates = summary["flows"][0]["creates"]
    assert creates > 0
    found = {a.key: a for a in artifacts(run_id)}
    assert found["sync-summary"].data.startswith("# Incremental sync, dry run\n")
    assert found["sync-sink-counts"].description == "Incremental sync, dry run: writes per sink (none sent)"
    assert f"creates {creates}," in found["sync-summary"].data
    assert all(row["created"] == 0 for row in rows(found["sync-sink-counts"]))  # nothing was sent

    run_id, _ = run_sync(full=True)  # the same run for real does write: the check above could have failed
    assert writes(*basic_auth_systems)[1] >= creates
    found = {a.key: a for a in artifacts(run_id)}
    assert found["sync-summary"].data.startswith("# Full sync\n")
    assert found["sync-sink-counts"].description == "Full sync: writes sent per sink"


def task_names(flow_run_id: UUID) -> list[str]:
    """The names of every task run of a flow run and of its subflows."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId, TaskRunFilter

    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id]))
        )
        ids = [flow_run_id, *(run.id for run in children)]
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id={"any_": ids}), task_run_filter=TaskRunFilter())
    return sorted(run.name for run in runs)


def test_the_run_has_a_pull_per_entity_the_pipes_and_a_push_per_sink(prefect_server: str, systems: DemoSystems):
    flow_run_id, summary = run_sync()
    names = task_names(flow_run_id)
    for expected in (
        "pull superoffice_contact",
        "pull customwebshop_customer",
        "run pipes",
        "plan contact_customer",
        "push contact_customer to customwebshop",
        "push contact_customer to superoffice",
        "commit contact_customer",
    ):
        assert any(name.startswith(expected) for name in names), (expected, names)
    [flow] = summary["flows"]
    assert [s["sink"] for s in flow["sinks"]] == ["customwebshop.customers", "superoffice.contact"]
    assert flow["sinks"][0]["created"] == flow["creates"] > 0
