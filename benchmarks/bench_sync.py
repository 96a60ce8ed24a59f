"""Two-way sync end to end (Contact ↔ Customer, and Product ↔ Product): a first full sync, then an incremental one
after a few edits.

Cases (each paired with a baseline from the same run):
* ``full sync``: wall seconds vs the seconds the two clients spent inside HTTP calls (``stats.seconds``,
  summed over threads, so it exceeds wall time when requests overlap), and the share of wall time with at
  least one request in flight (the union of the requests' intervals); the rest is engine time with no
  HTTP outstanding (Parquet writes, pipes, reconcile, state).
* ``full sync: requests``: requests both simulators answered (``/_admin/stats``) vs the number of contacts.
* ``settle sync``: the run right after the first one, which reads back the customers the first one created
  (the shop's change feed returns them once): requests vs the full sync.
* ``incremental``: after ``edits`` user edits (half in SuperOffice, half in the shop): requests vs edits and
  vs the full sync, wall vs the full sync, and the HTTP share of its wall time. These show the incremental
  run scales with the edits, not with the data.
* ``first sync: shop creates``: the first full sync's push to the shop (creates through the batch endpoint,
  100 per request) in records/s vs the same sync on fresh simulators with ``batch_size = 1`` (one request per
  record, as before batching); the note has both syncs' wall times.
* ``rate-limited full sync``: what a user gets. A first full sync of 1,000 contacts with the rate limits of
  the shipped ``sluice.toml`` vs the floor those limits impose (each system's requests / its limit), with the
  same sync unthrottled and the wall time extrapolated to 10,000 contacts in the note.

* ``products``: the same first sync and incremental run for Product ↔ Product alone: ``products`` codes in each
  of the tenant's four price lists (the flow syncs the NOK one; the pull reads every list), a shop holding a fifth
  as many products (some matched by sku), then half the edits a price changed in SuperOffice (a whole-product PUT),
  half a name changed in the shop; the write-backs go through the compare-and-set re-read.

The simulators run in a child process, so their work does not share this process's GIL. Except in the
rate-limited case, the clients are built without the rate limits of ``sluice.toml``: the engine is measured,
not the throttle. ``python -m benchmarks.bench_sync --limited`` runs the rate-limited case alone, ``--incremental`` the
contact sizes and their growth alone (no one-request-per-record baseline, no products).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import requests

from benchmarks.common import Result, timer
from sluice.config import load_config
from sluice.project import Project
from sluice.secrets import Secret
from sluice.simulators.customwebshop import DEMO_API_KEY
from sluice.simulators.superoffice import DEMO
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.http import RequestStats, RetryPolicy
from sluice.systems.superoffice import BasicAuth, SuperOfficeClient

BENCH = "sync"
REPO = Path(__file__).resolve().parents[1]

SERVE = """
import json, sys
from sluice.simulators.runner import ServerThread
from sluice.simulators.customwebshop import CustomwebshopSimulator
from sluice.simulators.superoffice import SuperOfficeSimulator
contacts, products = int(sys.argv[1]), int(sys.argv[2])
so = SuperOfficeSimulator(seed=0, contacts=contacts, auth="basic", products=products or None)
catalogue = max(1, products // 5) if products else None
shop = CustomwebshopSimulator(seed=0, customers=max(5, contacts // 50), products=catalogue)
so_server, shop_server = ServerThread(so.app).start(), ServerThread(shop.app).start()
print(json.dumps({"so": so_server.url, "tenant": so.tenant, "shop": shop_server.url}), flush=True)
sys.stdin.read()
"""


@dataclass(frozen=True)
class Servers:
    so: str
    tenant: str
    shop: str

    @property
    def tenant_url(self) -> str:
        return f"{self.so}/{self.tenant}"

    def requests_answered(self) -> int:
        return sum(self.requests_by_system())

    def requests_by_system(self) -> tuple[int, int]:
        """Requests answered since the last reset: (SuperOffice, shop)."""
        so, shop = (requests.get(f"{url}/_admin/stats").json()["requests"] for url in (self.so, self.shop))
        return so, shop

    def reset_stats(self) -> None:
        for url in (self.so, self.shop):
            requests.delete(f"{url}/_admin/stats")


@contextmanager
def simulators(contacts: int, products: int = 0, serve: str = SERVE) -> Iterator[Servers]:
    """Both seeded simulators in one child process (``products`` codes per price list; 0: the default ten);
    ``serve`` is the child's script (it prints the servers' URLs as JSON and serves until stdin closes)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", serve, str(contacts), str(products)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        yield Servers(**json.loads(proc.stdout.readline()))
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=60)


def open_project(
    servers: Servers, root: Path, limits: dict[str, float | None] | None = None, batch_size: int | None = None
) -> Project:
    """A project on the benchmark's simulators; ``limits``: requests per second per system (default: none);
    ``batch_size``: shop creates per request (default: ``sluice.toml``'s)."""
    retry = RetryPolicy(attempts=5, base=0.01, cap=0.1)
    limits = limits or {}
    so = SuperOfficeClient(
        servers.tenant_url, BasicAuth(DEMO.username, Secret(DEMO.password)), retry=retry,
        rate_limit=limits.get("superoffice"),
    )  # fmt: skip
    shop = CustomwebshopClient(servers.shop, DEMO_API_KEY, retry=retry, rate_limit=limits.get("customwebshop"))
    config = load_config(REPO, datasets=root)
    if batch_size is not None:
        sized = replace(config.system("customwebshop"), batch_size=batch_size)
        config = replace(config, systems={**config.systems, "customwebshop": sized})
    return Project(config, clients={"superoffice": so, "customwebshop": shop})


class IntervalStats(RequestStats):
    """The clients' own counters, also remembering when each request ran (to tell overlap from engine time)."""

    def __init__(self) -> None:
        super().__init__()
        self.intervals: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def add(self, method: str, seconds: float) -> None:
        super().add(method, seconds)
        end = time.perf_counter()
        with self._lock:
            self.intervals.append((end - seconds, end))


def covered(intervals: list[tuple[float, float]]) -> float:
    """Seconds during which at least one interval was open."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


@dataclass(frozen=True)
class Run:
    wall: float
    http: float
    in_flight: float
    requests: int
    writes: int
    by_system: tuple[int, int] = (0, 0)
    """Requests answered by (SuperOffice, the shop)."""
    creates: int = 0
    shop_push: float = 0.0
    """Seconds the flows spent pushing to the shop (as the engine reports each push: ``SinkResult.seconds``)."""


def measured_sync(project: Project, servers: Servers, flows: list[str] | None = None) -> Run:
    """One ``Project.sync()``: wall time, client HTTP time (summed, and covered), requests answered, writes."""
    clients = (project.client("superoffice"), project.client("customwebshop"))
    stats = [IntervalStats() for _ in clients]
    for client, fresh in zip(clients, stats, strict=True):
        client.stats = fresh
    servers.reset_stats()
    with timer() as elapsed:
        report = project.sync(flows=flows)
    http = sum(s.seconds for s in stats)
    in_flight = covered([i for s in stats for i in s.intervals])
    by_system = servers.requests_by_system()
    creates = sum(f.creates for f in report.flows)
    shop_push = sum(s.seconds for f in report.flows for s in f.sinks if s.sink.startswith("customwebshop."))
    return Run(elapsed(), http, in_flight, sum(by_system), report.writes, by_system, creates, shop_push)


def make_edits(servers: Servers, project: Project, edits: int) -> None:
    """Half the edits in SuperOffice (PATCH a contact's department), half in the shop (PATCH a note)."""
    rows = project.links("contact_customer").to_pylist()
    links = sorted((int(r["a_id"]), r["b_id"]) for r in rows if r["status"] == "active")
    step = max(1, len(links) // edits)
    chosen = links[::step][:edits]
    so, shop = requests.Session(), requests.Session()
    so.auth = (DEMO.username, DEMO.password)
    shop.headers["Authorization"] = f"Bearer {DEMO_API_KEY}"
    for n, (contact_id, customer_id) in enumerate(chosen):
        if n % 2 == 0:
            url = f"{servers.tenant_url}/api/v1/Contact/{contact_id}"
            so.patch(url, json={"Department": f"Benchmark {n}"}).raise_for_status()
        else:
            url = f"{servers.shop}/api/v1/customers/{customer_id}"
            shop.patch(url, json={"note": f"Benchmark edit {n}"}).raise_for_status()


def make_product_edits(servers: Servers, project: Project, edits: int) -> None:
    """Half the edits a price changed in SuperOffice (GET and PUT the whole product), half a shop name (PATCH)."""
    rows = project.links(PRODUCTS).to_pylist()
    links = sorted((int(r["a_id"]), r["b_id"]) for r in rows if r["status"] == "active")
    chosen = links[:: max(1, len(links) // edits)][:edits]
    so, shop = requests.Session(), requests.Session()
    so.auth = (DEMO.username, DEMO.password)
    shop.headers["Authorization"] = f"Bearer {DEMO_API_KEY}"
    for n, (product_id, shop_id) in enumerate(chosen):
        if n % 2 == 0:
            url = f"{servers.tenant_url}/api/v1/Product/{product_id}"
            carrier = so.get(url).json()
            so.put(url, json={**carrier, "UnitListPrice": carrier["UnitListPrice"] + 1}).raise_for_status()
        else:
            shop.patch(f"{servers.shop}/api/v1/products/{shop_id}", json={"name": f"Bench {n}"}).raise_for_status()


PRODUCTS = "product_product"


SIZES = (10_000, 100_000)
"""Contacts of the Contact ↔ Customer cases: the growth factor between them shows what scales with the data."""


def run(quick: bool, incremental_only: bool = False) -> list[Result]:
    """Every case; ``incremental_only``: the Contact ↔ Customer sizes and their growth alone (no one-request-per-
    record baseline, no products, no rate limits): the quick check of what an incremental run costs per size."""
    sizes, edits = ((500, 2_000), 10) if quick else (SIZES, 100)
    rows: list[Result] = []
    runs: dict[int, tuple[Run, Run]] = {}
    for contacts in sizes:
        with (
            simulators(contacts) as servers,
            tempfile.TemporaryDirectory() as tmp,
            open_project(servers, Path(tmp) / "datasets") as project,
        ):
            full = measured_sync(project, servers)
            settle = measured_sync(project, servers)
            make_edits(servers, project, edits)
            incremental = measured_sync(project, servers)
        runs[contacts] = (full, incremental)
        rows += results(contacts, edits, full, settle, incremental)
        if not incremental_only:
            rows += batched(contacts, full, first_full_sync(contacts, batch_size=1))
    if incremental_only:
        return rows + growth(sizes, runs, edits)
    return rows + growth(sizes, runs, edits) + run_products(quick) + run_limited(quick)


def growth(sizes: tuple[int, ...], runs: dict[int, tuple[Run, Run]], edits: int) -> list[Result]:
    """Each size against the smallest, same run: the full sync grows with the data, the incremental one should not."""
    small = sizes[0]
    (full0, inc0), rows = runs[small], []
    for contacts in sizes[1:]:
        full, inc = runs[contacts]
        data = f"{contacts // small}× the contacts"
        rows += [
            Result(BENCH, f"growth {small:,} → {contacts:,}: full sync wall", full.wall, "s", full0.wall,
                   f"the same at {small:,}", f"{data}; requests {full.requests:,} vs {full0.requests:,}"),
            Result(BENCH, f"growth {small:,} → {contacts:,}: incremental ({edits} edits) wall", inc.wall, "s",
                   inc0.wall, f"the same at {small:,}",
                   f"{data}; engine alone {inc.wall - inc.in_flight:.2f} s vs {inc0.wall - inc0.in_flight:.2f} s"),
            Result(BENCH, f"growth {small:,} → {contacts:,}: incremental ({edits} edits) requests", inc.requests,
                   "requests", inc0.requests, f"the same at {small:,}", data),
        ]  # fmt: skip
    return rows


def run_products(quick: bool) -> list[Result]:
    """Product ↔ Product alone, with the same cases as the contacts (the flow named, so it runs though disabled)."""
    products, edits = (500, 10) if quick else (10_000, 100)
    with (
        simulators(10, products) as servers,
        tempfile.TemporaryDirectory() as tmp,
        open_project(servers, Path(tmp) / "datasets") as project,
    ):
        full = measured_sync(project, servers, [PRODUCTS])
        settle = measured_sync(project, servers, [PRODUCTS])
        make_product_edits(servers, project, edits)
        incremental = measured_sync(project, servers, [PRODUCTS])
    rows = results(products, edits, full, settle, incremental, unit="products")
    note = f"{4 * products} products pulled (four price lists), {products} synced (NOK)"
    return [Result(r.bench, f"products: {r.case}", r.value, r.unit, r.baseline, r.baseline_name,
                   f"{r.note}; {note}" if r.note else note) for r in rows]  # fmt: skip


def first_full_sync(contacts: int, limits: dict[str, float | None] | None = None, batch_size: int | None = None) -> Run:
    """A first full sync of ``contacts`` seeded contacts on fresh simulators and a fresh dataset root."""
    with (
        simulators(contacts) as servers,
        tempfile.TemporaryDirectory() as tmp,
        open_project(servers, Path(tmp) / "datasets", limits, batch_size) as project,
    ):
        return measured_sync(project, servers)


def batched(contacts: int, full: Run, single: Run) -> list[Result]:
    """The first sync's shop creates through the batch endpoint vs one request per record (fresh simulators)."""
    return [
        Result(BENCH, f"first sync, {contacts:,} contacts: shop creates, batch endpoint (100/request)",
               full.creates / full.shop_push, "records/s", single.creates / single.shop_push,
               "one request per record", f"shop push {full.shop_push:.1f} s vs {single.shop_push:.1f} s, "
               f"{full.by_system[1]} vs {single.by_system[1]} shop requests; whole sync {full.wall:.1f} s vs "
               f"{single.wall:.1f} s (SuperOffice's {full.by_system[0]} requests are the same in both)"),
    ]  # fmt: skip


def throttle_floor(requests_sent: int, rate: float | None) -> float:
    """The least time ``requests_sent`` take through the clients' token bucket (its burst is one second's worth)."""
    if not rate:
        return 0.0
    return max(0, requests_sent - max(1, int(rate))) / rate


def run_limited(quick: bool) -> list[Result]:
    """The first full sync as a user runs it: the shipped ``sluice.toml`` rate limits, and the same unthrottled."""
    contacts = 100 if quick else 1_000
    config = load_config(REPO)
    limits = {name: config.system(name).rate_limit for name in ("superoffice", "customwebshop")}
    free = first_full_sync(contacts)
    limited = first_full_sync(contacts, limits)
    floor = sum(throttle_floor(n, rate) for n, rate in zip(limited.by_system, limits.values(), strict=True))
    per_10k = limited.wall * 10_000 / contacts / 60
    shown = ", ".join(f"{name} {rate:g}/s" for name, rate in limits.items())
    return [
        Result(BENCH, f"rate-limited full sync, {contacts} contacts ({shown})", limited.wall, "s", floor,
               "the limits' floor (requests / rate, per system)",
               f"{limited.by_system[0]} + {limited.by_system[1]} requests; unthrottled {free.wall:.1f} s; "
               f"10,000 contacts: ~{per_10k:.0f} min (linear)"),
    ]  # fmt: skip


def results(
    contacts: int, edits: int, full: Run, settle: Run, incremental: Run, unit: str = "contacts"
) -> list[Result]:
    http = "HTTP time (client stats, summed over threads)"
    size = f"{contacts:,} {unit}"
    inc = incremental
    return [
        Result(BENCH, f"full sync, {size}", full.wall, "s", full.http, http, f"{full.writes} writes"),
        Result(BENCH, f"full sync, {size}: HTTP in flight", full.in_flight, "s", full.wall, "full sync wall",
               f"engine alone {full.wall - full.in_flight:.2f} s"),
        Result(BENCH, f"full sync, {size}: requests", full.requests, "requests", contacts, unit),
        Result(BENCH, f"settle sync, {size} (reads back the creates)", settle.requests, "requests", full.requests,
               "full sync requests", f"{settle.writes} writes, {settle.wall:.2f} s"),
        Result(BENCH, f"incremental, {size}, {edits} edits: requests", inc.requests, "requests", edits, "edits",
               f"{inc.writes} writes"),
        Result(BENCH, f"incremental, {size}, {edits} edits: requests vs full", inc.requests, "requests",
               full.requests, "full sync requests"),
        Result(BENCH, f"incremental, {size}, {edits} edits: wall vs full", inc.wall, "s", full.wall,
               "full sync wall"),
        Result(BENCH, f"incremental, {size}, {edits} edits: HTTP in flight", inc.in_flight, "s", inc.wall,
               "incremental wall", f"engine alone {inc.wall - inc.in_flight:.2f} s"),
    ]  # fmt: skip


def main(argv: list[str]) -> dict[str, Any]:
    quick = "--quick" in argv
    rows = run_limited(quick) if "--limited" in argv else run(quick, incremental_only="--incremental" in argv)
    return {"results": [r.as_dict() for r in rows]}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))
