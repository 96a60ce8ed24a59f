"""The sync engine at the size of a large tenant: an incremental reconcile works in proportion to the edits.

Synthetic mapped datasets (the Contact ↔ Customer flow's columns), links and agreed state are written
straight into a store, every pair settled, at 10,000, 100,000 and 1,000,000 linked contacts (no HTTP:
the sinks confirm every change at once). Cases, each size in its own child process so its peak memory
(``ru_maxrss``) is its own:

* ``incremental``: 100 contacts edited after a committed sync; the engine's whole run (open the flow's
  state, catch its index up, plan, commit) vs the same at 10,000 (the growth factor; target within 2×),
  and its peak RSS (target under 1 GiB).
* ``full``: ``--full`` over the same data (the vectorised comparison, then the Python merge of the pairs
  it cannot prove settled) vs the incremental run of the same size.
* ``index build``: the first run's one-off copy of the four datasets into the flow's index (what a first
  sync pays once, on top of its HTTP).

``python -m benchmarks.bench_reconcile`` runs it alone; ``--sizes 1000000`` runs those sizes only and prints each
step's figures (``first``, ``incremental``, ``full``) as JSON, for profiling one size.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import Result
from sluice.datasets import DatasetStore
from sluice.datasets.sidefiles import LocalSideFiles
from sluice.project import Project
from sluice.sync.engine import FlowRunner
from sluice.sync.model import Change
from sluice.sync.sinks import Sink
from sluice.sync.state import FlowState

BENCH = "reconcile"
EDITS = 100
REPO = Path(__file__).resolve().parents[1]
FLOW = Project.open(REPO).flow("contact_customer")

TEXTS = {
    "company_name": "'Company ' || i",
    "organization_number": "CAST(900000000 + i AS VARCHAR)",
    "department": "CASE WHEN i % 3 = 0 THEN NULL ELSE 'Sales' END",
    "email": "'post' || i || '@example.no'",
    "phone": "'+47 ' || CAST(20000000 + i AS VARCHAR)",
    "website": "'https://c' || i || '.example.no'",
    "billing_address.line1": "'Gate ' || (i % 997)",
    "billing_address.line2": "NULL",
    "billing_address.postal_code": "lpad(CAST(i % 9999 AS VARCHAR), 4, '0')",
    "billing_address.city": "CASE WHEN i % 2 = 0 THEN 'Oslo' ELSE 'Bergen' END",
    "billing_address.country_code": "'NO'",
    "shipping_address.line1": "'Vei ' || (i % 499)",
    "shipping_address.line2": "NULL",
    "shipping_address.postal_code": "lpad(CAST(i % 9999 AS VARCHAR), 4, '0')",
    "shipping_address.city": "'Oslo'",
    "shipping_address.country_code": "'NO'",
    "customer_group": "CASE WHEN i % 5 = 0 THEN 'VIP' ELSE 'Kunde' END",
    "note": "NULL",
    "external_refs.superoffice_contact_id": "CAST(i AS VARCHAR)",
}
BOOLS = {"accepts_marketing": "i % 4 <> 0", "active": "true"}
NAME = TEXTS["company_name"]


def _value(name: str, name_sql: str) -> str:
    sql = {**TEXTS, **BOOLS}[name]
    return name_sql if name == "company_name" else f"CAST({sql} AS {'BOOLEAN' if name in BOOLS else 'VARCHAR'})"


def _side_sql(n_sql: str, id_sql: str, version_sql: str, name_sql: str = NAME) -> str:
    """One mapped dataset as its pipe would write it (``i`` the contact number)."""
    groups: dict[str, list[str]] = {}
    flat = []
    for field in FLOW.field_names:
        expr = f"{_value(field, name_sql)}"
        if "." in field:
            head, leaf = field.split(".")
            groups.setdefault(head, []).append(f"'{leaf}': {expr}")
        else:
            flat.append(f"{expr} AS {field}")
    structs = [f"{{{', '.join(members)}}} AS {head}" for head, members in groups.items()]
    return f"""
        SELECT {id_sql} AS _id, TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND AS sync_updated,
               {version_sql} AS sync_version, false AS sync_deleted, {", ".join(flat + structs)}
        FROM {n_sql}
    """


def build(root: Path, n: int) -> None:
    """Four settled datasets of ``n`` pairs: contact ``i`` is linked to customer ``1000000 + i``."""
    with DatasetStore(root) as store:
        con = store.con
        a = con.sql(_side_sql(f"range({n}) t(i)", "CAST(i AS VARCHAR)", "CAST(i AS VARCHAR)")).to_arrow_table()
        store.write(FLOW.a_dataset, a)
        b = con.sql(_side_sql(f"range({n}) t(i)", "CAST(1000000 + i AS VARCHAR)", "i")).to_arrow_table()
        store.write(FLOW.b_dataset, b)
        del a, b
        links = con.sql(
            f"SELECT CAST(i AS VARCHAR) AS _id, CAST(i AS VARCHAR) AS a_id, CAST(1000000 + i AS VARCHAR) AS b_id, "
            f"'created' AS how, 'active' AS status, '' AS note, '2026-01-01T00:00:00+00:00' AS changed_at "
            f"FROM range({n}) t(i)"
        ).to_arrow_table()
        store.write(FLOW.link_dataset, links)
        pairs = ", ".join(f"'{f}', {_value(f, NAME)}" for f in sorted(FLOW.field_names))  # as Python writes it
        agreed = con.sql(
            f"SELECT CAST(i AS VARCHAR) AS _id, CAST(1000000 + i AS VARCHAR) AS b_id, "
            f"CAST(json_object({pairs}) AS VARCHAR) AS state FROM range({n}) t(i)"
        ).to_arrow_table()
        store.write(FLOW.agreed_dataset, agreed)


def edit(root: Path, n: int, edits: int) -> None:
    """``edits`` contacts renamed in SuperOffice (spread over the whole range), as the pipe writes them."""
    step = max(1, n // edits)
    ids = f"(SELECT i * {step} AS i FROM range({edits}) t(i))"
    with DatasetStore(root) as store:
        rows = store.con.sql(
            _side_sql(ids, "CAST(i AS VARCHAR)", "'edited'", name_sql="'Renamed ' || i")
        ).to_arrow_table()
        store.write(FLOW.a_dataset, rows, max_change_share=None)


class Confirming(Sink):
    """A target that confirms every change at once: the engine is measured, not a system."""

    def __init__(self, name: str) -> None:
        super().__init__(concurrency=1)
        self.name = name

    def apply(self, change: Change) -> dict[str, Any]:
        return {"id": change.b_id or f"new-{change.a_id}"}

    def new_id(self, change: Change, record: dict[str, Any]) -> str | None:
        return str(record["id"])

    def describe(self, change: Change) -> dict[str, Any]:
        return {"op": change.op}


def sync(root: Path, *, full: bool = False) -> dict[str, Any]:
    """One engine run as ``Project.sync_flow`` does it, timed; returns its counts."""
    start, cpu = time.perf_counter(), time.process_time()
    with DatasetStore(root / "datasets") as store:
        files = LocalSideFiles(root / "state")
        state = FlowState(store, FLOW, files)
        runner = FlowRunner(store, FLOW, state, Confirming("a"), Confirming("b"), files, full=full)
        result = runner.run(force=True)
        state.index.close()
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu,  # all threads (DuckDB's too): what a loaded machine does not inflate
        "reconciled": runner.reconciled,
        "updates": result.updates_to_shop,
        "rss_mib": peak_rss_mib(),
    }


def peak_rss_mib() -> float:
    """This process's peak resident memory (``VmHWM``: unlike ``ru_maxrss``, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(argv: list[str]) -> None:
    """``--child ROOT STEP``: one step in a fresh process, its figures as JSON on stdout."""
    root, step = Path(argv[0]), argv[1]
    print(json.dumps(sync(root, full=step == "full")))


