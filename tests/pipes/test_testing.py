from __future__ import annotations

from pathlib import Path

import pytest

from sluice.errors import PipeError
from sluice.pipes.testing import PipeTestCase, load_cases, run_case, values_match

SQL = "SELECT CAST(c.ContactId AS VARCHAR) AS _id, upper(c.Name) AS name, c.Address.City AS city FROM contact c"


def case(expected: list[dict], rows: list[dict] | None = None) -> PipeTestCase:
    rows = rows or [{"ContactId": 1, "Name": "acme", "Address": {"City": "Oslo"}}, {"ContactId": 2, "Name": "b"}]
    return PipeTestCase("c", {"contact": rows}, expected)


def test_passing_case() -> None:
    result = run_case("p", SQL, case([{"_id": "1", "name": "ACME", "city": "Oslo"}, {"_id": "2", "city": None}]))
    assert result.passed, result


def test_a_wrong_value_is_reported_with_row_and_column() -> None:
    result = run_case("p", SQL, case([{"_id": "1", "name": "acme"}, {"_id": "2"}]))
    assert not result.passed
    assert [(m.row, m.column, m.expected, m.actual) for m in result.mismatches] == [("1", "name", "acme", "ACME")]


def test_missing_and_unexpected_rows() -> None:
    result = run_case("p", SQL, case([{"_id": "1"}, {"_id": "3"}]))
    assert result.missing == [{"_id": "3"}]
    assert [row["_id"] for row in result.unexpected] == ["2"]


def test_sql_errors_fail_the_case_with_the_message() -> None:
    result = run_case("p", "SELECT nope FROM contact", case([]))
    assert not result.passed
    assert "nope" in result.error


def test_a_missing_fixture_fails_clearly() -> None:
    result = run_case("p", "SELECT * FROM other_dataset", case([]))
    assert "other_dataset" in result.error


def test_values_match_forgives_representation_not_content() -> None:
    import datetime as dt
    from decimal import Decimal

    assert values_match("2026-11-20T10:15:00", dt.datetime(2026, 11, 20, 10, 15))
    assert values_match(dt.date(2026, 1, 2), dt.date(2026, 1, 2))
    assert values_match("12.50", Decimal("12.5"))
    assert values_match(1, 1.0)
    assert values_match({"a": 1}, {"a": 1, "b": 2})
    assert not values_match({"a": 1, "c": None}, {"a": 1})
    assert not values_match(True, 1)
    assert not values_match("1", 1.5)
    assert not values_match(None, "")
    assert not values_match([1, 2], [1])


def test_load_cases_reads_yaml_and_refuses_malformed(tmp_path: Path) -> None:
    good = tmp_path / "p.test.yaml"
    good.write_text("one:\n  inputs: {contact: [{ContactId: 1}]}\n  expected: [{_id: '1'}]\n")
    (loaded,) = load_cases(good)
    assert loaded.inputs == {"contact": [{"ContactId": 1}]}
    bad = tmp_path / "bad.test.yaml"
    bad.write_text("one:\n  expected: []\n")
    with pytest.raises(PipeError, match="needs 'inputs'"):
        load_cases(bad)
