"""What Prefect costs: the ``sync`` flow (tasks, subflows, artifacts, progress) vs one ``Project.sync()`` call.

Both do the same first and second sync (with a few edits between) against fresh simulators and a fresh
dataset root, interleaved, best of N; the Prefect server is the test harness (started once, not timed).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import Result

REPO = Path(__file__).resolve().parents[1]


def _one(contacts: int, with_prefect: bool) -> tuple[float, float]:
    """Seconds for a first (full) and a second (incremental, after edits) sync."""
    from flows.demo import edit_both_sides, environment, simulators
    from flows.sync import sync
    from sluice.project import Project

    def engine() -> None:
        with Project.open(REPO) as project:
            project.sync()

    def flow() -> None:
        sync(project_dir=str(REPO))

    step: Callable[[], None] = flow if with_prefect else engine
    with (
        tempfile.TemporaryDirectory() as tmp,
        simulators(contacts=contacts, customers=12) as systems,
        environment(systems.env(Path(tmp) / "datasets")),
    ):
        start = time.perf_counter()
        step()
        first = time.perf_counter() - start
        edit_both_sides(systems)
        start = time.perf_counter()
        step()
        second = time.perf_counter() - start
    return first, second


def run(quick: bool) -> list[Result]:
    from prefect.testing.utilities import prefect_test_harness

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    contacts, repeat = (40, 1) if quick else (300, 3)
    best = {(p, k): float("inf") for p in (False, True) for k in ("first", "second")}
    with prefect_test_harness(server_startup_timeout=180):
        for _ in range(repeat):
            for with_prefect in (False, True):  # interleaved: both see the same machine load
                first, second = _one(contacts, with_prefect)
                best[with_prefect, "first"] = min(best[with_prefect, "first"], first)
                best[with_prefect, "second"] = min(best[with_prefect, "second"], second)
    note = f"{contacts} contacts, 12 shop customers; best of {repeat}"
    return [
        Result("flows", f"sync flow: {kind} sync", best[True, key], "s", best[False, key],
               "Project.sync()", note)
        for key, kind in (("first", "first (full)"), ("second", "second (incremental, after edits)"))
    ]  # fmt: skip
