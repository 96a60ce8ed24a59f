"""A full reconcile's field comparison, vectorised: which pairs could the merge move at all?

Rule: this module only narrows; ``merge.py`` decides. It returns the SuperOffice ids whose pair is
*not* provably settled, and the Python merge then runs on those alone. A pair is settled when its
link is active, both records are live, the agreed state holds exactly the flow's fields, and every
field holds the same value on both sides and in the agreed state, in a form the merge leaves as it
is (a text without surrounding whitespace, a boolean, an integer, or empty everywhere). Anything
the SQL cannot prove (another type, a number formatted differently) is simply not settled, so a
mistake here costs time, never a change.
"""

from __future__ import annotations

from typing import Any

import duckdb

from sluice.datasets import DatasetStore
from sluice.datasets.hashing import quote_ident, quote_literal
from sluice.sync.dataflow import Dataflow

WHITESPACE = "".join(f"\\x{{{code:x}}}" for code in range(0x110000) if chr(code).isspace())
"""What ``str.strip()`` removes, as an RE2 class: a text starting or ending with one is untidy."""
INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}


def unsettled_ids(store: DatasetStore, flow: Dataflow) -> set[str] | None:
    """The SuperOffice ids (records and links) a full reconcile must merge in Python; None: all of them
    (a dataset the comparison needs is missing)."""
    names = (flow.a_dataset, flow.b_dataset, flow.link_dataset, flow.agreed_dataset)
    if not all(store.exists(name) for name in names):
        return None
    a_sql, b_sql, link_sql, agreed_sql = (store.current_sql(name) for name in names)
    a_types, b_types = _types(store.con, a_sql), _types(store.con, b_sql)
    settled = " AND ".join(
        [
            "l.status = 'active'",
            "a._id IS NOT NULL",
            "b._id IS NOT NULL",
            "g._id IS NOT NULL",
            *(f"NOT coalesce({side}.sync_deleted, false)" for side, t in (("a", a_types), ("b", b_types)) if _has(t)),
            f"len(json_keys(g.state)) = {len(flow.fields)}",
            *(_settled_field(f.name, a_types, b_types) for f in flow.fields),
        ]
    )
    sql = f"""
        SELECT coalesce(a._id, l._id) AS id
        FROM ({a_sql}) a
        FULL JOIN ({link_sql}) l ON l._id = a._id
        LEFT JOIN ({b_sql}) b ON b._id = l.b_id
        LEFT JOIN ({agreed_sql}) g ON g._id = l._id
        WHERE NOT coalesce({settled}, false)
    """
    cur = store.con.cursor()
    try:
        return {id_ for (id_,) in cur.sql(sql).fetchall()}
    finally:
        cur.close()


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


def _settled_field(name: str, a_types: dict[str, Any], b_types: dict[str, Any]) -> str:
    """True only when the merge of this field provably moves nothing and leaves the agreed value as it is."""
    (a, a_type), (b, b_type) = _column("a", name, a_types), _column("b", name, b_types)
    path = quote_literal("$." + '"' + name.replace('"', '\\"') + '"')
    base_type = f"json_type(g.state, {path})"
    empty = f"({a} IS NULL AND {b} IS NULL AND json_exists(g.state, {path}) AND {base_type} = 'NULL')"
    if a_type != b_type:
        return empty
    if a_type == "VARCHAR":
        tidy = f"({a} = '' OR NOT regexp_matches({a}, '^[{WHITESPACE}]|[{WHITESPACE}]$'))"
        same = f"{a} = {b} AND {base_type} = 'VARCHAR' AND json_extract_string(g.state, {path}) = {a} AND {tidy}"
    elif a_type == "BOOLEAN":
        text = f"CASE WHEN {a} THEN 'true' ELSE 'false' END"
        same = f"{a} = {b} AND {base_type} = 'BOOLEAN' AND CAST(json_extract(g.state, {path}) AS VARCHAR) = {text}"
    elif a_type in INTEGERS:
        same = (
            f"{a} = {b} AND {base_type} IN ('BIGINT', 'UBIGINT') "
            f"AND CAST(json_extract(g.state, {path}) AS VARCHAR) = CAST({a} AS VARCHAR)"
        )
    else:
        return empty
    return f"({empty} OR ({same}))"
