"""Two Prefect workers on one process work pool, against a real ``prefect server start`` (not the in-process
harness): a sync run spreads over both workers and ends as a one-process run does; two runs of one
dataflow's push serialize on its global concurrency limit.

Each worker takes one flow run at a time (``--limit 1``), so while one runs the sync, the dataflow pushes it
hands to ``push/dataflow`` can only go to the other: the spread is certain, not a matter of who polls first.
The server's scheduler is off, so no scheduled run takes a worker in the middle of a test. Each worker has
its own Prefect result folder and the push runs persist no Prefect result: the sync run reads each push's
result from the dataset root, as on machines that share only the server and the bucket.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.exceptions import MissingResult

from flows.demo import DEMO_FLOWS, DemoSystems, environment, simulators
from flows.serve_local import child, free_port, server_command, wait_healthy
from sluice.project import Project

REPO = Path(__file__).resolve().parents[2]
POOL = "sluice-two-workers"
WORKERS = ("worker-a", "worker-b")
VOLATILE = {"_offset", "_ts", "_hash", "created_at", "updated_at", "deleted_at", "changed_at", "UpdatedDate",
            "CreatedDate", "sync_updated"}  # fmt: skip
"""What two runs of the same story legitimately differ in: offsets, times and the hashes over them."""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


@dataclass
class Pool:
    api_url: str
    datasets: Path
    systems: DemoSystems
    logs: Path


def prefect_env(home: Path, api_url: str) -> dict[str, str]:
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    """A Prefect server, the deployments on a process pool, both simulators, and two workers."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    base = tmp_path_factory.mktemp("work-pool")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, **prefect_env(base / "prefect", api_url)}
    with ExitStack() as stack:
        server_log = (base / "server.log").open("wb")
        stack.enter_context(server_log)
        server = stack.enter_context(child(server_command(port), env, "prefect server", stdout=server_log))
        wait_healthy(api_url, server)
        stack.enter_context(temporary_settings(updates={PREFECT_API_URL: api_url, PREFECT_HOME: base / "prefect"}))
        from flows.deployments import register

        register(REPO, work_pool=POOL)
        systems = stack.enter_context(simulators(contacts=30, customers=8, seed=7))
        datasets = base / "datasets"
        env.update(systems.env(datasets))
        for name in WORKERS:
            log = stack.enter_context((base / f"{name}.log").open("wb"))
            command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", name,
                       "--limit", "1"]  # fmt: skip
            own = {**env, "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(base / f"{name}-results")}  # no shared store
            stack.enter_context(child(command, own, name, stdout=log))
        wait_for_workers(2)
        yield Pool(api_url, datasets, systems, base)


def wait_for_workers(count: int, timeout: float = 120.0) -> None:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            online = [w for w in client.read_workers_for_work_pool(POOL) if w.status.value == "ONLINE"]
            if len(online) >= count:
                return
            time.sleep(1)
    raise TimeoutError(f"{count} workers did not come online on {POOL!r} within {timeout:.0f} s")


def workers_of(run_ids: list[UUID], timeout: float = 60.0) -> dict[UUID, str]:
    """Which worker took each flow run, from the server's ``prefect.worker.submitted-flow-run`` events."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter

    wanted = {f"prefect.flow-run.{i}": i for i in run_ids}
    found: dict[UUID, str] = {}
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            flt = EventFilter(
                event=EventNameFilter(name=["prefect.worker.submitted-flow-run"]),
                related=EventRelatedFilter(id=list(wanted)),
            )
            for event in client.read_events(filter=flt, limit=50).events:
                for related in event.related:
                    if related.id in wanted:
                        found[wanted[related.id]] = event.resource.name or event.resource.id
            if len(found) == len(wanted):
                return found
            time.sleep(1)
    raise AssertionError(f"no worker event for {set(run_ids) - set(found)} (the events are persisted in batches)")


def child_runs(parent: UUID) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent]))
        )


def task_runs(flow_run: UUID) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, TaskRunFilter

    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id={"any_": [flow_run]}), task_run_filter=TaskRunFilter()
        )


def strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


LINE_IDS = {"link_quoteline_orderline": "b_id", "agreed_quoteline_orderline": "b_id"}
"""The shop numbers new order lines in the order the line sink's concurrent order writes reach it
(``[sinks] concurrency``): two runs may number them differently. Each line's SuperOffice reference
(``external_refs``, the link's ``_id``) still says which line is which, and is compared."""


def without_line_ids(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if name in LINE_IDS:
        return [{k: v for k, v in r.items() if k != LINE_IDS[name]} for r in rows]
    if name == "customwebshop_order":
        return [{**r, "lines": [{k: v for k, v in line.items() if k != "id"} for line in r.get("lines") or []]}
                for r in rows]  # fmt: skip
    return rows


def outcome(datasets: Path) -> dict[str, list[dict[str, Any]]]:
    """Every dataset's current rows (links, agreed state, pipe outputs), after a full re-read of the sources:
    so the pulled datasets show the target systems' records as the sync left them."""
    with Project.open(REPO, datasets=datasets) as project:
        for step in project.steps(DEMO_FLOWS):
            if step.kind == "pull":
                project.pull(step.names[0], full=True, force=True)
        return {
            name: without_line_ids(
                name, sorted((strip(r) for r in project.store.current_arrow(name).to_pylist()), key=lambda r: r["_id"])
            )
            for name in project.store.names()
        }


def one_process_outcome(datasets: Path) -> dict[str, list[dict[str, Any]]]:
    """The same sync of the same seeded systems in one process (``sluice sync``'s engine call)."""
    with simulators(contacts=30, customers=8, seed=7) as systems, environment(systems.env(datasets)):
        with Project.open(REPO, datasets=datasets) as project:
            project.sync(flows=DEMO_FLOWS)
        return outcome(datasets)


def test_a_sync_run_spreads_over_both_workers_and_ends_as_one_process_does(pool: Pool, tmp_path: Path) -> None:
    from prefect.deployments import run_deployment

    run = run_deployment("sync/incremental", parameters={"flows": DEMO_FLOWS}, timeout=240, poll_interval=2)
    assert run.state is not None and run.state.is_completed(), (run.state, (pool.logs / "worker-a.log").read_text())
    summary = run.state.result()
    assert [f["flow"] for f in summary["flows"]] == DEMO_FLOWS
    assert summary["flows"][0]["sinks"][0]["created"] > 0  # the pushes' results came back from the other worker

    pushes = child_runs(run.id)
    assert sorted(p.name for p in pushes) == sorted(f"push {f}" for f in DEMO_FLOWS)
    assert all(p.state.is_completed() for p in pushes)
    for push in pushes:  # not through Prefect: the push runs left it nothing, the root held each result
        with pytest.raises(MissingResult):
            push.state.result()
    assert not list((pool.datasets / ".sync").glob("push-result-*"))  # and the sync run took each one it read
    ran_by = workers_of([run.id, *(p.id for p in pushes)])
    assert set(ran_by.values()) == set(WORKERS)
    assert all(ran_by[p.id] != ran_by[run.id] for p in pushes)
    pulls = [t for t in task_runs(run.id) if t.name.startswith("pull ")]  # tasks of the sync run, on its worker
    with Project.open(REPO, datasets=pool.datasets) as project:
        system_of = {d: s.system for d, s in project.sources().items()}
        assert sorted(t.name for t in pulls) == sorted(f"pull {s.names[0]}" for s in project.steps(DEMO_FLOWS)
                                                       if s.kind == "pull")  # fmt: skip
    spans: dict[str, list[tuple[Any, Any]]] = {}
    for t in pulls:
        spans.setdefault(system_of[t.name.removeprefix("pull ")], []).append((t.start_time, t.end_time))
    for system, times in spans.items():  # one system's pulls in turn: its rate limit covers them together
        times.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(times)), (system, times)
    assert any(t.name.startswith("push contact_customer to") for p in pushes for t in task_runs(p.id))

    with environment(pool.systems.env(pool.datasets)):  # each test's own SLUICE_* are cleared by conftest
        pooled = outcome(pool.datasets)
    assert pooled == one_process_outcome(tmp_path / "one-process")


def test_two_pushes_of_one_dataflow_serialize_on_its_concurrency_limit(pool: Pool) -> None:
    """Both runs start, one on each worker, while the test occupies the dataflow's only slot: neither plans.
    Then each holds it in turn: their tasks never overlap, and both complete.

    The test takes the slot through the API (``active_slots``), not with ``concurrency()``: Prefect keeps one
    acquisition service per limit name per process, bound to the server it first met, and the later tests
    of this process talk to another server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.deployments import run_deployment

    from flows import limits

    name, params = limits.flow_limit("contact_customer"), {"flow_name": "contact_customer"}
    with get_client(sync_client=True) as client:
        client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(active_slots=1))
        try:
            runs = [run_deployment("push/dataflow", parameters=params, timeout=0) for _ in range(2)]
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                states = [client.read_flow_run(r.id).state for r in runs]
                if all(s is not None and s.is_running() for s in states):
                    break
                time.sleep(1)
            assert all(s is not None and s.is_running() for s in states), states
            time.sleep(3)
            assert [task_runs(r.id) for r in runs] == [[], []]  # both wait for the slot the test holds
        finally:
            client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(active_slots=0))
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            finished = [client.read_flow_run(r.id) for r in runs]
            if all(f.state is not None and f.state.is_final() for f in finished):
                break
            time.sleep(1)
    assert all(f.state.is_completed() for f in finished), [f.state for f in finished]
    assert set(workers_of([r.id for r in runs]).values()) == set(WORKERS)
    first, second = sorted(
        ((min(t.start_time for t in ts), max(t.end_time for t in ts)) for ts in (task_runs(r.id) for r in runs)),
    )
    assert first[1] <= second[0], (first, second)  # one held the limit from its plan to its commit, then the other
