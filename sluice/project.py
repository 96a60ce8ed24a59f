"""The one engine API behind every front end: ``Project.open(path)``.

Rule: the CLI, the Prefect flows and the notebooks each make one call here and render the
dataclass it returns. A project owns its store, pipe engine, clients and state (no global
state), so two projects in one process never see each other.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa

from sluice.config import Config, load_config
from sluice.datasets import DatasetStore
from sluice.datasets.lock import write_lock
from sluice.errors import ConfigError, DatasetLockedError, SluiceError
from sluice.pipes.engine import PipeEngine, PipeRun
from sluice.secrets import secret_from_env
from sluice.sync.dataflow import Dataflow, SinkLimits
from sluice.sync.dataflows import DATAFLOWS
from sluice.sync.dataflows.contact_customer import Lookups, apply_to_contact
from sluice.sync.engine import FlowResult, FlowRunner
from sluice.sync.merge import ConflictPolicy
from sluice.sync.model import SinkResult
from sluice.sync.pull import PULL, PullFailed, PullResult, Source, Watermarks, pull
from sluice.sync.state import (
    CONFLICTS,
    DeadLetter,
    FlowState,
    declared_schemas,
    load_dead_letters,
    release_dead_letters,
)
from sluice.sync.targets import CustomwebshopSink, SuperOfficeSink
from sluice.systems import customwebshop, superoffice
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.superoffice import SuperOfficeClient, SuperOfficeSettings

log = logging.getLogger("sluice.project")


class SyncBusyError(SluiceError):
    """Another sync of the same dataset root holds the sync lock."""


PullWatcher = Callable[[str, int | None], Callable[[int], None]]
"""``watcher(dataset, expected)`` -> the ``progress(n)`` one pull calls as records arrive."""

FLOW_SOURCES = {"contact_customer": ("superoffice_contact", "customwebshop_customer")}
"""The raw datasets each flow pulls before its pipes run."""


@dataclass
class SyncReport:
    """One sync run: what was pulled, what the pipes wrote, what each flow sent.

    ``pull_errors``: the datasets whose read failed as a whole, with the one-line error; the flows that
    need one of them (``skipped_flows``) pushed nothing, their data being stale."""

    started: str
    full: bool
    dry_run: bool
    pulls: list[PullResult] = field(default_factory=list)
    pipes: list[PipeRun] = field(default_factory=list)
    flows: list[FlowResult] = field(default_factory=list)
    finished: str = ""
    pull_errors: dict[str, str] = field(default_factory=dict)
    skipped_flows: list[str] = field(default_factory=list)
    pull_failures: list[PullFailed] = field(default_factory=list, repr=False)
    deep: bool = False

    def incomplete(self) -> PullFailed | None:
        """One error for the reads that failed as a whole (the first one's cause chained), or None: a front
        end raises it after showing the report, so the run still ends as failed, in one line."""
        if not self.pull_failures:
            return None
        first, more = self.pull_failures[0], self.pull_failures[1:]
        also = f"; {len(more)} more failed the same run: {', '.join(f.dataset for f in more)}" if more else ""
        skipped = f"; not pushed (stale data): {', '.join(self.skipped_flows)}" if self.skipped_flows else ""
        error = PullFailed(f"{first}{also}{skipped}", first.dataset)
        error.__cause__ = first.__cause__
        return error

    @property
    def writes(self) -> int:
        return sum(f.writes for f in self.flows)

    def dataset_rows(self) -> list[dict[str, Any]]:
        """Per-dataset counts: pulled datasets and pipe outputs."""
        rows = [
            {"dataset": p.dataset, "step": f"pull ({p.mode})", "new": p.stats.new, "changed": p.stats.changed,
             "deleted": p.stats.deleted, "unchanged": p.stats.unchanged, "failed": p.failed, "kept": p.kept,
             "seconds": round(p.seconds, 3), "rows_per_second": round(p.rows_per_second, 1)}
            for p in self.pulls
        ]  # fmt: skip
        for run in self.pipes:
            s = run.stats
            rows.append(
                {"dataset": run.name, "step": "pipe (skipped)" if run.skipped else "pipe",
                 "new": s.new if s else 0, "changed": s.changed if s else 0,
                 "deleted": s.deleted if s else 0, "unchanged": s.unchanged if s else 0,
                 "seconds": round(run.seconds, 3), "rows_per_second": round(run.rows_per_second, 1)}
            )  # fmt: skip
        return rows

    def sink_rows(self) -> list[dict[str, Any]]:
        return [{"flow": f.flow, **s.as_dict()} for f in self.flows for s in f.sinks]


class Project:
    """A Sluice project: config, datasets, pipes, systems and flows."""

    def __init__(
        self,
        config: Config,
        *,
        superoffice_client: SuperOfficeClient | None = None,
        customwebshop_client: CustomwebshopClient | None = None,
    ) -> None:
        self.config = config
        self._clients: dict[str, Any] = {}
        if superoffice_client is not None:
            self._clients["superoffice"] = superoffice_client
        if customwebshop_client is not None:
            self._clients["customwebshop"] = customwebshop_client

    @classmethod
    def open(cls, path: str | Path = ".", *, datasets: str | Path | None = None, **clients: Any) -> Project:
        return cls(load_config(path, datasets), **clients)

    # -- parts --------------------------------------------------------------------------------

    @cached_property
    def store(self) -> DatasetStore:
        return DatasetStore(self.config.datasets)

    @cached_property
    def pipes(self) -> PipeEngine:
        declared = superoffice.DATASET_SCHEMAS | customwebshop.DATASET_SCHEMAS | declared_schemas(DATAFLOWS.values())
        return PipeEngine(self.config.pipes, self.store, declared=declared)

    @property
    def state_dir(self) -> Path:
        return self.config.datasets / ".sync"

    @cached_property
    def watermarks(self) -> Watermarks:
        return Watermarks(self.state_dir / "watermarks.json")

    @property
    def superoffice(self) -> SuperOfficeClient:
        if "superoffice" not in self._clients:
            cfg = self.config.system("superoffice")
            environ = dict(os.environ)  # the environment wins; sluice.toml fills what it leaves out
            for name, value in (("URL", cfg.url), ("AUTH", cfg.auth)):
                if value and not environ.get(f"SLUICE_SUPEROFFICE_{name}"):
                    environ[f"SLUICE_SUPEROFFICE_{name}"] = value
            settings = SuperOfficeSettings.from_env(environ)
            self._clients["superoffice"] = SuperOfficeClient.from_settings(settings, rate_limit=cfg.rate_limit)
        return self._clients["superoffice"]

    @property
    def customwebshop(self) -> CustomwebshopClient:
        if "customwebshop" not in self._clients:
            cfg = self.config.system("customwebshop")
            if not cfg.url:
                raise ConfigError("the shop's URL is not set: SLUICE_CUSTOMWEBSHOP_URL or [systems.customwebshop] url")
            key = secret_from_env("SLUICE_CUSTOMWEBSHOP_API_KEY")
            assert key is not None
            self._clients["customwebshop"] = CustomwebshopClient(cfg.url, key, rate_limit=cfg.rate_limit)
        return self._clients["customwebshop"]

    @contextmanager
    def sync_lock(self, timeout: float = 1800.0) -> Iterator[None]:
        """One sync of a dataset root at a time (the incremental and the nightly deployment never interleave).

        An ``fcntl`` lock the OS releases if the holder dies; a second sync waits up to ``timeout`` seconds."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            with write_lock(self.state_dir / "sync.lock", timeout, "sync"):
                yield
        except DatasetLockedError as exc:
            raise SyncBusyError(
                f"another sync of {self.config.datasets} is still running (waited {timeout:g}s); "
                "this one did nothing and the next scheduled run will catch up"
            ) from exc

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        if "store" in self.__dict__:
            self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sources and flows --------------------------------------------------------------------

    def sources(self, progress: Callable[[int], None] | None = None) -> dict[str, Source]:
        """Every pullable dataset, by name; ``progress(n)`` is called as each page of records arrives."""
        return {
            "superoffice_contact": Source(
                "superoffice", "contact", "superoffice_contact", "ContactId", "superoffice-contact",
                lambda since: self.superoffice.read(
                    "contact", superoffice.Watermark.parse(since) if since else None, progress=progress
                ),
                scan=lambda since, held: self.superoffice.scan("contact", since, held, progress=progress),
                stamp="UpdatedDate",
            ),
            "customwebshop_customer": Source(
                "customwebshop", "customers", "customwebshop_customer", "id", "customwebshop-customer",
                lambda since: self.customwebshop.read(
                    "customers", customwebshop.Watermark.parse(since) if since else None, progress=progress
                ),
            ),
        }  # fmt: skip

    def flow(self, name: str) -> Dataflow:
        if name not in DATAFLOWS:
            raise ConfigError(f"unknown dataflow {name!r}; known: {sorted(DATAFLOWS)}")
        flow = DATAFLOWS[name]
        settings = self.config.flow(name)
        return replace(
            flow,
            policy=ConflictPolicy(tie_winner="a" if settings.tie_winner == "superoffice" else "b"),
            limits=SinkLimits(settings.max_update_share, settings.max_deactivate_share, settings.min_target),
            on_target_deleted=settings.on_target_deleted,
        )

    def flow_names(self, flows: list[str] | None = None) -> list[str]:
        names = flows or [n for n in DATAFLOWS if self.config.flow(n).enabled]
        for name in names:
            self.flow(name)
        return names

    def runner(self, name: str, *, full: bool = False) -> FlowRunner:
        flow = self.flow(name)
        lookups = Lookups(self._categories())
        sink_a = SuperOfficeSink(
            self.superoffice, flow.a_entity, lambda carrier, changes: apply_to_contact(carrier, changes, lookups),
            concurrency=self.config.system("superoffice").concurrency,
        )  # fmt: skip
        state = FlowState(self.store, flow, self.state_dir)
        sink_b = CustomwebshopSink(
            self.customwebshop, flow.b_entity, "superoffice_contact_id",
            concurrency=self.config.system("customwebshop").concurrency,
            batch_size=self.config.system("customwebshop").batch_size,
        )  # fmt: skip
        return FlowRunner(
            self.store, flow, state, sink_a, sink_b, self.state_dir, b_source=FLOW_SOURCES[name][1], full=full
        )

    def _categories(self) -> dict[str, int]:
        if not self.store.exists("superoffice_contact"):
            return {}
        rows = self.store.current("superoffice_contact").query(
            "c", 'SELECT DISTINCT "Category"."Value" AS v, "Category"."Id" AS id FROM c WHERE "Category" IS NOT NULL'
        )
        return {v: int(i) for v, i in rows.fetchall() if v and i}

    # -- the operations every front end calls --------------------------------------------------

    def pull(
        self,
        dataset: str,
        *,
        full: bool = False,
        deep: bool = False,
        force: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> PullResult:
        sources = self.sources(progress)
        if dataset not in sources:
            raise ConfigError(f"unknown source dataset {dataset!r}; known: {sorted(sources)}")
        return pull(self.store, sources[dataset], self.watermarks, full=full, deep=deep, force=force)

    def run_pipes(self, names: list[str] | None = None, *, force: bool = False) -> list[PipeRun]:
        return self.pipes.run(names, force=force)

    def sync_flow(self, name: str, *, dry_run: bool = False, force: bool = False, full: bool = False) -> FlowResult:
        """One flow's whole push: plan (every pair when ``full``), the shop sink, the SuperOffice sink, commit."""
        return self.runner(name, full=full).run(dry_run=dry_run, force=force)

    def plan_flow(self, name: str, *, dry_run: bool = False, force: bool = False, full: bool = False) -> FlowResult:
        """Reconcile (every pair when ``full``) and check the breakers; the plan waits on disk for ``push_sink``
        and ``commit_flow``."""
        return self.runner(name, full=full).start(dry_run=dry_run, force=force)

    def push_sink(self, name: str, target: str) -> SinkResult:
        """Send the planned changes of one sink (``"b"``: the shop, ``"a"``: SuperOffice)."""
        return self.runner(name).push(target)

    def commit_flow(self, name: str) -> int:
        """Advance the agreed state for what the sinks confirmed; returns the flow's live dead letters."""
        return self.runner(name).finish()

    def sync(
        self,
        *,
        full: bool = False,
        flows: list[str] | None = None,
        dry_run: bool = False,
        force: bool = False,
        deep: bool = False,
        progress: PullWatcher | None = None,
    ) -> SyncReport:
        """Pull what the flows need, run the pipes, push each flow's deltas. ``deep``: a full pull that
        re-reads every record; ``progress(dataset, expected)`` gives each pull its ``progress(n)``."""
        names = self.flow_names(flows)
        with self.sync_lock():
            return self._sync(names, full=full, dry_run=dry_run, force=force, deep=deep, progress=progress)

    def _sync(
        self,
        names: list[str],
        *,
        full: bool,
        dry_run: bool,
        force: bool,
        deep: bool = False,
        progress: PullWatcher | None = None,
    ) -> SyncReport:
        report = SyncReport(datetime.now(UTC).isoformat(timespec="seconds"), full or deep, dry_run, deep=deep)
        self._pull_sources(report, names, full=full, force=force, deep=deep, progress=progress)
        if any(not self.store.exists(d) for d in report.pull_errors):  # never pulled: the pipes cannot run
            report.skipped_flows = list(names)
        else:
            report.pipes = self.run_pipes()
            for name in names:
                if set(FLOW_SOURCES[name]) & set(report.pull_errors):
                    report.skipped_flows.append(name)  # its data is stale: pushing it could undo newer edits
                else:
                    report.flows.append(self.sync_flow(name, dry_run=dry_run, force=force, full=full or deep))
        report.finished = datetime.now(UTC).isoformat(timespec="seconds")
        return report

    def _pull_sources(
        self, report: SyncReport, names: list[str], *, full: bool, force: bool, deep: bool, progress: PullWatcher | None
    ) -> None:
        """Pull every dataset the flows need; a read that fails as a whole is reported and the others go on."""
        for dataset in dict.fromkeys(d for n in names for d in FLOW_SOURCES[n]):
            watch = progress(dataset, self.expected_records(dataset, full or deep)) if progress else None
            try:
                report.pulls.append(self.pull(dataset, full=full, deep=deep, force=force, progress=watch))
            except PullFailed as exc:
                log.info("%s", exc)  # the report carries it; front ends show it once
                report.pull_errors[dataset] = str(exc)
                report.pull_failures.append(exc)

    def expected_records(self, dataset: str, full: bool) -> int | None:
        """What a pull will probably go through, for its progress bar: a full pull lists the live records;
        an incremental one reads an unknown few."""
        return self.store.info(dataset).live if full and self.store.exists(dataset) else None

    def retry_dead_letters(self, flow: str | None = None) -> list[FlowResult]:
        """Replay the flows that hold dead letters now, back-off or not: pull what changed (a fix made at the
        source since), run the pipes, and push again; each dead-lettered change is recomputed from today's
        data, and those that now succeed leave the list. A pull's dead letter replays the flows reading it."""
        with self.sync_lock():
            letters = self.dead_letters(flow)
            release_dead_letters(self.store, flow)
            pulled = {d.target for d in letters if d.flow == PULL}
            names = sorted({d.flow for d in letters if d.flow != PULL} | self._flows_reading(pulled))
            if not names:
                return []
            return self._sync(self.flow_names(names), full=False, dry_run=False, force=False).flows

    def _flows_reading(self, datasets: set[str]) -> set[str]:
        """The enabled flows that pull one of ``datasets`` (a pull dead letter is retried by syncing them)."""
        return {n for n in self.flow_names() if set(FLOW_SOURCES[n]) & datasets}

    # -- inspection ---------------------------------------------------------------------------

    def dead_letters(self, flow: str | None = None) -> list[DeadLetter]:
        return load_dead_letters(self.store, flow)

    def conflicts(self) -> pa.Table:
        return self.store.current_arrow(CONFLICTS) if self.store.exists(CONFLICTS) else pa.table({})

    def links(self, flow: str) -> pa.Table:
        name = self.flow(flow).link_dataset
        return self.store.current_arrow(name) if self.store.exists(name) else pa.table({})
