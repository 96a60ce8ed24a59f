"""The pull progress artifact: its key, its percentage, its throttle, and that it never fails a pull."""

from __future__ import annotations

from typing import Any

import pytest

from flows.progress import PullProgress, estimate_percent, progress_key


def test_keys_are_what_prefect_accepts() -> None:
    assert progress_key("superoffice_contact") == "pull-superoffice-contact"
    assert progress_key("Shop.Orders") == "pull-shop-orders"


def test_the_percentage_stays_below_100_until_the_pull_ends() -> None:
    assert estimate_percent(50, 200) == 25.0
    assert estimate_percent(500, 200) == 99.0  # the source grew: not done until finish()
    assert estimate_percent(50, None) == 0.0
    assert estimate_percent(50, 0) == 0.0


def read_artifact(artifact_id: Any) -> Any:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterId

    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(artifact_filter=ArtifactFilter(id=ArtifactFilterId(any_=[artifact_id])))
    return artifact


@pytest.mark.slow
def test_updates_are_throttled_and_the_end_is_100_percent(prefect_server: str) -> None:
    from prefect import flow

    now = [0.0]
    seen: list[tuple[float, str]] = []

    @flow
    def pulling() -> Any:
        progress = PullProgress("progress_test", 200, clock=lambda: now[0], min_interval=1.0)
        progress(50)  # within the second: no update
        artifact = read_artifact(progress.artifact_id)
        seen.append((artifact.data, artifact.description))
        now[0] = 1.5
        progress(50)
        artifact = read_artifact(progress.artifact_id)
        seen.append((artifact.data, artifact.description))
        progress.finish()
        return progress.artifact_id

    artifact = read_artifact(pulling())
    assert seen[0] == (0.0, "progress_test: reading 0 of about 200 records")
    assert seen[1] == (50.0, "progress_test: reading 100 of about 200 records")
    assert (artifact.data, artifact.description) == (100.0, "progress_test: read 100 records")


@pytest.mark.slow
def test_a_broken_api_disables_progress_but_not_the_pull(prefect_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect import flow

    import flows.progress as module

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("API down")

    @flow
    def pulling() -> int:
        monkeypatch.setattr(module, "create_progress_artifact", refuse)
        progress = PullProgress("customwebshop_customer", None, clock=lambda: 10.0, min_interval=0)
        progress(5)
        progress.finish()
        return progress.read

    assert pulling() == 5


@pytest.mark.slow
def test_the_end_names_the_records_that_failed(prefect_server: str) -> None:
    from prefect import flow

    @flow
    def pulling() -> Any:
        progress = PullProgress("progress_failed", None, clock=lambda: 0.0)
        progress(30)
        progress.finish(failed=2)
        return progress.artifact_id

    artifact = read_artifact(pulling())
    assert artifact.description == (
        "progress_failed: read 30 records; 2 failed, read again next run (`sluice deadletters list --flow pull`)"
    )
