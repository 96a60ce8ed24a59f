"""The canonical serialisation of ``canonical.py``, generated as one DuckDB SQL expression.

Rule: for every supported type the SQL here yields exactly the bytes ``canonical.canonical`` yields
(a hypothesis test holds it to that). Hashing a million rows in Python takes minutes; in DuckDB it is
a vectorised scan, which is why this second implementation exists at all.

Every generated expression evaluates to NULL when its input is NULL, so ``concat_ws`` drops null
members exactly as the reference omits them. The reference NFC-normalises its whole text; here each
escaped string literal is normalised on its own, which is the same (everything between literals is
ASCII that never composes) and much cheaper: only the few non-ASCII strings pay for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import duckdb

from sluice.datasets.canonical import MAX_EXACT_FLOAT_INT, json_string

INTEGER_TYPES = {
    "tinyint",
    "smallint",
    "integer",
    "bigint",
    "hugeint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "uhugeint",
}
FLOAT_TYPES = {"float", "double"}
JSON_NATIVE = INTEGER_TYPES | {"boolean", "varchar", "date", "null"}
TIMESTAMP_TYPES = {"timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns"}


class UnsupportedType(TypeError):
    """A column type the canonical form does not define (map, union, interval, ...)."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def hash_sql(columns: Iterable[tuple[str, duckdb.DuckDBPyType]]) -> str:
    """``md5`` of the canonical payload of a row with these columns (``_``-prefixed ones are skipped)."""
    return f"md5({canonical_sql(columns)})"


def canonical_sql(columns: Iterable[tuple[str, duckdb.DuckDBPyType]]) -> str:
    payload = [(name, dtype) for name, dtype in columns if not name.startswith("_")]
    return _object_sql([(name, quote_ident(name), dtype) for name, dtype in payload])


def _object_sql(members: list[tuple[str, str, duckdb.DuckDBPyType]]) -> str:
    parts = []
    for key, ref, dtype in sorted(members, key=lambda m: _nfc(m[0])):
        label = quote_literal(_nfc(json_string(key)) + ":")
        parts.append(f"({label} || {_value_sql(ref, dtype, 0)})")
    if not parts:
        return "'{}'"
    return "concat('{', concat_ws(',', " + ", ".join(parts) + "), '}')"


def _value_sql(ref: str, dtype: duckdb.DuckDBPyType, depth: int) -> str:
    kind = dtype.id
    if kind == "null":
        return "CAST(NULL AS VARCHAR)"
    if kind == "boolean":
        return f"(CASE WHEN {ref} THEN 'true' WHEN NOT {ref} THEN 'false' END)"
    if kind in INTEGER_TYPES:
        return f"CAST({ref} AS VARCHAR)"
    if kind in FLOAT_TYPES:
        d = f"CAST({ref} AS DOUBLE)"
        return (
            f"(CASE WHEN isnan({d}) THEN '\"NaN\"' WHEN {d} = 'inf' THEN '\"Infinity\"' "
            f"WHEN {d} = '-inf' THEN '\"-Infinity\"' "
            f"WHEN {d} = trunc({d}) AND abs({d}) < {MAX_EXACT_FLOAT_INT} "
            f"THEN CAST(CAST({d} AS BIGINT) AS VARCHAR) ELSE CAST({d} AS VARCHAR) END)"
        )
    if kind == "decimal":
        s = f"CAST({ref} AS VARCHAR)"
        trimmed = f"(CASE WHEN contains({s}, '.') THEN rtrim(rtrim({s}, '0'), '.') ELSE {s} END)"
        return f"(CASE WHEN {trimmed} = '-0' THEN '0' ELSE {trimmed} END)"
    if kind in ("varchar", "enum"):
        return f"nfc_normalize(CAST(to_json(CAST({ref} AS VARCHAR)) AS VARCHAR))"
    if kind == "uuid":
        return f"('\"' || CAST({ref} AS VARCHAR) || '\"')"
    if kind == "date":
        return f"('\"' || strftime({ref}, '%Y-%m-%d') || '\"')"
    if kind in TIMESTAMP_TYPES:
        return f"('\"' || strftime(CAST({ref} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%fZ') || '\"')"
    if kind == "timestamp with time zone":
        return f"('\"' || strftime(timezone('UTC', {ref}), '%Y-%m-%dT%H:%M:%S.%fZ') || '\"')"
    if kind == "time":
        return f"('\"' || strftime(DATE '2000-01-01' + {ref}, '%H:%M:%S.%f') || '\"')"
    if kind == "blob":
        return f"('\"' || base64({ref}) || '\"')"
    if kind in ("struct", "list", "array") and _json_native(dtype):
        return _to_json_sql(ref, dtype)
    if kind == "struct":
        members = [(name, f"struct_extract({ref}, {quote_literal(name)})", child) for name, child in dtype.children]
        return f"(CASE WHEN {ref} IS NULL THEN NULL ELSE {_object_sql(members)} END)"
    if kind in ("list", "array"):
        var = f"x{depth}"
        (_, child) = dtype.children[0]
        element = f"coalesce({_value_sql(var, child, depth + 1)}, 'null')"
        elements = f"list_transform(CAST({ref} AS {child}[]), lambda {var}: {element})"
        return f"(CASE WHEN {ref} IS NULL THEN NULL ELSE '[' || array_to_string({elements}, ',') || ']' END)"
    raise UnsupportedType(f"no canonical form for type {dtype}")


def _json_native(dtype: duckdb.DuckDBPyType) -> bool:
    """True when ``to_json`` writes every leaf of this nested type canonically (strings, integers,
    booleans, dates) with keys already in canonical order: then only null members need cutting."""
    if dtype.id == "struct":
        names = [name for name, _ in dtype.children]
        return names == sorted(names, key=_nfc) and all(_json_native(child) for _, child in dtype.children)
    if dtype.id in ("list", "array"):
        return _json_native(dtype.children[0][1])
    return dtype.id in JSON_NATIVE


def _struct_keys(dtype: duckdb.DuckDBPyType) -> set[str]:
    if dtype.id == "struct":
        return {name for name, _ in dtype.children}.union(*(_struct_keys(child) for _, child in dtype.children))
    if dtype.id in ("list", "array"):
        return _struct_keys(dtype.children[0][1])
    return set()


def _to_json_sql(ref: str, dtype: duckdb.DuckDBPyType) -> str:
    """A nested value through DuckDB's ``to_json`` in one call; null members are then cut out (a raw
    ``"`` never occurs inside a JSON string, so ``,"key":null`` is always a member)."""
    text = f"CAST(to_json({ref}) AS VARCHAR)"
    keys = _struct_keys(dtype)
    if keys:
        alternatives = "|".join(re.escape(json_string(k)) for k in sorted(keys))
        after_comma = quote_literal(f",(?:{alternatives}):null")
        first = quote_literal(f"\\{{(?:{alternatives}):null,?")
        stripped = f"regexp_replace(regexp_replace({text}, {after_comma}, '', 'g'), {first}, '{{', 'g')"
        text = f"(CASE WHEN contains({text}, ':null') THEN {stripped} ELSE {text} END)"
    return f"nfc_normalize({text})"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
