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
    (a dataset the comparison needs is missing).

    Each dataset is read once, streaming (``current_scan_sql``), down to a few values per row: its id, its
    flags and one fingerprint of the flow's fields (``_fingerprint``); only those narrow rows are joined, so
    the memory a million pairs take is their ids and fingerprints, never their rows."""
    names = (flow.a_dataset, flow.b_dataset, flow.link_dataset, flow.agreed_dataset)
    if not all(store.exists(name) for name in names):
        return None
    a_sql, b_sql, link_sql, agreed_sql = (store.current_scan_sql(name) for name in names)
    a_types, b_types = _types(store.con, a_sql), _types(store.con, b_sql)
    fields = [f.name for f in flow.fields]
    a_columns = [_column("v", name, a_types) for name in fields]
    b_columns = [_column("v", name, b_types) for name in fields]
    pairs = enumerate(zip(a_columns, b_columns, strict=True))
    differ = [n for n, ((_, a_type), (_, b_type)) in pairs if a_type != b_type]
    texts = [a for a, a_type in a_columns if a_type == "VARCHAR"]
    tidy = _tidy(texts) if texts else "true"
    paths = ", ".join(_path(name) for name in fields)
    agreed = (
        f"SELECT _id, json_keys(state) = {_list(sorted(fields))} AS keys_ok, "  # Python writes the keys sorted
        f"md5_number(array_to_string(list_transform(CAST(json_extract(state, [{paths}]) AS VARCHAR[]), "
        f"lambda x: coalesce(x, chr(2))), chr(1))) AS fp FROM ({agreed_sql})"
    )
    settled = " AND ".join(
        [
            "l.status = 'active'",
            "a._id IS NOT NULL",
            "b._id IS NOT NULL",
            "g._id IS NOT NULL",
            "NOT a.deleted",
            "NOT b.deleted",
            "a.others_null",
            "b.others_null",
            "a.fp = b.fp",  # the same values of the same types (see ``_fingerprint``)
            "a.fp = g.fp",  # the agreed state holds them (the same JSON texts)
            "g.keys_ok",
            "a.tidy",
        ]
    )
    sql = f"""
        SELECT coalesce(a._id, l._id) AS id
        FROM ({_side(a_sql, a_columns, a_types, differ, tidy)}) a
        FULL JOIN (SELECT _id, b_id, status FROM ({link_sql})) l ON l._id = a._id
        LEFT JOIN ({_side(b_sql, b_columns, b_types, differ, "true")}) b ON b._id = l.b_id
        LEFT JOIN ({agreed}) g ON g._id = l._id
        WHERE NOT coalesce({settled}, false)
    """
    # On ``store.con`` itself: an S3 root's parts are registered there (a cursor is another connection).
    return {id_ for (id_,) in store.con.sql(sql).fetchall()}


def _side(sql: str, columns: list[tuple[str, str]], types: dict[str, Any], differ: list[int], tidy: str) -> str:
    """One mapped dataset as narrow rows: ``_id``, ``deleted``, ``fp`` (``_fingerprint``), ``others_null`` (every
    field whose type the other side does not share is NULL: only then can such a field be settled) and ``tidy``."""
    deleted = "coalesce(v.sync_deleted, false)" if _has(types) else "false"
    others = " AND ".join(f"{columns[n][0]} IS NULL" for n in differ) or "true"
    return (
        f"SELECT v._id, {deleted} AS deleted, {_fingerprint([expr for expr, _ in columns])} AS fp, "
        f"{others} AS others_null, {tidy} AS tidy FROM ({sql}) v"
    )


def _fingerprint(columns: list[str]) -> str:
    """md5 of the fields' JSON texts (``null`` for NULL) joined by \\x01, which no JSON text holds. ``to_json`` of
    values of one type is one-to-one (strings escaped, floats in their shortest round-trip form), so two sides
    whose fields share their types have the same fingerprint exactly when their values are the same (but for a
    128-bit md5 collision); the agreed state's texts give the same fingerprint when they are the same texts."""
    texts = ", ".join(f"coalesce(CAST(to_json({c}) AS VARCHAR), 'null')" for c in columns)
    return f"md5_number(concat_ws(chr(1), {texts}))"


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


def _list(texts: list[str]) -> str:
    return "[" + ", ".join(quote_literal(t) for t in texts) + "]"


def _tidy(texts: list[str]) -> str:
    """No text starts or ends with whitespace (one regex over the texts joined by \\x01, which is not)."""
    ws = f"[{WHITESPACE}]"
    return f"NOT regexp_matches(concat_ws(chr(1), {', '.join(texts)}), '(^|\\x01){ws}|{ws}(\\x01|$)')"
