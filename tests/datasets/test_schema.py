"""Which type changes a dataset accepts (widening) and which it refuses."""

from __future__ import annotations

import duckdb
import pytest

from sluice.datasets.schema import IncompatibleType, merge_type


def merged(old: str, new: str) -> str:
    return str(merge_type(duckdb.type(old), duckdb.type(new), "c", "d"))


@pytest.mark.parametrize(
    ("old", "new", "result"),
    [
        ("INTEGER", "BIGINT", "BIGINT"),
        ("BIGINT", "INTEGER", "BIGINT"),
        ("BIGINT", "DOUBLE", "DOUBLE"),
        ("DECIMAL(10,2)", "DECIMAL(12,4)", "DECIMAL(38,4)"),
        ('"NULL"', "VARCHAR", "VARCHAR"),
        ("VARCHAR", '"NULL"', "VARCHAR"),
        ("DATE", "TIMESTAMP", "TIMESTAMP"),
        ("STRUCT(a INTEGER)", "STRUCT(b VARCHAR)", "STRUCT(a INTEGER, b VARCHAR)"),
        ("INTEGER[]", "DOUBLE[]", "DOUBLE[]"),
    ],
)
def test_widening_is_accepted(old: str, new: str, result: str) -> None:
    assert merged(old, new) == result


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("VARCHAR", "STRUCT(a INTEGER)"),
        ("INTEGER", "VARCHAR"),
        ("VARCHAR[]", "VARCHAR"),
        ("STRUCT(a INTEGER)", "STRUCT(a VARCHAR)"),
        ("BOOLEAN", "INTEGER"),
    ],
)
def test_incompatible_changes_are_refused(old: str, new: str) -> None:
    with pytest.raises(IncompatibleType, match="changes type"):
        merged(old, new)
