from __future__ import annotations

import pytest

from sluice.errors import PipeError
from sluice.pipes.sql import check_syntax, error_line, parse, table_refs


def test_syntax_error_names_file_and_line() -> None:
    sql = "/* output: x */\nSELECT a\nFROM b\nWHERE\n"
    with pytest.raises(PipeError) as err:
        check_syntax(sql, "pipes/x.sql")
    assert err.value.path == "pipes/x.sql"
    assert err.value.line == 4
    assert "syntax error" in str(err.value)


def test_more_than_one_statement_is_refused() -> None:
    with pytest.raises(PipeError, match="exactly one"):
        check_syntax("SELECT 1; SELECT 2", "p.sql")


def test_table_refs_skip_ctes_and_table_functions_and_carry_lines() -> None:
    sql = (
        "WITH recent AS (SELECT * FROM superoffice_contact)\n"
        "SELECT * FROM recent\n"
        "JOIN customwebshop_customer s ON true\n"
        "JOIN read_parquet('x.parquet') p ON true"
    )
    refs = table_refs(parse(sql))
    assert [(r.name, r.line) for r in refs] == [("superoffice_contact", 1), ("customwebshop_customer", 3)]


def test_error_line_reads_duckdb_messages() -> None:
    assert error_line("Binder Error: x\n\nLINE 7: SELECT nope") == 7
    assert error_line("no line here") is None


def test_non_query_is_refused() -> None:
    with pytest.raises(PipeError, match="must be a query"):
        parse("CREATE TABLE t (a INT)", "p.sql")
