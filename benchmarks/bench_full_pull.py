"""A cheap full SuperOffice pull against today's (deep) full pull, the same dataset, the same run.

Cases (requests counted at the simulator, seconds of ``pull``; ratio = cheap / deep, lower is better):
* ``full pull requests``: ``pull(full=True)`` (lists ids and dates, fetches only what may have changed)
  vs ``pull(full=True, deep=True)`` (today's full pull: the list, then every carrier). Before the cheap
  pull some contacts are deleted at the source; it must tombstone every one of them.
* ``full pull time``: the same two pulls' wall time (no rate limit: the simulator's speed, not 20 req/s).
* both at 10,000 and at 100,000 contacts, and the growth of the cheap pull's requests between the two.
* ``full pull of 100,000 unchanged contacts at 20 req/s``: the requests measured at 100,000 (pages of 1,000
  ids against one GET per carrier) at the configured rate: the nightly run's minutes.

The simulator runs in a subprocess (``bench_superoffice_client.simulator``), seeded long before today,
so "unchanged" is every record but the deleted ones.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests

from benchmarks.bench_superoffice_client import PAGE, simulator
from benchmarks.common import Result, timer
from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import LocalSideFiles
from sluice.sync.pull import PullResult, Source, Watermarks, pull
from sluice.systems.http import RetryPolicy
from sluice.systems.superoffice import SuperOfficeClient, Watermark

BENCH = "full_pull"
DELETED = 50
RATE = 20.0
"""Requests per second SuperOffice is configured for (``sluice.toml``)."""
SIZES = (10_000, 100_000)


def source(client: SuperOfficeClient) -> Source:
    """The contact source as ``Project.sources`` builds it."""
    return Source(
        "superoffice", "contact", "superoffice_contact", "ContactId", "superoffice-contact",
        lambda since: client.read("contact", Watermark.parse(since) if since else None),
        scan=lambda since, held: client.scan("contact", since, held),
        stamp="UpdatedDate",
    )  # fmt: skip


def counted(server: str, fn: object) -> tuple[PullResult, int, float]:
    """``fn()``'s result, the requests the simulator answered meanwhile, and the seconds it took."""
    requests.delete(f"{server}/_admin/stats", timeout=10)
    with timer() as elapsed:
        result = fn()  # type: ignore[operator]
    seconds = elapsed()
    return result, requests.get(f"{server}/_admin/stats", timeout=10).json()["requests"], seconds


@dataclass(frozen=True)
class Pulls:
    """The cheap and the deep full pull of one size: each pull's result, requests and seconds."""

    cheap: PullResult
    cheap_requests: int
    cheap_seconds: float
    deep: PullResult
    deep_requests: int
    deep_seconds: float


def measure(contacts: int) -> Pulls:
    """A first pull of ``contacts``, ``DELETED`` of them deleted, then the cheap and the deep full pull."""
    with simulator(contacts) as tenant_url, tempfile.TemporaryDirectory() as tmp:
        server = tenant_url.rsplit("/", 1)[0]
        client = SuperOfficeClient(tenant_url, None, retry=RetryPolicy(base=0.01), workers=8, page_size=PAGE)
        with DatasetStore(Path(tmp) / "datasets") as store:
            marks, src = Watermarks(LocalSideFiles(Path(tmp))), source(client)
            pull(store, src, marks)  # the first pull: every carrier
            gone = sorted(client.ids("contact"))[:: contacts // DELETED][:DELETED]
            for key in gone:
                client.delete("contact", key)
            cheap = counted(server, lambda: pull(store, src, marks, full=True))
            assert cheap[0].stats.deleted == DELETED and cheap[0].read == 0, cheap
            deep = counted(server, lambda: pull(store, src, marks, full=True, deep=True))
            assert deep[0].read == contacts - DELETED and deep[0].stats.deleted == 0, deep
        client.close()
    return Pulls(*cheap, *deep)


def run(quick: bool) -> list[Result]:
    sizes = (1_000, 4_000) if quick else SIZES
    figures = {n: measure(n) for n in sizes}
    results = []
    for contacts, f in figures.items():
        live = contacts - DELETED
        results += [
            Result(BENCH, f"full pull requests, {contacts:,} contacts ({DELETED} deleted, all detected)",
                   f.cheap_requests, "requests", f.deep_requests, "deep full pull: list + every carrier",
                   f"{100 * f.cheap_requests / f.deep_requests:.2f} % of the requests; cheap: {f.cheap.kept:,} "
                   f"kept, {f.cheap.read} fetched; deep: {f.deep.read:,} carriers"),
            Result(BENCH, f"full pull time, {contacts:,} contacts", f.cheap_seconds, "s", f.deep_seconds,
                   "deep full pull",
                   f"{f.cheap.rows_per_second:,.0f} vs {live / f.deep_seconds:,.0f} rows/s, no rate limit"),
        ]  # fmt: skip
    small, big = sizes[0], sizes[-1]
    f0, f1 = figures[small], figures[big]
    return [
        *results,
        Result(BENCH, f"growth {small:,} → {big:,}: cheap full pull requests", f1.cheap_requests, "requests",
               f0.cheap_requests, f"the same at {small:,}",
               f"{big // small}× the contacts; one list page per {PAGE:,} ids"),
        Result(BENCH, f"full pull of {big:,} unchanged contacts at {RATE:g} req/s", f1.cheap_requests / RATE / 60,
               "min", f1.deep_requests / RATE / 60, "deep full pull",
               f"the requests measured above at the configured rate ({math.ceil(big / PAGE)} list pages)"),
    ]  # fmt: skip