def _in_child(root: Path, step: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_reconcile", "--child", str(root), step],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(n: int) -> dict[str, dict[str, Any]]:
    """Build ``n`` settled pairs, the first run (index build), 100 edits, then the incremental and full runs."""
    with tempfile.TemporaryDirectory(prefix="sluice-bench-reconcile-") as tmp:
        root = Path(tmp)
        build(root / "datasets", n)
        first = _in_child(root, "first")
        edit(root / "datasets", n, EDITS)
        incremental = _in_child(root, "incremental")
        full = _in_child(root, "full")
        return {"first": first, "incremental": incremental, "full": full}


def run(quick: bool) -> list[Result]:
    sizes = [2_000, 20_000] if quick else [10_000, 100_000, 1_000_000]
    figures = {n: measure(n) for n in sizes}
    small = figures[sizes[0]]["incremental"]
    results = []
    for n in sizes:
        f = figures[n]
        inc, full, first = f["incremental"], f["full"], f["first"]
        results += [
            Result(
                BENCH,
                f"incremental sync engine, {EDITS} edits, {n:,} linked",
                inc["seconds"],
                baseline=small["seconds"],
                baseline_name=f"the same at {sizes[0]:,}",
                note=f"{inc['reconciled']} pairs reconciled, {inc['updates']} updates; "
                f"peak RSS {inc['rss_mib']:.0f} MiB{_growth(figures, sizes, n, 'incremental')}",
            ),
            Result(
                BENCH,
                f"--full reconcile engine, {n:,} linked",
                full["seconds"],
                baseline=inc["seconds"],
                baseline_name="incremental, same size",
                note=f"{full['reconciled']} pairs merged in Python; peak RSS {full['rss_mib']:.0f} MiB"
                f"{_growth(figures, sizes, n, 'full')}",
            ),
            Result(
                BENCH,
                f"first run: index build, {n:,} linked",
                first["seconds"],
                baseline=full["seconds"],
                baseline_name="--full, same size",
                note=f"peak RSS {first['rss_mib']:.0f} MiB{_growth(figures, sizes, n, 'first')}",
            ),
        ]
    return results


def _growth(figures: dict[int, dict[str, dict[str, Any]]], sizes: list[int], n: int, step: str) -> str:
    """``; ×1.3 vs 100,000`` (the size before, same run), nothing for the smallest size."""
    at = sizes.index(n)
    if at == 0:
        return ""
    before = sizes[at - 1]
    return f"; ×{figures[n][step]['seconds'] / figures[before][step]['seconds']:.2f} vs {before:,}"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    elif sys.argv[1:2] == ["--sizes"]:
        for size in sys.argv[2:]:
            print(json.dumps({"size": int(size), **measure(int(size))}))
    else:
        for r in run(quick="--quick" in sys.argv):
            print(json.dumps(r.as_dict()))
