"""One write: classify a batch against the index, check the breaker, append one log part.

Rule: nothing touches the log until the whole part is computed, and the part becomes visible in one
step (``DatasetFiles.publish_part``: a rename on disk, a manifest put on S3). The caller holds the write
lock and hands in an index that is caught up.
Everything runs in DuckDB; ``classify.py`` decides what changed, this module numbers and writes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from sluice.datasets.breaker import BreakerLimits, check_breaker
from sluice.datasets.classify import POS, classify, stage
from sluice.datasets.hashing import quote_ident, quote_literal
from sluice.datasets.index import INDEX_COLUMNS, IndexState, apply_delta
from sluice.datasets.models import WriteStats
from sluice.datasets.schema import merge_columns
from sluice.datasets.storage import DatasetFiles
from sluice.errors import DatasetError

SCALAR_KEY_KINDS = {"varchar", "enum", "uuid", "tinyint", "smallint", "integer", "bigint", "hugeint"} | {
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "uhugeint",
}


# Rows within a part are not sorted (readers order by _offset; sorting wide rows costs more than the write).
PARQUET_OPTIONS = "COMPRESSION zstd, COMPRESSION_LEVEL 1"


@dataclass(frozen=True)
class WriteOptions:
    key: str = "_id"
    full: bool = False
    force: bool = False
    id_prefix: str | None = None
    limits: BreakerLimits = field(default_factory=BreakerLimits)
    spare: frozenset[str] = frozenset()
    """Ids a full write keeps although the batch lacks them."""
    delete: frozenset[str] = frozenset()
    """Ids a write that is not full tombstones (those the batch does not hold): a partial rewrite's removals."""


def write_batch(
    con: duckdb.DuckDBPyConnection,
    files: DatasetFiles,
    state: IndexState,
    batch: pa.Table | Path,
    options: WriteOptions,
) -> tuple[WriteStats, IndexState]:
    """Append the batch's new and changed entities (and, for a full write, tombstones)."""
    name = files.name
    cur = con.cursor()
    try:
        num_rows = _register_batch(cur, batch, options.key, name)
        state.register(cur)
        described = cur.sql("SELECT * FROM __sluice_batch LIMIT 0")
        columns = [(c, t) for c, t in zip(described.columns, described.types, strict=True) if c != POS]
        payload = [(c, t) for c, t in columns if not c.startswith("_")]
        merged = merge_columns(state.columns, payload, name)
        _check_key(cur, columns, num_rows, options.key, name)
        stage(cur, columns, options.key, options.id_prefix)
        carry = state.rows == 0
        cur.register("__sluice_spared", pa.table({"_id": pa.array(sorted(options.spare), pa.string())}))
        cur.register("__sluice_deleting", pa.table({"_id": pa.array(sorted(options.delete), pa.string())}))
        counts = classify(cur, columns, options.full, name, carry_payload=carry)
        check_breaker(
            name,
            options.limits if not options.force else BreakerLimits(None, None, 0),
            live=counts["live"],
            batch_size=num_rows + len(options.spare),  # spared ids are there, only not handed over
            full=options.full and not options.force,
            changed=counts["changed"],
            deleted=counts["deleted"],
        )
        appended = counts["new"] + counts["changed"] + counts["deleted"]
        stats = WriteStats(
            dataset=name,
            new=counts["new"],
            changed=counts["changed"],
            unchanged=counts["staged"] - counts["new"] - counts["changed"],
            deleted=counts["deleted"],
            duplicates=num_rows - counts["staged"],
            last_offset=state.covered,
        )
        first, last, size = None, state.covered, 0
        if appended:
            first, last = state.covered + 1, state.covered + appended
            source = "__sluice_changes" if carry else "__sluice_batch"
            size = _append_part(cur, files, _as_known(payload, merged), first, last, source)
        delta = cur.sql(
            f"SELECT {INDEX_COLUMNS} FROM __sluice_refreshed"
            + (f" UNION ALL SELECT {INDEX_COLUMNS} FROM __sluice_appended" if appended else "")
        ).fetch_arrow_table()
    finally:
        cur.close()
    new_state = apply_delta(con, replace(state, columns=merged), delta, last, unique=True)
    return replace(stats, first_offset=first, last_offset=last, appended_bytes=size), new_state


