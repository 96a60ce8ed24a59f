"""The one engine API behind every front end: ``Project.open(path)``.

Rule: the CLI, the Prefect flows and the notebooks each make one call here and render the
dataclass it returns. A project owns its store, pipe engine, clients and state (no global
state), so two projects in one process never see each other. It names no system and no flow:
systems come from ``systems/registry.py``, flows from ``pipes/<flow>/flow.py`` (``sync/registry.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from sluice.config import Config, load_config
from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import SideFiles
from sluice.errors import ConfigError, DatasetLockedError, SluiceError
from sluice.pipes.engine import PipeEngine, PipeRun, pipe_step
from sluice.sync.dataflow import Dataflow
from sluice.sync.engine import FlowResult, FlowRunner
from sluice.sync.model import SinkResult
from sluice.sync.pull import PULL, PullFailed, PullResult, Source, Watermarks, pull
from sluice.sync.registry import FlowRegistry, load_flows
from sluice.sync.state import (
    CONFLICTS,
    DeadLetter,
    FlowState,
    declared_schemas,
    load_dead_letters,
    release_dead_letters,
)
from sluice.sync.targets import sink_for
from sluice.systems.registry import DATASET_SCHEMAS, STREAMS, SYSTEMS, stream
from sluice.systems.streams import Stream

log = logging.getLogger("sluice.project")
SYNC_STATE = ".sync"


class SyncBusyError(SluiceError):
    """Another sync of the same dataset root holds the sync lock."""


PullWatcher = Callable[[str, int | None], Callable[[int], None]]
"""``watcher(dataset, expected)`` -> the ``progress(n)`` one pull calls as records arrive."""


@dataclass(frozen=True)
class Step:
    """One step of a sync run, in the order ``Project.steps`` gives: pull a dataset, run some pipes,
    or push a flow (plan, a push per sink, commit). ``Project.sync`` and the Prefect flow both walk them."""

    kind: Literal["pull", "pipes", "flow"]
    names: tuple[str, ...]


@dataclass
class SyncReport:
    """One sync run: what was pulled, what the pipes wrote, what each flow sent.

    ``pull_errors``: the datasets whose read failed as a whole, with the one-line error; the flows that
    need one of them, or read the links of a flow that did not run (``skipped_flows``), pushed nothing, their
    data being stale."""

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
                {"dataset": run.name, "step": pipe_step(run.skipped, run.changed_only),
                 "new": s.new if s else 0, "changed": s.changed if s else 0,
                 "deleted": s.deleted if s else 0, "unchanged": s.unchanged if s else 0,
                 "seconds": round(run.seconds, 3), "rows_per_second": round(run.rows_per_second, 1)}
            )  # fmt: skip
        return rows

    def sink_rows(self) -> list[dict[str, Any]]:
        return [{"flow": f.flow, **s.as_dict()} for f in self.flows for s in f.sinks]


class Project:
    """A Sluice project: config, datasets, pipes, systems and flows."""

    def __init__(self, config: Config, *, clients: Mapping[str, Any] | None = None) -> None:
        self.config = config
        self._clients: dict[str, Any] = dict(clients or {})
        self.flows: FlowRegistry = load_flows(config.pipes, config.flows)

    @classmethod
    def open(cls, path: str | Path = ".", *, datasets: str | Path | None = None, **kwargs: Any) -> Project:
        return cls(load_config(path, datasets), **kwargs)

    # -- parts --------------------------------------------------------------------------------

    @cached_property
    def store(self) -> DatasetStore:
        return DatasetStore(self.config.datasets)

    @cached_property
    def pipes(self) -> PipeEngine:
        declared = DATASET_SCHEMAS | declared_schemas(self.flows.flows.values())
        return PipeEngine(self.config.pipes, self.store, declared=declared)

    @cached_property
    def sync_state(self) -> SideFiles:
        """The sync's state beside the datasets (``ROOT/.sync``, a folder or an S3 prefix): watermarks, journals,
        cursors, the plans and outcomes between steps, the sync lock; any machine reaching the root can go on."""
        return self.store.side_files(SYNC_STATE)

    @cached_property
    def watermarks(self) -> Watermarks:
        return Watermarks(self.sync_state)

    def client(self, system: str) -> Any:
        """The client of one system, connected on first use from ``[systems.<name>]`` and the environment."""
        if system not in self._clients:
            if system not in SYSTEMS:
                raise ConfigError(f"unknown system {system!r}; known: {sorted(SYSTEMS)}")
            self._clients[system] = SYSTEMS[system].connect(self.config.system(system))
        return self._clients[system]

    @contextmanager
    def sync_lock(self, timeout: float = 1800.0) -> Iterator[None]:
        """One sync of a dataset root at a time (the incremental and the nightly deployment never interleave).

        Locally an ``fcntl`` lock the OS releases if the holder dies; on S3 a lease a dead holder keeps for at most
        one lease (``s3lock.py``). A second sync waits up to ``timeout`` seconds."""
        try:
            with self.sync_state.lock("sync.lock", timeout, "sync"):
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
        return {s.dataset: self._source(s, progress) for s in STREAMS.values()}

    def _source(self, stream: Stream, progress: Callable[[int], None] | None) -> Source:
        parse = SYSTEMS[stream.system].watermark
        client = lambda: self.client(stream.system)  # noqa: E731 (connected on first use)

        def read(since: str | None) -> Any:
            mark = parse(since) if since else None
            if stream.reader is not None:
                return stream.reader(client(), mark, progress)
            return client().read(stream.entity, mark, progress=progress)

        def scan(since: str, held: dict[Any, Any]) -> Any:
            return client().scan(stream.entity, since, held, progress=progress)

        return Source(
            stream.system, stream.entity, stream.dataset, stream.key, stream.id_prefix, read,
            scan=scan if stream.stamp else None, stamp=stream.stamp,
        )  # fmt: skip

    def flow(self, name: str) -> Dataflow:
        if name not in self.flows.flows:
            raise ConfigError(f"unknown dataflow {name!r}; known: {self.flows.names}")
        return self.flows.flows[name]

    def flow_names(self, flows: list[str] | None = None) -> list[str]:
        """The named flows (default: the enabled ones), in run order."""
        for name in flows or []:
            self.flow(name)
        return self.flows.ordered(flows or [n for n, f in self.flows.flows.items() if f.enabled])

    def runner(self, name: str, *, full: bool = False) -> FlowRunner:
        flow = self.flow(name)
        decl = flow.declaration
        owner = self.flow(decl.scope_of) if decl is not None and decl.scope_of else flow
        if owner.declaration is not None and owner.declaration.scope is not None:  # e.g. the price list
            flow = replace(flow, scope=owner.declaration.scope(self.store, owner.settings))
        sink_a, sink_b = (self._sink(flow, system) for system in (flow.a_system, flow.b_system))
        state = FlowState(self.store, flow, self.sync_state)
        b_source = stream(f"{flow.b_system}.{flow.b_entity}").dataset
        a_source = stream(f"{flow.a_system}.{flow.a_entity}").dataset
        return FlowRunner(
            self.store, flow, state, sink_a, sink_b, self.sync_state, b_source=b_source, a_source=a_source, full=full
        )

    def _sink(self, flow: Dataflow, system: str) -> Any:
        return sink_for(flow, system, self.client(system), self.store, self.config.system(system))

    def steps(self, names: list[str]) -> list[Step]:
        """A run of ``names``: every pull they need; the pipes of the flows that reference none (and those no
        flow needs) in one go; then flow by flow, references first, its push, each referencing flow's pipes
        running once the flows it reads have committed their links; last, the pipes that read links."""
        flows = [self.flow(n) for n in self.flows.ordered(names)]
        steps = [Step("pull", (d,)) for d in dict.fromkeys(d for f in flows for d in f.sources)]
        first = tuple(dict.fromkeys([p for f in flows if not f.references for p in f.pipes] + [*self.flows.free]))
        steps += [Step("pipes", first)] if first else []
        ran = set(first)
        for flow in flows:
            pipes = tuple(p for p in flow.pipes if p not in ran)
            ran.update(pipes)
            steps += [Step("pipes", pipes)] if pipes else []
            steps.append(Step("flow", (flow.name,)))
        return [*steps, Step("pipes", self.flows.late)] if self.flows.late else steps

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
        refused: list[str] = []
        refused_flows: set[str] = set()
        for step in self.steps(names):
            if step.kind == "pull":
                self._pull_source(report, step.names[0], full=full, force=force, deep=deep, progress=progress)
            elif any(not self.store.exists(d) for d in report.pull_errors):  # never pulled: the pipes cannot run
                report.skipped_flows += [n for n in step.names if step.kind == "flow"]
            elif step.kind == "pipes":
                report.pipes += self.run_pipes(list(step.names))
            elif set(self.flow(step.names[0]).sources) & set(report.pull_errors):
                report.skipped_flows.append(step.names[0])  # its data is stale: pushing it could undo newer edits
            elif set(self.flow(step.names[0]).references) & {*report.skipped_flows, *refused_flows}:
                # The links it reads are stale: an order deleted in the shop whose flow was skipped still looks
                # linked, so its lines look removed from a live order and were deleted in SuperOffice (seed 72058).
                report.skipped_flows.append(step.names[0])
            else:
                try:
                    report.flows.append(self.sync_flow(step.names[0], dry_run=dry_run, force=force, full=full or deep))
                except ConfigError as exc:  # one flow's settings (a price list the tenant lacks): the others run
                    log.error("%s", exc)
                    refused.append(str(exc))
                    refused_flows.add(step.names[0])
                except PullFailed as exc:  # a record its set-up looks up was not read (its price list): as a pull
                    log.info("%s", exc)
                    report.pull_errors[exc.dataset] = str(exc)
                    report.pull_failures.append(exc)
                    report.skipped_flows.append(step.names[0])
        report.finished = datetime.now(UTC).isoformat(timespec="seconds")
        if refused:
            raise ConfigError("; ".join(refused) + (" (the other flows ran)" if report.flows else ""))
        return report

    def _pull_source(
        self, report: SyncReport, dataset: str, *, full: bool, force: bool, deep: bool, progress: PullWatcher | None
    ) -> None:
        """Pull one dataset a flow needs; a read that fails as a whole is reported and the others go on."""
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
        return {n for n in self.flow_names() if set(self.flow(n).sources) & datasets}

    # -- inspection ---------------------------------------------------------------------------

    def dead_letters(self, flow: str | None = None) -> list[DeadLetter]:
        return load_dead_letters(self.store, flow)

    def conflicts(self) -> pa.Table:
        return self.store.current_arrow(CONFLICTS) if self.store.exists(CONFLICTS) else pa.table({})

    def links(self, flow: str) -> pa.Table:
        name = self.flow(flow).link_dataset
        return self.store.current_arrow(name) if self.store.exists(name) else pa.table({})
