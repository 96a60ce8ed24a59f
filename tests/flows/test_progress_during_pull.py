"""The pull progress artifact moves while a long pull runs (deep: per 100 carriers; a cheap full pull: per
list page), read back from a real Prefect server as the pull goes, against the SuperOffice simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flows.progress import PullProgress
from tests.e2e.conftest import start_systems
from tests.flows.test_progress import read_artifact

pytestmark = pytest.mark.slow


class Watched(PullProgress):
    """The real progress artifact, read back from the server after each update the pull made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[float] = []

    def __call__(self, n: int) -> None:
        super().__call__(n)
        self.seen.append(read_artifact(self.artifact_id).data)


@pytest.mark.parametrize("deep", [True, False], ids=["deep", "cheap-full"])
def test_the_artifact_moves_while_a_full_pull_runs(prefect_server: str, tmp_path: Path, deep: bool) -> None:
    from prefect import flow

    systems, _ = start_systems(contacts=2500, customers=0)
    try:
        with systems.project(tmp_path / "datasets") as project:
            project.pull("superoffice_contact")

            @flow
            def pulling() -> tuple[list[float], float]:
                progress = Watched(
                    "superoffice_contact", project.expected_records("superoffice_contact", True), min_interval=0
                )
                project.pull("superoffice_contact", full=True, deep=deep, progress=progress)
                progress.finish()
                return progress.seen, read_artifact(progress.artifact_id).data

            seen, final = pulling()
    finally:
        systems.stop()
    assert len(seen) >= 3 and seen == sorted(seen) and 0 < seen[0] < seen[-1] < 100
    assert final == 100.0
