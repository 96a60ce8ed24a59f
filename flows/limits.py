"""Prefect global concurrency limits that keep two workers off one dataset.

Rule: one limit of 1 per pulled or piped dataset (``sluice-dataset-<name>``), held by the task that writes
it, and one per dataflow (``sluice-flow-<name>``), held by the run that plans, pushes and commits it. They
live on the Prefect server, so they hold across workers and machines; the loser waits for the slot.
``ensure`` creates them (idempotent): ``sluice deploy``, ``sluice serve`` and every sync run call it, and
an acquisition is strict, so a missing limit is an error, never a silent pass. The dataset store's own
write guard stays the last line behind them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

PREFIX = "sluice"
WAIT_SECONDS = 1800.0
"""How long a loser waits for a slot (the same as ``Project.sync_lock``); then its task fails and retries."""


def dataset_limit(dataset: str) -> str:
    return f"{PREFIX}-dataset-{dataset}"


def flow_limit(flow: str) -> str:
    return f"{PREFIX}-flow-{flow}"


def project_limits(project_dir: str) -> list[str]:
    """Every limit a sync of the project can take: each source dataset, each pipe output, each dataflow
    (a project without its pipes folder yet has only the first; its sync would say what is missing)."""
    from sluice.project import Project

    with Project.open(project_dir) as project:
        pipes = project.pipes.pipes() if project.config.pipes.is_dir() else []
        datasets = [*project.sources(), *(p.name for p in pipes)]
        return [*map(dataset_limit, dict.fromkeys(datasets)), *map(flow_limit, project.flows.names)]


def ensure(names: Iterable[str]) -> list[str]:
    """Create each limit (1 slot) that the server lacks and re-activate a disabled one; returns those changed.
    One listing call when nothing is missing (every sync run calls it)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectAlreadyExists

    changed = []
    with get_client(sync_client=True) as client:
        known = {limit.name: limit for limit in _all_limits(client)}
        for name in dict.fromkeys(names):
            limit = known.get(name)
            if limit is None:
                try:
                    client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
                except ObjectAlreadyExists:  # another worker made it meanwhile
                    continue
                changed.append(name)
            elif limit.limit != 1 or not limit.active:
                client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(limit=1, active=True))
                changed.append(name)
    return changed


def _all_limits(client: Any, page: int = 200) -> list[Any]:
    """Every global concurrency limit on the server, page by page."""
    out: list[Any] = []
    while True:
        batch = client.read_global_concurrency_limits(limit=page, offset=len(out))
        out += batch
        if len(batch) < page:
            return out


@contextmanager
def held(names: list[str], timeout: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold one slot of every limit in ``names`` (all at once, so two holders never deadlock)."""
    from prefect.concurrency.sync import concurrency

    with concurrency(names, occupy=1, timeout_seconds=timeout, strict=True):
        yield