def _register_batch(cur: duckdb.DuckDBPyConnection, batch: pa.Table | Path, key: str, dataset: str) -> int:
    """``__sluice_batch``: payload columns (and the key), rows numbered so the last duplicate wins."""
    names = batch.column_names if isinstance(batch, pa.Table) else pq.read_schema(batch).names
    keep = [c for c in names if not c.startswith("_") or c == key]
    if len(set(keep)) != len(keep):
        raise DatasetError(f"the batch has duplicate column names: {sorted(keep)}", dataset)
    if isinstance(batch, pa.Table):
        table = batch.select(keep)
        cur.register("__sluice_batch", table.append_column(POS, pa.array(range(table.num_rows), type=pa.int64())))
        return table.num_rows
    select = "".join(f"{quote_ident(c)}, " for c in keep)
    cur.execute(
        f"CREATE OR REPLACE TEMP VIEW __sluice_batch AS SELECT {select}file_row_number AS {POS} "
        f"FROM read_parquet({quote_literal(str(batch))}, file_row_number=true)"
    )
    return pq.read_metadata(batch).num_rows


def _as_known(payload: list, merged: dict[str, str]) -> list[tuple[str, str | None]]:
    """Each payload column with the type to cast it to: the dataset's own where the batch's holds a NULL type
    (an empty list, a struct field no row of the batch filled). Soak seed 73160: a part whose ``Address.Postal``
    was NULL-typed beside parts where it is a struct made every later read of the dataset fail inside DuckDB."""
    return [(c, None if t.id == "null" else merged[c] if "NULL" in str(t) else "") for c, t in payload]


def _check_key(cur: duckdb.DuckDBPyConnection, columns: list, rows: int, key: str, dataset: str) -> None:
    types = dict(columns)
    if rows == 0:
        return
    if key not in types:
        raise DatasetError(f"the batch has no key column {key!r}; nothing was written", dataset)
    if types[key].id not in SCALAR_KEY_KINDS:
        raise DatasetError(f"key column {key!r} must be a string or an integer, not {types[key]}", dataset)
    missing = cur.sql(f"SELECT count(*) FROM __sluice_batch WHERE {quote_ident(key)} IS NULL").fetchall()[0][0]
    if missing:
        raise DatasetError(f"{missing} of {rows} entities have no key {key!r}; nothing was written", dataset)


def _append_part(
    cur: duckdb.DuckDBPyConnection,
    files: DatasetFiles,
    payload: list[tuple[str, str | None]],
    first: int,
    last: int,
    source: str,
) -> int:
    """Write the new part (payload from ``source``; each column cast to its type, "" as it is, None left out: all
    NULL) to a staging file, then publish it; returns its size."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __sluice_appended AS
        SELECT _id, _hash, CAST({first - 1} + row_number() OVER (ORDER BY {POS}) AS BIGINT) AS _offset,
               false AS _deleted, _fast, {POS}
        FROM __sluice_changes
        UNION ALL
        SELECT _id, NULL, CAST({first - 1} + (SELECT count(*) FROM __sluice_changes)
               + row_number() OVER (ORDER BY _id) AS BIGINT), true, NULL, NULL
        FROM __sluice_tombstones
        """
    )
    select_payload = "".join(
        f", CAST(b.{quote_ident(c)} AS {t}) AS {quote_ident(c)}" if t else f", b.{quote_ident(c)}"
        for c, t in payload
        if t is not None
    )
    staged = files.staging_path(first, last)
    cur.execute(
        f"""
        COPY (
            SELECT a._id, a._hash, CAST(a._offset AS BIGINT) AS _offset, TIMESTAMPTZ '{now}' AS _ts,
                   a._deleted{select_payload}
            FROM __sluice_appended a LEFT JOIN {source} b ON b.{POS} = a.{POS}
        ) TO {quote_literal(str(staged))} (FORMAT parquet, {PARQUET_OPTIONS})
        """
    )
    return files.publish_part(staged, first, last).size
