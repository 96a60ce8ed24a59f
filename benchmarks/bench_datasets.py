"""Dataset store: first load, no-change reload, 1% changed, full reload with 1% missing; and the same
reloads with the root on S3.

Every local figure is a ratio to DuckDB merely reading the same Parquet input and hashing each row
(``max(md5(to_json(row)))``), measured in the same run: that is the floor any change detection pays.
The S3 figures are ratios to the same case on local disk in the same run, against moto's S3 server on
127.0.0.1 (so they measure Sluice's requests and copies, not a network).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from benchmarks.common import Result, best_of, timer
from sluice.datasets import DatasetStore, WriteStats

BENCH = "datasets"
REPEAT = 5


def generate(con: duckdb.DuckDBPyConnection, path: Path, n: int, *, edit_every: int = 0, drop_every: int = 0) -> None:
    """Company-shaped entities with 15 payload columns (a nested address, a list of e-mails), vectorised."""
    name = "'Company ' || i"
    if edit_every:
        name = f"CASE WHEN i % {edit_every} = 0 THEN {name} || ' (edited)' ELSE {name} END"
    where = f"WHERE i % {drop_every} <> 1" if drop_every else ""
    con.execute(
        f"""
        COPY (
            SELECT i AS id, {name} AS name, 'NO' || lpad(CAST(i AS VARCHAR), 9, '0') AS org_nr,
                   {{'street': 'Storgata ' || (i % 200), 'zip': lpad(CAST(i % 9999 AS VARCHAR), 4, '0'),
                     'city': ['Oslo', 'Bergen', 'Trondheim', 'Tromsø'][1 + i % 4]}} AS address,
                   ['post' || i || '@example.com', 'sales' || i || '@example.com'][1:1 + i % 3] AS emails,
                   CAST((i % 100000) / 7.0 AS DECIMAL(12, 2)) AS revenue,
                   TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS updated,
                   DATE '2000-01-01' + CAST(i % 9000 AS INTEGER) AS founded,
                   i % 3 = 0 AS active, (i % 1000) / 3.0 AS score, CAST(i % 500 AS INTEGER) AS employees,
                   '+47 ' || lpad(CAST(i % 100000000 AS VARCHAR), 8, '0') AS phone,
                   ['NO', 'SE', 'DK', 'FI'][1 + i % 4] AS country,
                   CASE WHEN i % 7 = 0 THEN NULL ELSE 'category-' || (i % 13) END AS category,
                   'https://example.com/c/' || i AS url
            FROM range({n}) t(i) {where}
        ) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
        """
    )


def baseline(con: duckdb.DuckDBPyConnection, path: Path) -> float:
    sql = f"SELECT max(md5(CAST(to_json(t) AS VARCHAR))) FROM read_parquet('{path}') t"
    return best_of(lambda: con.sql(sql).fetchall())


def run(quick: bool) -> list[Result]:
    n = 20_000 if quick else 1_000_000
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        inputs = {"same": work / "same.parquet", "edited": work / "edited.parquet", "missing": work / "missing.parquet"}
        generate(con, inputs["same"], n)
        generate(con, inputs["edited"], n, edit_every=100)
        generate(con, inputs["missing"], n, edit_every=100, drop_every=100)
        base = baseline(con, inputs["same"])
        label = "duckdb read+md5(to_json)"
        store = DatasetStore(work / "datasets")

        def write(path: Path, **kwargs: object) -> WriteStats:
            return store.write("companies", path, key="id", id_prefix="company", **kwargs)

        def case(case_name: str, path: Path, repeat: int = 1, **kwargs: object) -> None:
            times, stats = [], None
            for _ in range(repeat):
                with timer() as elapsed:
                    stats = write(path, **kwargs)
                times.append(elapsed())
            note = (
                f"new={stats.new} changed={stats.changed} deleted={stats.deleted} "
                f"appended={stats.appended_bytes / 1e6:.1f} MB"
            )
            results.append(Result(BENCH, f"{case_name} ({n:,} entities)", min(times), "s", base, label, note))

        case("first load", inputs["same"])
        case("reload, nothing changed", inputs["same"], repeat=3)
        (work / "datasets" / "companies" / "_state" / "index.arrow").unlink()
        store.close()
        store = DatasetStore(work / "datasets")  # no index file, no fast hashes: every row hashed canonically
        case("reload, nothing changed, index rebuilt from the log", inputs["same"])
        case("reload, 1% changed", inputs["edited"])
        case("full reload, 1% missing", inputs["missing"], full=True)
        with timer() as elapsed:
            rows = store.current("companies").aggregate("count(*)").fetchall()[0][0]
        results.append(Result(BENCH, f"current state ({rows:,} live)", elapsed(), "s", base, label))
        store.close()
    return results + run_s3(quick)


def run_s3(quick: bool) -> list[Result]:
    """Reload 100,000 entities (nothing changed, 1% changed) with the root on S3 and on local disk."""
    from tests.datasets.s3server import MotoS3  # moto is a dev dependency, like the benchmarks

    n = 5_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as tmp, MotoS3() as s3, environment(s3.env):
        work = Path(tmp)
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        same, edited = work / "same.parquet", work / "edited.parquet"
        generate(con, same, n)
        generate(con, edited, n, edit_every=100)
        stores = {"local": DatasetStore(work / "datasets"), "s3": DatasetStore(f"s3://{s3.new_bucket()}/datasets")}
        timings = reload_timings(stores, same, edited)
        for store in stores.values():
            store.close()
    return [
        Result(BENCH, f"S3 root: {case} ({n:,} entities)", s3_time, "s", local, "local disk, same case, same run")
        for case, (local, s3_time) in timings.items()
    ]


def reload_timings(stores: dict[str, DatasetStore], same: Path, edited: Path) -> dict[str, tuple[float, float]]:
    """``{case: (local, s3)}``, best of five with the roots interleaved (the machine is shared and noisy);
    the 1% case alternates its inputs, so every run changes 1%."""
    timings: dict[str, dict[str, list[float]]] = {}

    def measure(case: str, root: str, action: Callable[[], object]) -> None:
        with timer() as elapsed:
            action()
        timings.setdefault(case, {}).setdefault(root, []).append(elapsed())

    def write(store: DatasetStore, path: Path) -> WriteStats:
        return store.write("companies", path, key="id", id_prefix="company")

    for store in stores.values():
        write(store, same)
    for round_ in range(REPEAT):
        stored, other = (same, edited) if round_ % 2 == 0 else (edited, same)
        for root, store in stores.items():
            measure("reload, nothing changed", root, lambda s=store, p=stored: write(s, p))
        for root, store in stores.items():
            measure("reload, 1% changed", root, lambda s=store, p=other: write(s, p))
    for _ in range(REPEAT):
        for root, store in stores.items():  # a fresh store, as a notebook opens one: nothing cached
            measure("current state, fresh store", root, lambda r=store.root: count_current(r))
    return {case: (min(by_root["local"]), min(by_root["s3"])) for case, by_root in timings.items()}


def count_current(root: Path | str) -> int:
    with DatasetStore(root) as store:
        return store.current("companies").aggregate("count(*)").fetchall()[0][0]


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block, then restore what was there."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
