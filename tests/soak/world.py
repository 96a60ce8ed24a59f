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
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from sluice.config import load_config
from sluice.errors import SluiceError
from sluice.project import Project, SyncReport
from sluice.secrets import Secret
from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.http import RetryPolicy
from sluice.systems.superoffice import BasicAuth, SuperOfficeClient
from tests.e2e.conftest import FAST_RETRY, REPO, Systems
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
    refused: int = 0
    """Of the writes, those answered 412 (nothing changed): the order flow and the line flow both write an order
    whose header and lines changed in one window, and the second write's pulled version is stale (seed 70008)."""

    @property
    def writes(self) -> int:
        return self.so_writes + self.shop_writes


@dataclass
class World:
    """The systems of one scenario and the runs made in it. ``config`` is the folder of the scenario's
    ``sluice.toml`` (the repository's, with the flows under test enabled), read by every run, CLI ones too."""

    systems: Systems
    root: Path
    config: Path
    so_writes: SuperOfficeWrites
    figures: Figures = field(default_factory=Figures)
    story: list[str] = field(default_factory=list)
    """What happened, in order (syncs here, actions and settled fields from the runner and the adapters):
    written next to a finding (``--stories``), so a timing-dependent one can be read after the fact."""

    @contextmanager
    def project(self, retry: RetryPolicy = FAST_RETRY) -> Iterator[Project]:
        systems = self.systems
        so = SuperOfficeClient(
            systems.tenant_url, BasicAuth(DEMO.username, Secret(DEMO.password)), retry=retry, workers=4
        )
        shop = CustomwebshopClient(systems.shop_server.url, DEMO_API_KEY, retry=retry)
        config = load_config(self.config, datasets=self.root)
        with Project(config, clients={"superoffice": so, "customwebshop": shop}) as project:
            yield project

    def env(self) -> dict[str, str]:
        """The environment a CLI run sees: the caller's, minus its own SLUICE_* settings, plus these systems."""
        own = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
        return own | self.systems.env(self.root) | {"SLUICE_PROJECT": str(self.config)}

    def traffic(self) -> Traffic:
        """Read and reset both simulators' counters; the faults seen are added to the figures. SuperOffice's
        writes are counted by ``SuperOfficeWrites`` (its Quote agent reads are POSTs)."""
        stats = []
        for server in (self.systems.so_server, self.systems.shop_server):
            stats.append(requests.get(f"{server.url}/_admin/stats").json())
            requests.delete(f"{server.url}/_admin/stats").raise_for_status()
        faults = sum(sum(s["faults"].values()) for s in stats)
        self.figures.faults += faults
        so_writes, so_refused = self.so_writes.take()
        return Traffic(so_writes, stats[1]["writes"], faults, so_refused + stats[1]["refused_writes"])

    def clean_sync(self, *, full: bool = False) -> SyncReport:
        """A sync with no faults and patient clients; what it raises is the caller's finding."""
        self.systems.clear_faults()
        self.figures.syncs += 1
        self.story.append(f"clean sync{' --full' if full else ''}")
        with self.project() as project:
            return project.sync(full=full)

    def faulty_sync(self, rng: random.Random) -> None:
        """A sync under a random fault mix. A run aborted by faults it could not retry away is expected (the next
        run redoes it) and counted; anything else it raises is not caught."""
        mix = draw_fault_mix(rng)
        self.systems.faults(**mix)
        self.figures.syncs += 1
        full = rng.random() < 0.2
        self.story.append(f"faulty sync{' --full' if full else ''} {mix}")
        try:
            with self.project(retry=IMPATIENT) as project:
                project.sync(full=full)
        except SluiceError as exc:
            self.figures.aborted_syncs += 1
            self.story.append(f"  aborted: {str(exc)[:200]}")
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
                time.sleep(0.05)  # each look is two HTTP requests served by this process: polling faster costs CPU
            kill_at = time.monotonic() + rng.uniform(0.0, 0.5)  # a small flow's sync is over in about a second
            if meanwhile is not None:
                time.sleep(rng.uniform(0.0, 0.2))
                meanwhile()
            while proc.poll() is None and time.monotonic() < kill_at:
                time.sleep(0.01)
            killed = kill(proc)
            self.figures.kills += killed
            self.story.append(
                f"killed sync: {'killed' if killed else 'ended first'} at {time.monotonic() - started:.2f} s"
            )
        finally:
            if proc.poll() is None:
                kill(proc)
            self.systems.clear_faults()

    def _requests(self) -> int:
        """Requests both simulators answered so far (their counters are reset only by ``traffic``)."""
        servers = (self.systems.so_server, self.systems.shop_server)
        return sum(requests.get(f"{s.url}/_admin/stats").json()["requests"] for s in servers)


