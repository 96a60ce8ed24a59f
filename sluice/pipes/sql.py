"""Reading a pipe's SQL: the syntax check and the datasets it reads.

Rule: DuckDB's own parser decides whether the SQL is valid (a pipe is DuckDB SQL); sqlglot only
analyses SQL that DuckDB accepted. Errors name the file and the line within the file.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

import duckdb
import sqlglot
from sqlglot import exp

from sluice.errors import PipeError

DIALECT = "duckdb"
_LINE = re.compile(r"LINE (\d+):")
_PARSER_LOCK = threading.Lock()


@functools.cache
def _parser() -> duckdb.DuckDBPyConnection:
    """One DuckDB connection for syntax checks (opening one costs tens of milliseconds, a parse microseconds)."""
    return duckdb.connect(":memory:")


@dataclass(frozen=True)
class TableRef:
    """A dataset the query reads, and the first line of the file that names it."""

    name: str
    line: int | None


def check_syntax(sql: str, path: str | None = None) -> None:
    """Raise PipeError (with the file line) unless DuckDB parses ``sql`` as exactly one statement."""
    try:
        with _PARSER_LOCK:
            statements = _parser().extract_statements(sql)
    except duckdb.Error as exc:
        message = str(exc)
        first = message.splitlines()[0] if message else "syntax error"
        raise PipeError(f"SQL syntax error: {first}", path, error_line(message)) from exc
    if len(statements) != 1:
        raise PipeError(f"a pipe holds exactly one SELECT statement, found {len(statements)}", path)


def error_line(message: str) -> int | None:
    """The ``LINE n:`` DuckDB puts in parser and binder errors (a line of the file: the SQL is passed whole)."""
    found = _LINE.search(message)
    return int(found.group(1)) if found else None


def parse(sql: str, path: str | None = None) -> exp.Query:
    """The sqlglot tree of a pipe's query (comments kept out of the way)."""
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except sqlglot.errors.ParseError as exc:
        line = exc.errors[0].get("line") if exc.errors else None
        raise PipeError(f"sqlglot cannot analyse this SQL: {exc}", path, line) from exc
    if not isinstance(tree, exp.Query):
        raise PipeError(f"a pipe must be a query (SELECT ...), got {tree.key.upper()}", path)
    return tree


def table_refs(tree: exp.Expression) -> list[TableRef]:
    """The datasets ``tree`` reads, in order of first mention; CTE names and table functions are not datasets."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    seen: dict[str, TableRef] = {}
    for table in tree.find_all(exp.Table):
        name = table.name
        if not name or table.args.get("db") or not isinstance(table.this, exp.Identifier):
            continue  # table functions (read_parquet(...)) and qualified names are not datasets
        if name.lower() in ctes:
            continue
        if name not in seen:
            line = table.this.meta.get("line")
            seen[name] = TableRef(name, line)
    return sorted(seen.values(), key=lambda ref: (ref.line or 0, ref.name))
