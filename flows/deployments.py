"""The ``sync`` flow's deployments: incremental every few minutes, full nightly, never overlapping; and
``push/dataflow``, which they hand each dataflow's push to, so any worker of the pool may run it.

Rule: the schedules come from ``sluice.toml [schedules]`` and nowhere else; ``sluice deploy``,
``sluice serve``, ``make serve`` and the tests all build them here (``prefect.yaml`` mirrors the
defaults for ``prefect deploy``, and a test keeps the two in step). Registering or serving them also
creates the global concurrency limits the runs hold (``flows/limits.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval, RRule, Schedule

from sluice.config import Schedules, load_config

INCREMENTAL = "incremental"
FULL = "full"
PUSH = "dataflow"
PUSH_DEPLOYMENT = f"push/{PUSH}"
"""The ``push`` flow's deployment: one run per dataflow of a sync run, taken by any worker of the pool."""
WORK_POOL = "sluice"
TAGS = ["sluice"]


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of ``sync``: its name, schedule and default parameters (Prefect-free, easy to compare)."""

    name: str
    description: str
    parameters: dict[str, Any]
    interval_seconds: int | None = None
    cron: str | None = None
    timezone: str = "UTC"
    concurrency_limit: int = 1


def specs(schedules: Schedules) -> list[DeploymentSpec]:
    """The two deployments. ``flows=None`` means every enabled dataflow; a run may override any parameter."""
    base = {"flows": None, "dry_run": False, "push_deployment": PUSH_DEPLOYMENT}
    return [
        DeploymentSpec(
            INCREMENTAL,
            "Incremental sync: pull what changed since the watermarks, push only the deltas.",
            {"full": False, **base},
            interval_seconds=schedules.incremental_seconds,
            timezone=schedules.timezone,
        ),
        DeploymentSpec(
            FULL,
            "Full sync: list everything, so deletes are detected; fetch only what may have changed.",
            {"full": True, **base},
            cron=schedules.full_cron,
            timezone=schedules.timezone,
        ),
    ]


def schedule_of(spec: DeploymentSpec) -> Schedule:
    """The Prefect schedule of one spec. A cron that an RRULE can say is sent as that RRULE: Prefect 3.9's
    server cannot expand cron schedules on Python < 3.13 (its scheduler fails with "tzinfo must be of type
    ZoneInfo"), so a cron deployment would never get a run there; RRULE schedules it correctly."""
    if spec.interval_seconds is not None:
        return Interval(spec.interval_seconds, timezone=spec.timezone)
    rule = cron_to_rrule(spec.cron or "")
    return RRule(rule, timezone=spec.timezone) if rule else Cron(spec.cron or "", timezone=spec.timezone)


DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def cron_to_rrule(cron: str) -> str | None:
    """``"0 2 * * *"`` -> ``"FREQ=DAILY;BYHOUR=2;BYMINUTE=0;BYSECOND=0"``; None for what this does not cover
    (anything but fixed minutes and hours, on every day or on some weekdays)."""
    fields = cron.split()
    if len(fields) != 5 or fields[2] != "*" or fields[3] != "*":
        return None
    minutes, hours, weekdays = _numbers(fields[0], 0, 59), _numbers(fields[1], 0, 23), fields[4]
    if minutes is None or hours is None:
        return None
    rule = f"FREQ=DAILY;BYHOUR={','.join(map(str, hours))};BYMINUTE={','.join(map(str, minutes))};BYSECOND=0"
    if weekdays == "*":
        return rule
    days = _numbers(weekdays, 0, 7, ranges=True)
    return None if days is None else f"{rule};BYDAY={','.join(dict.fromkeys(DAYS[d] for d in days))}"


def _numbers(field: str, low: int, high: int, ranges: bool = False) -> list[int] | None:
    """``"1,3"`` (and ``"1-5"`` when ``ranges``) as sorted numbers within low..high; None otherwise."""
    out: set[int] = set()
    for part in field.split(","):
        first, _, last = part.partition("-") if ranges else (part, "", "")
        if not first.isdigit() or (last and not last.isdigit()):
            return None
        span = range(int(first), int(last or first) + 1)
        if not span or span[0] < low or span[-1] > high:
            return None
        out.update(span)
    return sorted(out)


def build_deployments(project_dir: str | Path = ".") -> list[RunnerDeployment]:
    """The deployments for the project at ``project_dir`` (its ``sluice.toml`` sets the schedules):
    ``sync/incremental``, ``sync/full`` and ``push/dataflow``.

    Each sync deployment has a deployment concurrency limit of 1 with ENQUEUE: a run that comes due while
    the previous one still runs waits for it instead of overlapping it (or being dropped). ``push/dataflow``
    has none of its own: each run holds its dataflow's global limit, so pushes of different dataflows
    may run at once on different workers, and two of the same one never do.
    """
    from flows.sync import push_dataflow, sync

    project = Path(project_dir).resolve()
    config = load_config(project)
    deployments = []
    for spec in specs(config.schedules):
        deployment = sync.to_deployment(
            name=spec.name,
            description=spec.description,
            schedules=[schedule_of(spec)],
            parameters={**spec.parameters, "project_dir": str(project)},
            concurrency_limit=ConcurrencyLimitConfig(
                limit=spec.concurrency_limit, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
            ),
            tags=TAGS,
        )
        deployments.append(deployment)
    deployments.append(
        push_dataflow.to_deployment(
            name=PUSH,
            description="One dataflow's plan, pushes and commit, for a sync run (started by it, not scheduled).",
            parameters={"project_dir": str(project)},
            tags=TAGS,
        )
    )
    source = Path(sync.fn.__code__.co_filename).resolve()
    for deployment in deployments:  # loadable whatever the cwd
        deployment.entrypoint = f"{source}:{deployment.entrypoint.rpartition(':')[2]}"
    return deployments


def ensure_limits(project_dir: str | Path = ".") -> list[str]:
    """The global concurrency limits every deployment run holds, created where missing; returns the new ones."""
    from flows import limits

    return limits.ensure(limits.project_limits(str(Path(project_dir).resolve())))


def ensure_work_pool(name: str = WORK_POOL) -> bool:
    """Create a process work pool called ``name`` unless it exists; True when it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
            return False
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=name, type="process", description="Sluice sync runs"))
            return True


def register(project_dir: str | Path = ".", work_pool: str = WORK_POOL) -> list[str]:
    """``sluice deploy``: register the deployments with the configured Prefect server (creating the
    work pool and the concurrency limits when missing); returns their full names (``sync/incremental``,
    ``sync/full``, ``push/dataflow``)."""
    ensure_work_pool(work_pool)
    ensure_limits(project_dir)
    names = []
    for deployment in build_deployments(project_dir):
        deployment.job_variables = {"working_dir": str(Path(project_dir).resolve())}  # where the worker runs it
        deployment.apply(work_pool_name=work_pool)
        names.append(f"{deployment.flow_name}/{deployment.name}")
    return names


def serve(project_dir: str | Path = ".", limit: int | None = None) -> None:
    """``sluice serve``: run the scheduled deployments from this one long-lived process (blocks)."""
    from prefect import serve as prefect_serve

    ensure_limits(project_dir)
    prefect_serve(*build_deployments(project_dir), limit=limit)
