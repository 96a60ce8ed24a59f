"""Turning what callers hand to ``write`` into one Arrow table, and JSON Lines into rows.

Rule: every problem with the input (not a dict, not JSON, inconsistent types) becomes a
``DatasetError`` that says where, before anything is written, and names no value: a message
about row 7 must not print a customer's data from row 3. ``fit_rows`` sets aside the rows
whose types do not fit the others (or the dataset's), so a caller can keep the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sluice.datasets.schema import IncompatibleType, merge_type
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
    fitted = fit_rows(list(rows), dataset)
    if fitted.rejected:
        first = fitted.rejected[0]
        raise DatasetError(
            f"{len(fitted.rejected)} rows do not fit the others' types (first: row {first.position}: "
            f"{first.reason}); nothing was written",
            dataset,
        )
    return fitted.table


@dataclass(frozen=True)
class RejectedRow:
    """A row ``fit_rows`` set aside: its position in the input and why (column and types, never values)."""

    position: int
    reason: str


@dataclass(frozen=True)
class FittedRows:
    """The rows that fit, as one table, and those set aside."""

    table: pa.Table
    rejected: list[RejectedRow]


def fit_rows(rows: list[Mapping[str, Any]], dataset: str, known: Mapping[str, str] | None = None) -> FittedRows:
    """The rows as one Arrow table, minus those whose types fit neither ``known`` (the dataset's column
    types) nor the majority of the other rows. A row that is not a mapping is the caller's bug: it raises.

    The fast path is one ``pa.array`` over all rows; only when it fails, or a column's type clashes
    with ``known``, is each row typed on its own and each column's types voted on."""
    for position, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise DatasetError(f"row {position} is a {type(row).__name__}, not an object", dataset)
    if not rows:
        return FittedRows(pa.table({}), [])
    try:
        # pa.array infers one struct type over ALL rows' keys (Table.from_pylist only looks at the first row).
        table = pa.Table.from_struct_array(pa.array([dict(row) for row in rows]))
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        table = None
    if table is not None and not known:
        return FittedRows(table, [])
    with _DuckTypes() as duck:
        if table is not None and not _clashes(duck.of_schema(table.schema), known or {}, dataset):
            return FittedRows(table, [])
        return _fit_slowly(rows, dataset, dict(known or {}), duck)


def _fit_slowly(rows: list[Mapping[str, Any]], dataset: str, known: dict[str, str], duck: _DuckTypes) -> FittedRows:
    rejected: dict[int, str] = {}
    columns: dict[str, dict[str, list[int]]] = {}  # column -> type -> positions holding it
    for position, row in enumerate(rows):
        try:
            types = duck.of_schema(pa.Table.from_struct_array(pa.array([dict(row)])).schema)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            rejected[position] = _untypable(row)
            continue
        for name, dtype in types.items():
            if dtype.id != "null":
                columns.setdefault(name, {}).setdefault(str(dtype), []).append(position)
    for name, by_type in columns.items():
        for position, reason in _outvoted(name, by_type, known.get(name), dataset).items():
            rejected.setdefault(position, reason)
    kept = [dict(row) for position, row in enumerate(rows) if position not in rejected]
    try:
        table = pa.Table.from_struct_array(pa.array(kept)) if kept else pa.table({})
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
        raise DatasetError(f"rows have inconsistent types ({type(exc).__name__})", dataset) from None
    return FittedRows(table, [RejectedRow(p, r) for p, r in sorted(rejected.items())])


def _outvoted(name: str, by_type: dict[str, list[int]], known: str | None, dataset: str) -> dict[int, str]:
    """Vote on column ``name``: the dataset's type, then the rows' types from the most to the least common
    (ties: the first seen), merge while they can; the positions holding a type that cannot, with why."""
    merged = duckdb.type(known) if known else None
    losers: dict[int, str] = {}
    for text, positions in sorted(by_type.items(), key=lambda item: (-len(item[1]), item[1][0])):
        dtype = duckdb.type(text)
        if merged is None:
            merged = dtype
            continue
        try:
            merged = merge_type(merged, dtype, name, dataset)
        except IncompatibleType:
            side = "the dataset's" if known else "the other rows'"
            reason = f"column {name!r} is {dtype}, not {merged} ({side} type)"
            losers.update(dict.fromkeys(positions, reason))
    return losers


def _clashes(incoming: dict[str, duckdb.DuckDBPyType], known: Mapping[str, str], dataset: str) -> bool:
    for name, dtype in incoming.items():
        if name in known:
            try:
                merge_type(duckdb.type(known[name]), dtype, name, dataset)
            except IncompatibleType:
                return True
    return False


def _untypable(row: Mapping[str, Any]) -> str:
    """Why one row cannot be typed at all, naming the first field that fails (not its value)."""
    for name, value in row.items():
        try:
            pa.array([value])
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            return f"field {name!r} cannot be typed (mixed types inside it, or a number too large)"
    return "the row cannot be typed"


class _DuckTypes:
    """DuckDB's types for Arrow schemas (the types the writer and ``schema.merge_type`` compare)."""

    def __init__(self) -> None:
        self._con: duckdb.DuckDBPyConnection | None = None
        self._cache: dict[str, duckdb.DuckDBPyType] = {}

    def __enter__(self) -> _DuckTypes:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._con is not None:
            self._con.close()

    def of_schema(self, schema: pa.Schema) -> dict[str, duckdb.DuckDBPyType]:
        return {f.name: self.of(f.type) for f in schema if not f.name.startswith("_")}

    def of(self, arrow_type: pa.DataType) -> duckdb.DuckDBPyType:
        text = str(arrow_type)
        if text not in self._cache:
            if self._con is None:
                self._con = duckdb.connect()
            empty = pa.table({"c": pa.nulls(0, type=arrow_type)})
            self._cache[text] = self._con.from_arrow(empty).types[0]
        return self._cache[text]


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
