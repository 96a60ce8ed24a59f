"""SuperOffice client read throughput against a bare ``requests`` loop over the same simulator.

Cases (records/s, higher is better; ratio = client / baseline):
* ``list scan``: ``client.list_rows("Contact", ...)`` (what ``ids()`` runs on) vs a bare loop
  fetching the same seek-paged OData list pages (like for like: both read only ids).
* ``full read``: ``client.read("contact")`` (list + every ContactEntity carrier on ``workers``
  threads) vs a bare sequential loop GETting carriers one by one (over a prefix when large).
* ``full read, 1 worker``: the client without concurrency, same baseline: what the pool buys.

The simulator runs in a subprocess, so its work does not share this process's GIL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import requests

from benchmarks.common import Result, best_of, timer
from sluice.systems.http import RetryPolicy
from sluice.systems.superoffice import SuperOfficeClient

BENCH = "superoffice_client"
PAGE = 1000

SERVE = """
import json, sys, time
from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import SuperOfficeSimulator
sim = SuperOfficeSimulator(seed=0, contacts=int(sys.argv[1]), auth="none")
server = ServerThread(sim.app).start()
print(json.dumps({"url": server.url, "tenant": sim.tenant}), flush=True)
sys.stdin.read()
"""


@contextmanager
def simulator(contacts: int) -> Iterator[str]:
    """A seeded simulator in a child process; yields the tenant URL, stops it on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(contacts)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        yield f"{info['url']}/{info['tenant']}"
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=30)


def bare_list_scan(api: str) -> int:
    """The baseline list scan: one session, the same pages the client asks for."""
    session = requests.Session()
    count, last = 0, None
    while True:
        params = {"$select": "contactId", "$orderBy": "contactId", "$top": str(PAGE)}
        if last is not None:
            params["$filter"] = f"contactId gt {last}"
        rows = session.get(f"{api}/Contact", params=params, timeout=60).json()["value"]
        count += len(rows)
        if len(rows) < PAGE:
            return count
        last = rows[-1]["contactId"]


def bare_carriers(api: str, ids: list[int]) -> int:
    session = requests.Session()
    for key in ids:
        session.get(f"{api}/Contact/{key}", timeout=60).json()
    return len(ids)


def count(rows: Iterable[object]) -> int:
    return sum(1 for _ in rows)


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else 0.0


def run(quick: bool) -> list[Result]:
    contacts = 5_000 if quick else 100_000
    results: list[Result] = []
    with simulator(contacts) as tenant_url:
        client = SuperOfficeClient(tenant_url, None, retry=RetryPolicy(base=0.01), workers=8, page_size=PAGE)
        api = client.base_url
        n_bare = bare_list_scan(api)  # also warms the server's caches and connections for both sides
        ids = sorted(client.ids("contact"))
        assert len(ids) == n_bare == contacts, (len(ids), n_bare, contacts)
        # interleaved, best of 5 each: the server dominates, so drift between runs would otherwise decide the ratio
        t_bare_list = t_list = float("inf")
        for _ in range(5):
            t_bare_list = min(t_bare_list, best_of(lambda: bare_list_scan(api), repeat=1))
            t_list = min(t_list, best_of(lambda: count(client.list_rows("Contact", "contactId", ("contactId",))), 1))
        results.append(
            Result(BENCH, f"list scan, {contacts:,} contacts", rate(len(ids), t_list), "records/s",
                   rate(n_bare, t_bare_list), "bare requests loop, same pages", "best of 5, interleaved")
        )  # fmt: skip

        sample = ids[: min(len(ids), 5_000)]
        with timer() as t_bare_get:
            bare_carriers(api, sample)
        baseline = rate(len(sample), t_bare_get())
        with timer() as t_full:
            n_full = sum(1 for _ in client.read("contact"))
        assert n_full == contacts
        results.append(
            Result(BENCH, f"full read (8 workers), {contacts:,} contacts", rate(n_full, t_full()), "records/s",
                   baseline, "bare sequential GET loop", f"baseline over the first {len(sample):,} carriers")
        )  # fmt: skip
        single = SuperOfficeClient(tenant_url, None, workers=1, page_size=PAGE)
        subset = min(contacts, 5_000)
        with timer() as t_single:
            n_single = sum(1 for _, _ in zip(range(subset), single.read("contact"), strict=False))
        results.append(
            Result(BENCH, "full read (1 worker)", rate(n_single, t_single()), "records/s", baseline,
                   "bare sequential GET loop", f"first {n_single:,} records")
        )  # fmt: skip
        client.close()
        single.close()
    time.sleep(0.1)
    return results
