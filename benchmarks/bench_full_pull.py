"""A cheap full SuperOffice pull against today's (deep) full pull, the same dataset, the same run.

Cases (requests counted at the simulator, seconds of ``pull``; ratio = cheap / deep, lower is better):
* ``full pull requests``: ``pull(full=True)`` (lists ids and dates, fetches only what may have changed)
  vs ``pull(full=True, deep=True)`` (today's full pull: the list, then every carrier). Before the cheap
  pull some contacts are deleted at the source; it must tombstone every one of them.
* ``full pull time``: the same two pulls' wall time (no rate limit: the simulator's speed, not 20 req/s).
* ``full pull at 100,000 contacts, 20 req/s``: the requests extrapolated (pages of 1,000 ids against one
  GET per carrier) at the configured rate: the nightly run's minutes.

The simulator runs in a subprocess (``bench_superoffice_client.simulator``), seeded long before today,
so "unchanged" is every record but the deleted ones.
"""

from __future__ import annotations

import math
import tempfile
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
TENANT = 100_000


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


def run(quick: bool) -> list[Result]:
    contacts = 2_000 if quick else 20_000
    with simulator(contacts) as tenant_url, tempfile.TemporaryDirectory() as tmp:
        server = tenant_url.rsplit("/", 1)[0]
        client = SuperOfficeClient(tenant_url, None, retry=RetryPolicy(base=0.01), workers=8, page_size=PAGE)
        with DatasetStore(Path(tmp) / "datasets") as store:
            marks, src = Watermarks(LocalSideFiles(Path(tmp))), source(client)
            pull(store, src, marks)  # the first pull: every carrier
            gone = sorted(client.ids("contact"))[:: contacts // DELETED][:DELETED]
            for key in gone:
                client.delete("contact", key)
            cheap, cheap_requests, cheap_seconds = counted(server, lambda: pull(store, src, marks, full=True))
            assert cheap.stats.deleted == DELETED and cheap.read == 0, cheap
            deep, deep_requests, deep_seconds = counted(server, lambda: pull(store, src, marks, full=True, deep=True))
            assert deep.read == contacts - DELETED and deep.stats.deleted == 0, deep
        client.close()
    live = contacts - DELETED
    pages = math.ceil(TENANT / PAGE)
    return [
        Result(BENCH, f"full pull requests, {contacts:,} contacts ({DELETED} deleted, all detected)",
               cheap_requests, "requests", deep_requests, "deep full pull: list + every carrier",
               f"{100 * cheap_requests / deep_requests:.2f} % of the requests; cheap: {cheap.kept:,} kept, "
               f"{cheap.read} fetched; deep: {deep.read:,} carriers"),
        Result(BENCH, f"full pull time, {contacts:,} contacts", cheap_seconds, "s", deep_seconds, "deep full pull",
               f"{cheap.rows_per_second:,.0f} vs {live / deep_seconds:,.0f} rows/s, no rate limit"),
        Result(BENCH, f"full pull at {TENANT:,} unchanged contacts, {RATE:g} req/s", pages / RATE / 60, "min",
               (pages + TENANT) / RATE / 60, "deep full pull",
               f"extrapolated: {pages} list pages vs {pages + TENANT:,} requests (ratio as measured above)"),
    ]  # fmt: skip