def shop_records(world: World, resource: str) -> list[dict[str, Any]]:
    """Every live record of a shop resource (``products``, ``orders``), page by page, as a shop user lists them."""
    session, out, cursor = world.systems.shop_session(), [], None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = session.get(f"{world.systems.shop_api}/{resource}", params=params).json()
        out.extend(page["data"])
        cursor = page.get("next_cursor")
        if not cursor:
            return out


class _NoTracebacks(logging.Filter):
    """uvicorn logs a traceback for every answer the fault injector drops on purpose; the campaign drops hundreds."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.exc_info


def _quiet_dropped_answers() -> None:
    log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _NoTracebacks) for f in log.filters):
        log.addFilter(_NoTracebacks())


def write_config(folder: Path, enable: Iterable[str]) -> Path:
    """The repository's ``sluice.toml`` in ``folder``, its pipes folder named absolutely and ``enable``'s flows
    (shipped disabled: products, orders) switched on, as an operator would."""
    text = (REPO / "sluice.toml").read_text(encoding="utf-8")
    text = _replace_once(text, 'pipes = "pipes"', f'pipes = "{REPO / "pipes"}"')
    for flow in enable:
        text = re.sub(rf"(\[flows\.{flow}\]\s*\nenabled\s*=\s*)false", r"\1true", text)
        if not re.search(rf"\[flows\.{flow}\]\s*\nenabled\s*=\s*true", text):
            text += f"\n[flows.{flow}]\nenabled = true\n"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sluice.toml").write_text(text, encoding="utf-8")
    return folder


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise ValueError(f"sluice.toml no longer holds {old!r} once: the soak's config writer needs updating")
    return text.replace(old, new)


class SuperOfficeWrites:
    """ASGI middleware counting the requests that change SuperOffice: PUT, PATCH, DELETE and every POST but the
    reads SuperOffice serves as POSTs (the Quote agent's ``Get*``/``Find*`` methods and archive searches). The
    simulator counts every POST as a write, which would charge the order flow's quote reads to its writes."""

    READS = re.compile(r"/api/v1/(Agents/\w+/(Get|Find)\w*|Archive/)", re.IGNORECASE)

    DELETES = re.compile(r"/api/v1/Agents/Quote/DeleteQuoteLine$", re.IGNORECASE)

    def __init__(self, app: Any) -> None:
        self.app = app
        self.count = self.refused = 0
        self.sync_line_deletes = 0
        """Quote lines the sync (``User-Agent: sluice/...``, not the soak's users) deleted, over the whole scenario."""
        self._lock = threading.Lock()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or "/_admin/" in scope["path"]:
            return await self.app(scope, receive, send)
        method = scope["method"]
        if method in ("PUT", "PATCH", "DELETE") or (method == "POST" and not self.READS.search(scope["path"])):
            with self._lock:
                self.count += 1

            deletes = self.DELETES.search(scope["path"]) is not None and _agent(scope).startswith("sluice/")

            async def counting(message: dict) -> None:
                if message["type"] == "http.response.start":
                    with self._lock:
                        self.refused += int(message["status"] == 412)
                        self.sync_line_deletes += int(deletes and message["status"] < 300)
                await send(message)

            return await self.app(scope, receive, counting)
        return await self.app(scope, receive, send)

    def take(self) -> tuple[int, int]:
        """The writes since the last take, and how many of them were refused with a 412."""
        with self._lock:
            taken, self.count, self.refused = (self.count, self.refused), 0, 0
        return taken


def _agent(scope: dict) -> str:
    return next((v.decode() for k, v in scope.get("headers", []) if k == b"user-agent"), "")


def _start_systems(contacts: int, customers: int, seed: int) -> tuple[Systems, SuperOfficeWrites]:
    """``tests.e2e.conftest.start_systems``, with SuperOffice's writes counted."""
    so = SuperOfficeSimulator(contacts=contacts, seed=seed, auth="basic")
    shop = CustomwebshopSimulator(customers=customers, seed=seed)
    writes = SuperOfficeWrites(so.app)
    return Systems(so, shop, ServerThread(writes).start(), ServerThread(shop.app).start()), writes


def open_world(root: Path, *, contacts: int, customers: int, seed: int, enable: Iterable[str] = ()) -> World:
    """Fresh simulators and a scenario folder: ``root`` for the datasets, ``root.parent / "project"`` for its
    ``sluice.toml`` (``enable``: the flows to switch on)."""
    _quiet_dropped_answers()
    systems, so_writes = _start_systems(contacts, customers, seed)
    return World(systems, root, write_config(root.parent / "project", enable), so_writes)
