"""The ``sync`` flow under the Prefect test harness, against both simulators over real HTTP.

Configuration reaches the flow only through the environment (as for a deployment run):
``flows.demo``'s simulators and their ``SLUICE_*`` variables, a dataset root per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import requests

from flows.demo import DemoSystems, simulators

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def systems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[DemoSystems]:
    with simulators(contacts=30, customers=8, seed=7) as demo:
        for key, value in demo.env(tmp_path / "datasets").items():
            monkeypatch.setenv(key, value)
        yield demo


def writes(systems: DemoSystems) -> tuple[int, int]:
    so = requests.get(f"{systems.superoffice.url}/_admin/stats").json()["writes"]
    shop = requests.get(f"{systems.shop.url}/_admin/stats").json()["writes"]
    return so, shop


def run_sync(**params: Any) -> tuple[UUID, dict[str, Any]]:
    from flows.sync import sync

    state = sync(project_dir=str(REPO), return_state=True, **params)
    assert state.is_completed(), state.message
    return state.state_details.flow_run_id, state.result()


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

    datasets = {(row["dataset"], row["step"]): row for row in found["sync-dataset-counts"].data}
    assert datasets[("superoffice_contact", "pull (full)")]["new"] == 30
    assert datasets[("customwebshop_customer", "pull (full)")]["new"] == 8
    sinks = {row["sink"]: row for row in found["sync-sink-counts"].data}
    shop_sink = next(row for name, row in sinks.items() if "shop" in name)
    assert shop_sink["created"] == summary["flows"][0]["creates"] > 0
    assert "sluice datasets show sync_conflicts" in found["sync-summary"].data
    assert "sluice deadletters list" in found["sync-summary"].data

    progress = artifacts(key="pull-superoffice-contact")
    assert progress and all(a.type == "progress" for a in progress)
    assert progress[0].data == 100.0
    assert "read 30 records" in progress[0].description


@pytest.mark.slow
def test_the_table_artifacts_keep_their_history_across_runs(prefect_server: str, systems: DemoSystems) -> None:
    first, _ = run_sync()
    second, _ = run_sync()
    runs = {a.flow_run_id for a in artifacts(key="sync-dataset-counts")}
    assert {first, second} <= runs
    second_counts = next(a for a in artifacts(second) if a.key == "sync-dataset-counts").data
    pulled = [row for row in second_counts if row["step"].startswith("pull")]
    assert pulled and all(row["new"] == 0 and row["changed"] == 0 for row in pulled)


@pytest.mark.slow
def test_dry_run_reports_every_delta_and_sends_no_write(prefect_server: str, systems: DemoSystems) -> None:
    requests.delete(f"{systems.superoffice.url}/_admin/stats")
    requests.delete(f"{systems.shop.url}/_admin/stats")
    run_id, summary = run_sync(dry_run=True)
    assert writes(systems) == (0, 0)
    creates = summary["flows"][0]["creates"]
    assert creates > 0
    found = {a.key: a for a in artifacts(run_id)}
    assert found["sync-summary"].data.startswith("# Sync (dry run)")
    assert f"creates {creates}," in found["sync-summary"].data
    assert all(row["created"] == 0 for row in found["sync-sink-counts"].data)  # nothing was sent
