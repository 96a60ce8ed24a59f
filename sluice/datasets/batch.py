"""Turning what callers hand to ``write`` into one Arrow table, and JSON Lines into rows.

Rule: every problem with the input (not a dict, not JSON, inconsistent types) becomes a
``DatasetError`` that says where, before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sluice.errors import DatasetError

Rows = pa.Table | pd.DataFrame | duckdb.DuckDBPyRelation | Path | Iterable[Mapping[str, Any]]


def to_batch(rows: Rows, dataset: str) -> pa.Table | Path:
    """An Arrow table from a table, a DataFrame, a DuckDB relation or dicts; a Parquet file stays a
    path (DuckDB reads it faster than a detour through Arrow), after checking it is readable."""
    if isinstance(rows, pa.Table):
        return rows
    if isinstance(rows, pd.DataFrame):
        return _from_pandas(rows, dataset)
    if isinstance(rows, duckdb.DuckDBPyRelation):
        return rows.fetch_arrow_table()
    if isinstance(rows, Path):
        _check_parquet(rows, dataset)
        return rows
    if isinstance(rows, str | bytes | Mapping):
        raise DatasetError(f"rows must be a table, a DataFrame or an iterable of dicts, not {type(rows).__name__}")
    return _from_dicts(rows, dataset)


def _from_pandas(frame: pd.DataFrame, dataset: str) -> pa.Table:
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise DatasetError(f"cannot convert the DataFrame: {exc}", dataset) from exc


def _check_parquet(path: Path, dataset: str) -> None:
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException) as exc:
        raise DatasetError(f"cannot read Parquet file {path}: {exc}", dataset) from exc


def _from_dicts(rows: Iterable[Mapping[str, Any]], dataset: str) -> pa.Table:
    items = list(rows)
    for position, row in enumerate(items):
        if not isinstance(row, Mapping):
            raise DatasetError(f"row {position} is a {type(row).__name__}, not an object", dataset)
    if not items:
        return pa.table({})
    try:
        # pa.array infers one struct type over ALL rows' keys (Table.from_pylist only looks at the first row).
        structs = pa.array([dict(row) for row in items])
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
        raise DatasetError(f"rows have inconsistent or unsupported types: {exc}", dataset) from exc
    return pa.Table.from_struct_array(structs)


def read_jsonl(path: Path, dataset: str | None = None) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file (blank lines skipped); a bad line fails the whole file."""
    rows: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read {path}: {exc}", dataset) from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not JSON ({exc.msg}); nothing was written", dataset) from exc
        if not isinstance(row, dict):
            raise DatasetError(f"{path}:{number}: a {type(row).__name__}, not an object; nothing was written", dataset)
        rows.append(row)
    return rows
