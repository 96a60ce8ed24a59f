"""Declared datasets: the schemas of datasets that may not exist yet (not pulled, not synced), for planning.

Rule: a declaration lists payload columns. An absent declared dataset binds as an empty relation shaped
exactly as ``DatasetStore.current`` would give it (the store's own columns first), so a pipe plans,
previews and traces the same before the first pull as after it. A dataset in the store binds as itself.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import duckdb
import pyarrow as pa

Declared = Mapping[str, pa.Schema]
"""``{dataset: payload schema}`` of datasets the pipes may read before anything wrote them."""

STORE_SCHEMA = pa.schema(
    [
        ("_id", pa.string()),
        ("_hash", pa.string()),
        ("_offset", pa.int64()),
        ("_ts", pa.timestamp("us", tz="UTC")),
        ("_deleted", pa.bool_()),
    ]
)
"""The columns the store puts before the payload of every current-state view."""


def empty_relation(schema: pa.Schema) -> pa.Table:
    """No rows: the store's columns, then the declared payload columns (a store column declared again is ignored)."""
    payload = [field for field in schema if field.name not in STORE_SCHEMA.names]
    return pa.schema([*STORE_SCHEMA, *payload]).empty_table()


def duckdb_columns(schema: pa.Schema) -> dict[str, str]:
    """``{column: DuckDB type}`` of the empty relation, as lineage wants input schemas (a copy: callers may
    change it)."""
    return dict(_duckdb_columns(schema))


@functools.lru_cache(maxsize=256)
def _duckdb_columns(schema: pa.Schema) -> dict[str, str]:
    """Cached: declared schemas never change in a process, and each answer costs a DuckDB connection (tens of
    milliseconds), paid by every pipe run that binds a declared input."""
    con = duckdb.connect(":memory:")
    try:
        relation = con.from_arrow(empty_relation(schema))
        return {name: str(dtype) for name, dtype in zip(relation.columns, relation.types, strict=True)}
    finally:
        con.close()
