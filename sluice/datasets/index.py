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
    payload schema seen so far (name -> DuckDB type).

    ``delta`` holds the latest versions of the ids written since ``table`` was made (one row per id), laid
    over it: a write of a few rows into a large index leaves ``table`` as it is (no copy of a million rows
    per write); ``merged()`` folds it in when the whole index is needed or the delta has grown."""

    table: pa.Table
    covered: int = -1
    persisted: int = -1
    columns: dict[str, str] = field(default_factory=dict)
    dirty: int = 0
    delta: pa.Table | None = None

    @property
    def rows(self) -> int:
        """Rows in the index (with a delta: an upper bound, an id in both counted twice; 0 only when empty)."""
        return self.table.num_rows + (self.delta.num_rows if self.delta is not None else 0)

    def merged(self) -> IndexState:
        """The same index as one table (the delta folded in)."""
        if self.delta is None:
            return self
        return replace(self, table=_laid_over(self.table, self.delta), delta=None)

    def register(self, cur: duckdb.DuckDBPyConnection, name: str = "__sluice_index") -> None:
        """``name`` on ``cur``: the index as one relation (the delta laid over the table in the query, not copied)."""
        if self.delta is None:
            cur.register(name, self.table)
            return
        cur.register(f"{name}_base", self.table)
        cur.register(f"{name}_delta", self.delta)
        cur.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {INDEX_COLUMNS} FROM {name}_base "
            f"ANTI JOIN {name}_delta USING (_id) UNION ALL SELECT {INDEX_COLUMNS} FROM {name}_delta"
        )


def _laid_over(table: pa.Table, latest: pa.Table) -> pa.Table:
    """``table`` without the ids of ``latest``, then ``latest`` (one row per id in both)."""
    if table.num_rows == 0:
        return latest
    kept = table.filter(pc.invert(pc.is_in(table["_id"], value_set=latest["_id"])))
    merged = pa.concat_tables([kept, latest])
    return merged.combine_chunks() if merged.column(0).num_chunks > MAX_CHUNKS else merged


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
    state = state.merged()
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


def apply_delta(
    con: duckdb.DuckDBPyConnection, state: IndexState, delta: pa.Table, covered: int, unique: bool = False
) -> IndexState:
    """The index after appending ``delta`` rows (latest per ``_id`` wins; ``unique``: one row per ``_id``).

    The (small) delta is deduplicated in DuckDB and laid over the index (``IndexState.delta``): its cost
    follows the rows written, not the size of the dataset, until the overlay outgrows ``OVERLAY_SHARE``."""
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
    moved = replace(state, covered=max(covered, state.covered), dirty=state.dirty + delta.num_rows)
    if state.table.num_rows == 0 and state.delta is None:
        return replace(moved, table=latest)
    overlay = latest if state.delta is None else _laid_over(state.delta, latest).combine_chunks()
    moved = replace(moved, delta=overlay)
    if overlay.num_rows > max(OVERLAY_MIN, OVERLAY_SHARE * state.table.num_rows):
        return moved.merged()
    return moved


OVERLAY_MIN = 10_000
OVERLAY_SHARE = 0.1
"""The overlay is folded into the table once it holds more than this share of it (or ``OVERLAY_MIN`` rows)."""
MAX_CHUNKS = 64
"""Each fold appends one more chunk; past this many the table is made contiguous again."""
