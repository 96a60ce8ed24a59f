from __future__ import annotations

import pyarrow as pa
import pytest

from sluice.errors import PipeError
from sluice.pipes.checks import check_compatible, compatible, prepare_output


def test_missing_id_is_refused() -> None:
    with pytest.raises(PipeError, match="no _id column"):
        prepare_output(pa.table({"a": [1]}), "pipes/p.sql")


def test_duplicate_ids_are_refused_with_examples() -> None:
    with pytest.raises(PipeError, match=r"pipes/p.sql: duplicate _id in the output: 1 id\(s\), e.g. 'x' x2"):
        prepare_output(pa.table({"_id": ["x", "x", "y"]}), "pipes/p.sql")


def test_null_ids_are_refused() -> None:
    with pytest.raises(PipeError, match="null _id"):
        prepare_output(pa.table({"_id": ["x", None]}), "p.sql")


def test_integer_ids_become_text_and_store_columns_are_dropped() -> None:
    out = prepare_output(pa.table({"_id": [1, 2], "_hash": ["a", "b"], "v": [1, 2]}), "p.sql")
    assert out.column_names == ["_id", "v"]
    assert out.column("_id").to_pylist() == ["1", "2"]


def test_compatibility_rules() -> None:
    assert compatible(pa.int32(), pa.int64())
    assert compatible(pa.int64(), pa.float64())
    assert compatible(pa.null(), pa.string())
    assert compatible(pa.struct([("a", pa.string())]), pa.struct([("a", pa.string()), ("b", pa.int64())]))
    assert not compatible(pa.string(), pa.int64())
    assert not compatible(pa.struct([("a", pa.string())]), pa.struct([("a", pa.int64())]))
    assert not compatible(pa.list_(pa.string()), pa.string())


def test_incompatible_change_names_the_column() -> None:
    old = pa.schema([("_id", pa.string()), ("total", pa.float64())])
    new = pa.schema([("_id", pa.string()), ("total", pa.string())])
    with pytest.raises(PipeError, match="total: double -> string"):
        check_compatible(new, old, "p.sql")
    check_compatible(new, None, "p.sql")


def test_underscore_payload_columns_are_refused_since_the_store_would_drop_them() -> None:
    with pytest.raises(PipeError, match=r"_updated start with '_'"):
        prepare_output(pa.table({"_id": ["1"], "_updated": [1]}), "p.sql")
