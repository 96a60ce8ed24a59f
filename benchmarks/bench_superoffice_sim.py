"""SuperOffice simulator seeding: ``populate`` (100,000 contacts with their persons, sales and quote trees)
against a bare ``sqlite3`` load of the very same rows.

Cases (seconds, lower is better; ratio = case / baseline):
* ``seed N contacts``: ``populate(Store(), 0, N)`` end to end (generate, encode, insert, build indexes).
* ``seed.companies alone``: just the stable company generator the seed starts from (its share of the work).

Baseline, and why: ``bare insert``: the rows the seed wrote, read back and written with one ``executemany``
per table into plain tables (same columns and text, no secondary indexes, no AUTOINCREMENT) in one
transaction. It is the floor for getting these bytes into SQLite at all, so the ratio is "what generating
and indexing cost on top of writing", which stays comparable on a shared, noisy machine. Runs are
interleaved and the best of ``REPEAT`` is kept for each.
"""

from __future__ import annotations

import sqlite3
import time
from collections import deque

from benchmarks.common import Result, best_of
from sluice.simulators.superoffice.populate import populate
from sluice.simulators.superoffice.seed import companies
from sluice.simulators.superoffice.store import TABLES, Store

BENCH = "superoffice_sim"
REPEAT = 3
BASELINE = "bare sqlite3 executemany of the same rows"

Dump = dict[str, tuple[list[str], list[tuple]]]


def dump(store: Store) -> Dump:
    """Every table's columns and rows, as the seed wrote them."""
    out: Dump = {}
    for table in TABLES:
        rows = store.query(f"SELECT * FROM {table} ORDER BY id")
        columns = list(rows[0].keys()) if rows else ["id"]
        out[table] = (columns, [tuple(r) for r in rows])
    return out


def bare_insert(rows: Dump) -> float:
    """Seconds to write ``rows`` into plain tables of a fresh in-memory database in one transaction."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for table, (columns, _) in rows.items():
            conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {', '.join(columns[1:])})")
        start = time.perf_counter()
        conn.execute("BEGIN")
        for table, (columns, values) in rows.items():
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})", values)
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def seed_once(contacts: int) -> tuple[float, float, Dump]:
    """(wall seconds, CPU seconds, the rows written) for one seed into a fresh in-memory store."""
    store = Store()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        populate(store, 0, contacts)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        return elapsed, cpu, dump(store)
    finally:
        store.close()


def run(quick: bool) -> list[Result]:
    contacts = 5_000 if quick else 100_000
    seed_times, cpu_times, bare_times = [], [], []
    total = 0
    for _ in range(REPEAT):
        elapsed, cpu, rows = seed_once(contacts)
        seed_times.append(elapsed)
        cpu_times.append(cpu)
        total = sum(len(values) for _, values in rows.values())
        bare_times.append(bare_insert(rows))
        del rows
    baseline = min(bare_times)
    alone = best_of(lambda: deque(companies(0, contacts), maxlen=0), REPEAT)
    seeded = min(seed_times)
    return [
        Result(
            BENCH,
            f"seed {contacts:,} contacts ({total:,} rows)",
            seeded,
            "s",
            baseline,
            BASELINE,
            f"{total / seeded:,.0f} rows/s, {min(cpu_times):.2f} s CPU; best of {REPEAT}, interleaved with baseline",
        ),
        Result(
            BENCH,
            f"seed.companies({contacts:,}) alone",
            alone,
            "s",
            baseline,
            BASELINE,
            f"{alone / seeded:.0%} of the seed: the stable generator other simulators share",
        ),
    ]
