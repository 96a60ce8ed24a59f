"""SQL for reading a dataset: current state, changes since an offset, the history of one ``_id``.

Rule: every statement is self-contained DuckDB SQL over an explicit list of log parts (no Sluice
objects needed to run it), so the pipe engine, a notebook or the ``duckdb`` CLI can use it as-is.
The current state is the latest version per ``_id`` (by ``_offset``), tombstones hidden.
"""

from __future__ import annotations

from sluice.datasets.hashing import quote_ident, quote_literal
from sluice.datasets.layout import Part

META_TYPES = {"_id": "VARCHAR", "_hash": "VARCHAR", "_offset": "BIGINT", "_ts": "TIMESTAMPTZ", "_deleted": "BOOLEAN"}


def log_sql(parts: list[Part], columns: dict[str, str]) -> str:
    """All versions in the log (or an empty, typed relation when there are no parts yet)."""
    if not parts:
        typed = {**META_TYPES, **columns}
        select = ", ".join(f"CAST(NULL AS {t}) AS {quote_ident(c)}" for c, t in typed.items())
        return f"(SELECT {select} WHERE false)"
    files = ", ".join(quote_literal(str(p.path)) for p in parts)
    return f"read_parquet([{files}], union_by_name=true)"


def current_sql(parts: list[Part], columns: dict[str, str]) -> str:
    return (
        f"SELECT * EXCLUDE (__sluice_rank) FROM (SELECT *, row_number() OVER "
        f"(PARTITION BY _id ORDER BY _offset DESC) AS __sluice_rank FROM {log_sql(parts, columns)}) "
        f"WHERE __sluice_rank = 1 AND NOT _deleted"
    )


def changes_sql(parts: list[Part], columns: dict[str, str], since: int, latest_only: bool) -> str:
    recent = [p for p in parts if p.last > since]
    rows = f"SELECT * FROM {log_sql(recent, columns)} WHERE _offset > {int(since)}"
    if latest_only:
        rows += " QUALIFY row_number() OVER (PARTITION BY _id ORDER BY _offset DESC) = 1"
    return f"{rows} ORDER BY _offset"


def history_sql(parts: list[Part], columns: dict[str, str]) -> str:
    """All versions of the ``_id`` bound to ``?``, oldest first."""
    return f"SELECT * FROM {log_sql(parts, columns)} WHERE _id = ? ORDER BY _offset"
