"""The current-state index: for every ``_id`` its latest ``_hash``, ``_offset`` and ``_deleted``.

Rule: the index is a derived cache of the log and records the offset it covers. Whoever loads it
applies the log parts beyond that offset (cost proportional to those parts, never the whole history),
so a stale or missing index file is never wrong, only slower. It lives in an Arrow IPC file (not
``.parquet``) so globbing a dataset's Parquet files finds log parts only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sluice.datasets.parts import Part
from sluice.datasets.schema import merge_columns
from sluice.datasets.storage import DatasetFiles
from sluice.errors import DatasetError

INDEX_SCHEMA = pa.schema(
    [
        ("_id", pa.string()),
        ("_hash", pa.string()),
        ("_offset", pa.int64()),
        ("_deleted", pa.bool_()),
        ("_fast", pa.uint64()),
    ]
)
INDEX_COLUMNS = "_id, _hash, _offset, _deleted, _fast"
# Fast hashes are DuckDB's hash(): only valid for the DuckDB version that computed them.
FAST_HASH_TAG = f"duckdb-{duckdb.__version__}"


@dataclass(frozen=True)
class IndexState:
    """The index of one dataset: ``table`` covers log offsets up to ``covered``; ``persisted`` is what
    the file on disk covers; ``dirty`` counts rows updated since it was written; ``columns`` is the
    payload schema seen so far (name -> DuckDB type)."""

    table: pa.Table
    covered: int = -1
    persisted: int = -1
    columns: dict[str, str] = field(default_factory=dict)
    dirty: int = 0

    @property
    def rows(self) -> int:
        return self.table.num_rows


def empty_index() -> IndexState:
    return IndexState(INDEX_SCHEMA.empty_table())


def load_index(files: DatasetFiles) -> IndexState:
    """Read the index file (or start empty); callers then ``catch_up`` with the log."""
    try:
        table = files.read_index()
        if table is None:
            return empty_index()
        meta = table.schema.metadata or {}
        covered = int(meta[b"covered"])
        columns = json.loads(meta[b"columns"])
        table = table.replace_schema_metadata(None).cast(INDEX_SCHEMA)
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return empty_index()  # a damaged cache is rebuilt from the log, which is the truth
    if meta.get(b"fast") != FAST_HASH_TAG.encode():
        table = table.set_column(4, "_fast", pa.nulls(table.num_rows, pa.uint64()))
    return IndexState(table, covered, covered, columns)


def save_index(files: DatasetFiles, state: IndexState) -> IndexState:
    """Persist the index atomically; returns the state marked as persisted."""
    meta = {"covered": str(state.covered), "columns": json.dumps(state.columns), "fast": FAST_HASH_TAG}
    files.write_index(state.table.replace_schema_metadata(meta))
    return replace(state, persisted=state.covered, dirty=0)


def catch_up(con: duckdb.DuckDBPyConnection, state: IndexState, parts: list[Part], files: DatasetFiles) -> IndexState:
    """Apply the log parts beyond ``state.covered``: the index then matches the log exactly."""
    tail = [p for p in parts if p.last > state.covered]
    if not tail:
        return state
    dataset = files.name
    cur = con.cursor()  # a cursor per call: a connection is not safe to share between threads
    try:
        source = files.scan(cur, tail)
        described = cur.sql(f"SELECT * FROM {source} LIMIT 0")
        columns = merge_columns(state.columns, list(zip(described.columns, described.types, strict=True)), dataset)
        delta = cur.sql(
            f"SELECT _id, _hash, _offset, _deleted, CAST(NULL AS UBIGINT) AS _fast FROM {source} "
            f"WHERE _offset > {state.covered}"
        ).fetch_arrow_table()
    except duckdb.Error as exc:
        raise DatasetError(f"cannot read log parts beyond offset {state.covered}: {exc}", dataset) from exc
    finally:
        cur.close()
    covered = max(p.last for p in tail)
    return apply_delta(con, replace(state, columns=columns), delta, covered)


MAX_CHUNKS = 64
"""Each update appends its delta as one more chunk; past this many the table is made contiguous again."""


def apply_delta(
    con: duckdb.DuckDBPyConnection, state: IndexState, delta: pa.Table, covered: int, unique: bool = False
) -> IndexState:
    """The index after appending ``delta`` rows (latest per ``_id`` wins; ``unique``: one row per ``_id``).

    The (small) delta is deduplicated in DuckDB; the index itself is only filtered by the delta's ids and
    extended with Arrow, never re-joined: a write of a few rows into a large index copies its columns once
    (a mask and a filter) instead of materialising a join result."""
    if delta.num_rows == 0:
        return replace(state, covered=max(covered, state.covered))
    latest = delta.select(INDEX_SCHEMA.names).cast(INDEX_SCHEMA)
    if not unique:
        cur = con.cursor()
        try:
            cur.register("__sluice_delta", latest)
            latest = cur.sql(
                f"SELECT {INDEX_COLUMNS} FROM __sluice_delta "
                "QUALIFY row_number() OVER (PARTITION BY _id ORDER BY _offset DESC) = 1"
            ).fetch_arrow_table()
        finally:
            cur.close()
        latest = latest.cast(INDEX_SCHEMA)
    if state.rows == 0:
        table = latest
    else:
        kept = state.table.filter(pc.invert(pc.is_in(state.table["_id"], value_set=latest["_id"])))
        table = pa.concat_tables([kept, latest])
        if table.column(0).num_chunks > MAX_CHUNKS:
            table = table.combine_chunks()
    return replace(state, table=table, covered=max(covered, state.covered), dirty=state.dirty + delta.num_rows)
