"""Customwebshop client throughput against the reference shop on 127.0.0.1.

Writes: N customers through the batch endpoint (100 per request) against the baseline of one ``POST`` per
record, both measured in this run on fresh in-memory shops. Reads: the change feed at 1000 records per page
against 100 per page. Every figure is records per second, so a ratio above 1 means faster than the baseline.
"""

from __future__ import annotations

from benchmarks.common import Result, timer
from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.systems.customwebshop import CustomwebshopClient

BENCH = "customwebshop_client"


def _bodies(n: int) -> list[dict]:
    return [
        {
            "company_name": f"Bench {i} AS",
            "email": f"post{i}@bench.example",
            "billing_address": {"line1": f"Gate {i}", "postal_code": "0150", "city": "Oslo", "country_code": "NO"},
            "external_refs": {"superoffice_contact_id": str(i)},
        }
        for i in range(n)
    ]


def _write_rate(n: int, batch: bool) -> tuple[float, CustomwebshopSimulator]:
    sim = CustomwebshopSimulator()
    bodies = _bodies(n)
    with ServerThread(sim.app) as server, CustomwebshopClient(server.url, DEMO_API_KEY) as client:
        with timer() as elapsed:
            if batch:
                results = client.batch("customers", bodies)
                assert all(r.created for r in results), "a batch item failed"
            else:
                for i, body in enumerate(bodies):
                    client.create("customers", body, idempotency_key=f"bench:{i}")
        seconds = elapsed()
    return n / seconds, sim


def _read_rate(sim: CustomwebshopSimulator, n: int, page_size: int) -> float:
    with ServerThread(sim.app) as server, CustomwebshopClient(server.url, DEMO_API_KEY) as client:
        with timer() as elapsed:
            seen = sum(1 for _ in client.read("customers", page_size=page_size))
        assert seen == n, f"read {seen} of {n}"
        return n / elapsed()


def run(quick: bool) -> list[Result]:
    n = 500 if quick else 10_000
    single, _ = _write_rate(n, batch=False)
    batched, sim = _write_rate(n, batch=True)
    big_pages = _read_rate(sim, n, 1000)
    small_pages = _read_rate(sim, n, 100)
    sim.close()
    return [
        Result(
            BENCH,
            f"write {n:,} customers, batch endpoint (100/request)",
            batched,
            "records/s",
            single,
            "one POST per record",
            "each POST carries an idempotency key; in-memory SQLite shop",
        ),
        Result(
            BENCH,
            f"read {n:,} customers, change feed 1000/page",
            big_pages,
            "records/s",
            small_pages,
            "100/page (the API default)",
        ),
    ]
