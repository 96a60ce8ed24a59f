"""SQL for reading a dataset: current state (all of it or some ``_id``s), changes since an offset, the history of
one ``_id``.

Rule: every statement is plain DuckDB SQL over the FROM expression a ``scan`` gives for an explicit
list of log parts (``DatasetFiles.scan``): on local disk a self-contained ``read_parquet`` that the pipe
engine, a notebook or the ``duckdb`` CLI can run as-is, on S3 Arrow datasets registered in the
connection that runs it. The current state is the latest version per ``_id`` (by ``_offset``),
tombstones hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sluice.datasets.hashing import quote_ident, quote_literal
from sluice.datasets.parts import Part

META_TYPES = {"_id": "VARCHAR", "_hash": "VARCHAR", "_offset": "BIGINT", "_ts": "TIMESTAMPTZ", "_deleted": "BOOLEAN"}

Scan = Callable[[Sequence[Part]], str]


def log_sql(parts: Sequence[Part], columns: dict[str, str], scan: Scan) -> str:
    """All versions in the log (or an empty, typed relation when there are no parts yet)."""
    if not parts:
        typed = {**META_TYPES, **columns}
        select = ", ".join(f"CAST(NULL AS {t}) AS {quote_ident(c)}" for c, t in typed.items())
        return f"(SELECT {select} WHERE false)"
    return scan(parts)


def current_sql(parts: Sequence[Part], columns: dict[str, str], scan: Scan) -> str:
    return (
        f"SELECT * EXCLUDE (__sluice_rank) FROM (SELECT *, row_number() OVER "
        f"(PARTITION BY _id ORDER BY _offset DESC) AS __sluice_rank FROM {log_sql(parts, columns, scan)}) "
        f"WHERE __sluice_rank = 1 AND NOT _deleted"
    )


def current_of_sql(
    parts: Sequence[Part], columns: dict[str, str], scan: Scan, ids: Sequence[str], upto: int | None = None
) -> str:
    """The current rows of these ``_id``s only (``upto``: as they were once the log ended at that offset): the ids
    go in as literals, so the scan skips what it can by the parts' ``_id`` statistics instead of ranking every
    version in the dataset."""
    listed = ", ".join(quote_literal(str(i)) for i in ids) or "NULL"
    until = "" if upto is None else f" AND _offset <= {int(upto)}"
    return (
        f"SELECT * FROM {log_sql(parts, columns, scan)} WHERE _id IN ({listed}){until} "
        f"QUALIFY row_number() OVER (PARTITION BY _id ORDER BY _offset DESC) = 1 AND NOT _deleted"
    )


def changes_sql(parts: Sequence[Part], columns: dict[str, str], scan: Scan, since: int, latest_only: bool) -> str:
    recent = [p for p in parts if p.last > since]
    rows = f"SELECT * FROM {log_sql(recent, columns, scan)} WHERE _offset > {int(since)}"
    if latest_only:
        rows += " QUALIFY row_number() OVER (PARTITION BY _id ORDER BY _offset DESC) = 1"
    return f"{rows} ORDER BY _offset"


def history_sql(parts: Sequence[Part], columns: dict[str, str], scan: Scan) -> str:
    """All versions of the ``_id`` bound to ``?``, oldest first."""
    return f"SELECT * FROM {log_sql(parts, columns, scan)} WHERE _id = ? ORDER BY _offset"


def kept_since(parts: Sequence[Part], offset: int) -> bool:
    """Whether the versions current at ``offset`` are all still in the log: writes append parts that start after
    the offsets before them, so only a compaction makes a part that spans ``offset`` (it may have dropped a
    version current then, superseded later). A compaction that ended at or before ``offset`` dropped none."""
    return not any(p.first <= offset < p.last for p in parts)
