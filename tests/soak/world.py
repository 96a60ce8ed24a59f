"""One scenario's world: both simulators served over real HTTP, a dataset root, and the three ways a sync runs
in it: clean (in process), under a random fault mix (in process, impatient clients), or as the real CLI killed
with SIGKILL at a random moment.

Rule: the world runs syncs and counts what they did (syncs, faults, kills, writes); it judges nothing. Every
sync gets a freshly opened project, so a run killed in a subprocess leaves nothing cached in this one.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

import sluice.pipes.pipe as pipe_module
from sluice.errors import SluiceError
from sluice.pipes.pipe import Pipe
from sluice.pipes.pipe import load_pipe as _load_pipe
from sluice.project import Project, SyncReport
from sluice.systems.http import RetryPolicy
from tests.e2e.conftest import FAST_RETRY, Systems, start_systems
from tests.e2e.drive import kill, start_cli_sync
from tests.soak.figures import Figures

IMPATIENT = RetryPolicy(attempts=3, base=0.001, cap=0.005, max_retry_after=0.01)
"""Three attempts: under the fault mixes drawn here some requests fail for good, so runs really break."""


def draw_fault_mix(rng: random.Random) -> dict[str, Any]:
    """A random mix of the faults both simulators can inject: 429 with ``Retry-After``, 503, answers dropped
    after the server applied the write, and latency. Seeded, so a scenario replays the same draws."""
    return {
        "rate_429": rng.choice([0.0, 0.05, 0.1, 0.2]),
        "retry_after": rng.choice([0, 0.01, 1]),
        "rate_503": rng.choice([0.0, 0.05, 0.1, 0.2]),
        "drop_rate": rng.choice([0.0, 0.05, 0.1, 0.15]),
        "latency_ms": rng.choice([0, 0, 2, 10]),
        "seed": rng.randrange(2**31),
    }


@dataclass
class Traffic:
    """What both simulators answered since the last look: writes per side and faults injected."""

    so_writes: int
    shop_writes: int
    faults: int

    @property
    def writes(self) -> int:
        return self.so_writes + self.shop_writes


@dataclass
class World:
    """The systems of one scenario and the runs made in it."""

    systems: Systems
    root: Path
    figures: Figures = field(default_factory=Figures)

    @contextmanager
    def project(self, retry: RetryPolicy = FAST_RETRY) -> Iterator[Project]:
        with self.systems.project(self.root, retry=retry) as project:
            yield project

    def env(self) -> dict[str, str]:
        """The environment a CLI run sees: the caller's, minus its own SLUICE_* settings, plus these systems."""
        own = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
        return own | self.systems.env(self.root)

    def traffic(self) -> Traffic:
        """Read and reset both simulators' counters; the faults seen are added to the figures."""
        stats = []
        for server in (self.systems.so_server, self.systems.shop_server):
            stats.append(requests.get(f"{server.url}/_admin/stats").json())
            requests.delete(f"{server.url}/_admin/stats").raise_for_status()
        faults = sum(sum(s["faults"].values()) for s in stats)
        self.figures.faults += faults
        return Traffic(stats[0]["writes"], stats[1]["writes"], faults)

    def clean_sync(self, *, full: bool = False) -> SyncReport:
        """A sync with no faults and patient clients; what it raises is the caller's finding."""
        self.systems.clear_faults()
        self.figures.syncs += 1
        with self.project() as project:
            return project.sync(full=full)

    def faulty_sync(self, rng: random.Random) -> None:
        """A sync under a random fault mix. A run aborted by faults it could not retry away is expected (the next
        run redoes it) and counted; anything else it raises is not caught."""
        self.systems.faults(**draw_fault_mix(rng))
        self.figures.syncs += 1
        try:
            with self.project(retry=IMPATIENT) as project:
                project.sync(full=rng.random() < 0.2)
        except SluiceError:
            self.figures.aborted_syncs += 1
        finally:
            self.systems.clear_faults()

    def killed_sync(self, rng: random.Random, meanwhile: Callable[[], None] | None = None) -> None:
        """``sluice sync`` in a subprocess, SIGKILLed at a random moment once it has started talking to the
        systems (its start-up takes seconds on a busy machine); ``meanwhile`` (a user's edit) runs while it works.
        Slow answers keep the run busy when the kill lands; no error faults, so the edit goes through."""
        self.systems.faults(latency_ms=rng.choice([20, 40, 80]))
        self.figures.syncs += 1
        floor = self._requests()
        proc = start_cli_sync(self.env(), *(["--full"] if rng.random() < 0.2 else []))
        try:
            started = time.monotonic()
            while proc.poll() is None and self._requests() == floor and time.monotonic() < started + 60:
                time.sleep(0.01)
            kill_at = time.monotonic() + rng.uniform(0.0, 0.5)  # a small flow's sync is over in about a second
            if meanwhile is not None:
                time.sleep(rng.uniform(0.0, 0.2))
                meanwhile()
            while proc.poll() is None and time.monotonic() < kill_at:
                time.sleep(0.01)
            self.figures.kills += kill(proc)
        finally:
            if proc.poll() is None:
                kill(proc)
            self.systems.clear_faults()

    def _requests(self) -> int:
        """Requests both simulators answered so far (their counters are reset only by ``traffic``)."""
        servers = (self.systems.so_server, self.systems.shop_server)
        return sum(requests.get(f"{s.url}/_admin/stats").json()["requests"] for s in servers)


class _NoTracebacks(logging.Filter):
    """uvicorn logs a traceback for every answer the fault injector drops on purpose; the campaign drops hundreds."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.exc_info


def _quiet_dropped_answers() -> None:
    log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _NoTracebacks) for f in log.filters):
        log.addFilter(_NoTracebacks())


_loaded: dict[tuple[Path, Path, int, int], Pipe] = {}


def _load_pipe_once(path: Path, pipes_dir: Path) -> Pipe:
    """``load_pipe``, once per unchanged file in this process. The campaign opens a fresh project for every sync
    (dozens per scenario) and each opening parsed every pipe again (a DuckDB connection and a sqlglot parse per
    file): half a scenario's time. The parsed pipe of an unchanged file is the same (its tree is only ever read
    through copies), and the killed CLI syncs still load everything from scratch in their own process."""
    stat = path.stat()
    key = (path, pipes_dir, stat.st_mtime_ns, stat.st_size)
    if key not in _loaded:
        _loaded[key] = _load_pipe(path, pipes_dir)
    return _loaded[key]


def _cache_pipes() -> None:
    pipe_module.load_pipe = _load_pipe_once  # type: ignore[assignment]  # discover() looks it up at call time


def open_world(root: Path, *, contacts: int, customers: int, seed: int) -> World:
    _quiet_dropped_answers()
    _cache_pipes()
    systems, _ = start_systems(contacts=contacts, customers=customers, seed=seed)
    return World(systems, root)
