"""A full reconcile's field comparison, vectorised: which pairs could the merge move at all?

Rule: this module only narrows; ``merge.py`` decides. It returns the SuperOffice ids whose pair is
*not* provably settled, and the Python merge then runs on those alone. A pair is settled when its
link is active, both records are live, the agreed state holds exactly the flow's fields, both sides
hold the same values (of the same type), the agreed state holds them too (the same JSON text), and
no text has surrounding whitespace: then every field merges to what it is, and nothing moves.
Anything the SQL cannot prove (types that differ, a value written differently in JSON) is simply not
settled, so a mistake here costs time, never a change.
"""

from __future__ import annotations

from typing import Any

import duckdb

from sluice.datasets import DatasetStore
from sluice.datasets.hashing import quote_ident, quote_literal
from sluice.sync.dataflow import Dataflow

WHITESPACE = "".join(f"\\x{{{code:x}}}" for code in range(0x110000) if chr(code).isspace())
"""What ``str.strip()`` removes, as an RE2 class: a text starting or ending with one is untidy."""


def unsettled_ids(store: DatasetStore, flow: Dataflow) -> set[str] | None:
    """The SuperOffice ids (records and links) a full reconcile must merge in Python; None: all of them
    (a dataset the comparison needs is missing)."""
    names = (flow.a_dataset, flow.b_dataset, flow.link_dataset, flow.agreed_dataset)
    if not all(store.exists(name) for name in names):
        return None
    a_sql, b_sql, link_sql, agreed_sql = (store.current_sql(name) for name in names)
    a_types, b_types = _types(store.con, a_sql), _types(store.con, b_sql)
    names = [f.name for f in flow.fields]
    columns = [(_column("a", name, a_types), _column("b", name, b_types)) for name in names]
    same_type = [(a, b) for (a, a_type), (b, b_type) in columns if a_type == b_type]
    other_type = [f"{a} IS NULL AND {b} IS NULL" for (a, a_type), (b, b_type) in columns if a_type != b_type]
    texts = [a for (a, a_type), _ in columns if a_type == "VARCHAR"]
    a_json = ", ".join(f"coalesce(CAST(to_json({a}) AS VARCHAR), 'null')" for (a, _), _ in columns)
    settled = " AND ".join(
        [
            "l.status = 'active'",
            "a._id IS NOT NULL",
            "b._id IS NOT NULL",
            "g._id IS NOT NULL",
            *(f"NOT coalesce({side}.sync_deleted, false)" for side, t in (("a", a_types), ("b", b_types)) if _has(t)),
            *([_same_row(same_type)] if same_type else []),
            *other_type,
            f"g.keys = {_list(sorted(names))}",  # Python writes the keys sorted
            f"g.base = [{a_json}]",
            *([_tidy(texts)] if texts else []),
        ]
    )
    paths = ", ".join(_path(name) for name in names)
    agreed = (
        f"SELECT _id, json_keys(state) AS keys, CAST(json_extract(state, [{paths}]) AS VARCHAR[]) AS base "
        f"FROM ({agreed_sql})"
    )
    sql = f"""
        SELECT coalesce(a._id, l._id) AS id
        FROM ({a_sql}) a
        FULL JOIN ({link_sql}) l ON l._id = a._id
        LEFT JOIN ({b_sql}) b ON b._id = l.b_id
        LEFT JOIN ({agreed}) g ON g._id = l._id
        WHERE NOT coalesce({settled}, false)
    """
    # On ``store.con`` itself: an S3 root's parts are registered there (a cursor is another connection).
    return {id_ for (id_,) in store.con.sql(sql).fetchall()}


def _types(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    described = con.sql(f"SELECT * FROM ({sql}) LIMIT 0")
    return dict(zip(described.columns, described.types, strict=True))


def _has(types: dict[str, Any]) -> bool:
    return "sync_deleted" in types


def _column(alias: str, name: str, types: dict[str, Any]) -> tuple[str, str]:
    """The SQL for a flat field (``billing_address.city``: a struct member) and its type; absent: NULL."""
    if name in types:
        return f"{alias}.{quote_ident(name)}", str(types[name])
    head, *rest = name.split(".")
    if head not in types or not rest:
        return "NULL", "NULL"
    expr, kind = f"{alias}.{quote_ident(head)}", types[head]
    for part in rest:
        if kind.id != "struct":
            return "NULL", "NULL"
        children = dict(kind.children)
        if part not in children:
            return "NULL", "NULL"
        expr, kind = f"{expr}.{quote_ident(part)}", children[part]
    return expr, str(kind)


def _path(name: str) -> str:
    return quote_literal("$." + '"' + name.replace('"', '\\"') + '"')


def _same_row(pairs: list[tuple[str, str]]) -> str:
    """Both sides hold the same values (NULLs equal), natively typed: cheaper than comparing texts."""
    return f"row({', '.join(a for a, _ in pairs)}) IS NOT DISTINCT FROM row({', '.join(b for _, b in pairs)})"


def _list(texts: list[str]) -> str:
    return "[" + ", ".join(quote_literal(t) for t in texts) + "]"


def _tidy(texts: list[str]) -> str:
    """No text starts or ends with whitespace (one regex over the texts joined by \\x01, which is not)."""
    ws = f"[{WHITESPACE}]"
    return f"NOT regexp_matches(concat_ws(chr(1), {', '.join(texts)}), '(^|\\x01){ws}|{ws}(\\x01|$)')"
