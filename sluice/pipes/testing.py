"""Pipe unit tests: fixture rows per input dataset and the expected output rows, in YAML beside the pipe.

Rule: a test runs the pipe's SQL unchanged in a fresh in-memory DuckDB where each fixture is a table
named like the dataset; no store, no files written. Expected rows list only the columns they care about.

File format (``pipes/contact_customer/superoffice.test.yaml``)::

    maps_a_company:                  # one entry per test case
      inputs:
        superoffice_contact:         # rows of the input dataset
          - {ContactId: 1, Name: Acme}
      expected:                      # output rows, matched by _id (else by position)
        - {_id: "1", company_name: Acme}
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from sluice.errors import PipeError


@dataclass(frozen=True)
class PipeTestCase:
    name: str
    inputs: dict[str, list[dict[str, Any]]]
    expected: list[dict[str, Any]]


@dataclass(frozen=True)
class Mismatch:
    """One differing value: the row (its ``_id`` or position), the column, and both values."""

    row: str
    column: str
    expected: Any
    actual: Any


@dataclass(frozen=True)
class PipeTestResult:
    pipe: str
    case: str
    error: str | None = None  # the SQL failed (or the fixture is malformed)
    missing: list[dict[str, Any]] = field(default_factory=list)  # expected rows not produced
    unexpected: list[dict[str, Any]] = field(default_factory=list)  # produced rows not expected
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.error is None and not (self.missing or self.unexpected or self.mismatches)


def load_cases(path: Path, shown: str | None = None) -> list[PipeTestCase]:
    """Read a ``.test.yaml`` file; a malformed one raises PipeError naming it."""
    shown = shown or str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PipeError(f"cannot read the pipe tests: {exc}", shown) from exc
    if not isinstance(data, dict) or not data:
        raise PipeError("a pipe test file maps test names to {inputs, expected}", shown)
    return [_case(str(name), spec, shown) for name, spec in data.items()]


def _case(name: str, spec: Any, shown: str) -> PipeTestCase:
    if not isinstance(spec, dict) or not isinstance(spec.get("inputs"), dict) or "expected" not in spec:
        raise PipeError(f"test {name!r} needs 'inputs' (dataset -> rows) and 'expected' (rows)", shown)
    inputs = {}
    for dataset, rows in spec["inputs"].items():
        rows = rows.get("rows") if isinstance(rows, dict) else rows
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise PipeError(f"test {name!r}: inputs of {dataset!r} must be a list of rows", shown)
        inputs[str(dataset)] = rows
    expected = spec["expected"] or []
    if not isinstance(expected, list) or not all(isinstance(r, dict) for r in expected):
        raise PipeError(f"test {name!r}: 'expected' must be a list of rows", shown)
    return PipeTestCase(name, inputs, expected)


def run_case(pipe_name: str, sql: str, case: PipeTestCase) -> PipeTestResult:
    """Run ``sql`` over the case's fixtures and compare the output with the expected rows."""
    con = duckdb.connect(":memory:")
    try:
        for dataset, rows in case.inputs.items():
            con.register(dataset, _fixture_table(rows))
        actual = con.sql(sql).to_arrow_table().to_pylist()
    except (duckdb.Error, pa.ArrowException) as exc:
        return PipeTestResult(pipe_name, case.name, error=str(exc).strip())
    finally:
        con.close()
    return compare(pipe_name, case.name, case.expected, actual)


def _fixture_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows with differing keys become one table (missing values are null)."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])


def compare(pipe_name: str, case: str, expected: list[dict], actual: list[dict]) -> PipeTestResult:
    """Match rows by ``_id`` when every expected row has one, else by position; diff the listed columns."""
    if expected and all("_id" in row for row in expected):
        exp_by = {str(row["_id"]): row for row in expected}
        act_by = {str(row.get("_id")): row for row in actual}
    else:
        exp_by = {f"#{i}": row for i, row in enumerate(expected)}
        act_by = {f"#{i}": row for i, row in enumerate(actual)}
    missing = [row for key, row in exp_by.items() if key not in act_by]
    unexpected = [_plain(row) for key, row in act_by.items() if key not in exp_by]
    mismatches = []
    for key, want in exp_by.items():
        got = act_by.get(key)
        if got is None:
            continue
        for column, value in want.items():
            if column not in got:
                mismatches.append(Mismatch(key, column, value, "<no such column>"))
            elif not values_match(value, got[column]):
                mismatches.append(Mismatch(key, column, value, _plain(got[column])))
    return PipeTestResult(pipe_name, case, missing=missing, unexpected=unexpected, mismatches=mismatches)


def values_match(expected: Any, actual: Any) -> bool:
    """Equality that forgives representation: dicts compare only the expected keys, numbers by value,
    timestamps by ISO text (YAML may hand either a string or a datetime)."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and values_match(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(values_match, expected, actual))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(actual, dt.date | dt.datetime | dt.time) or isinstance(expected, dt.date | dt.datetime):
        return _iso(expected) == _iso(actual)
    if isinstance(actual, int | float | Decimal) and not isinstance(expected, str | int | float | Decimal):
        return False
    if isinstance(actual, int | float | Decimal):
        return _numbers_match(expected, actual)
    return expected == actual


def _numbers_match(expected: Any, actual: int | float | Decimal) -> bool:
    try:
        want = Decimal(str(expected))
    except InvalidOperation:
        return False
    if isinstance(actual, float):
        return math.isclose(float(want), actual, rel_tol=1e-9, abs_tol=1e-12)
    return want == Decimal(str(actual))


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value).strip().replace(" ", "T").removesuffix("Z")
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return text
    try:
        return _iso(dt.datetime.fromisoformat(text))
    except ValueError:
        return text


def _plain(value: Any) -> Any:
    """Values as YAML would write them (for messages): datetimes as ISO text, decimals as text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return _iso(value)
    if isinstance(value, Decimal):
        return str(value)
    return value
