"""Schema evolution: which payload type changes a dataset accepts, and the widened type it then has.

Rule: a new column, a new struct field, a wider number (int -> bigint -> double, decimals), a wider
temporal type (date -> timestamp) or a column that was all-null are accepted; anything else (string ->
struct, number -> string, list -> scalar) is an incompatible change and raises before anything is
written. Types are DuckDB types, kept as their SQL text (``{column: type}``) in the index cache.
"""

from __future__ import annotations

import duckdb

from sluice.datasets.hashing import INTEGER_TYPES, TIMESTAMP_TYPES, quote_ident
from sluice.errors import DatasetError

INT_RANK = ["tinyint", "smallint", "integer", "bigint", "hugeint"]
UINT_RANK = ["utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"]
FAMILY = {
    **{k: "number" for k in (*INTEGER_TYPES, "float", "double", "decimal")},
    "varchar": "string",
    "enum": "string",
    "uuid": "string",
    "blob": "blob",
    "boolean": "boolean",
    "date": "temporal",
    "timestamp with time zone": "temporal",
    **{k: "temporal" for k in TIMESTAMP_TYPES},
    "time": "time",
    "struct": "struct",
    "list": "list",
    "array": "list",
}


class IncompatibleType(DatasetError):
    """A column's type changed in a way older data cannot be read as."""


def merge_columns(
    known: dict[str, str], incoming: list[tuple[str, duckdb.DuckDBPyType]], dataset: str
) -> dict[str, str]:
    """The dataset's payload schema after accepting ``incoming`` (raises IncompatibleType)."""
    merged = dict(known)
    for name, dtype in incoming:
        if name.startswith("_"):
            continue
        merged[name] = str(merge_type(duckdb.type(known[name]), dtype, name, dataset)) if name in known else str(dtype)
    return merged


def merge_type(old: duckdb.DuckDBPyType, new: duckdb.DuckDBPyType, path: str, dataset: str) -> duckdb.DuckDBPyType:
    if str(old) == str(new) or new.id == "null":
        return old
    if old.id == "null":
        return new
    family_old, family_new = FAMILY.get(old.id), FAMILY.get(new.id)
    if family_old is None or family_old != family_new:
        raise IncompatibleType(
            f"column {path!r} changes type from {old} to {new}; write it under a new column name "
            "or convert it in the source",
            dataset,
        )
    if family_old == "number":
        return _wider_number(old, new)
    if family_old == "temporal":
        return new if new.id != "date" else old
    if family_old == "string":
        return duckdb.type("VARCHAR")
    if family_old == "struct":
        return _merge_struct(old, new, path, dataset)
    if family_old == "list":
        child = merge_type(old.children[0][1], new.children[0][1], f"{path}[]", dataset)
        return duckdb.type(f"{child}[]")
    return old


def _wider_number(old: duckdb.DuckDBPyType, new: duckdb.DuckDBPyType) -> duckdb.DuckDBPyType:
    for rank in (INT_RANK, UINT_RANK):
        if old.id in rank and new.id in rank:
            return old if rank.index(old.id) >= rank.index(new.id) else new
    if old.id in INTEGER_TYPES and new.id in INTEGER_TYPES:
        return duckdb.type("HUGEINT")
    if old.id == "decimal" and new.id == "decimal":
        scale = max(dict(old.children)["scale"], dict(new.children)["scale"])
        return duckdb.type(f"DECIMAL(38,{scale})")
    return duckdb.type("DOUBLE")


def _merge_struct(old: duckdb.DuckDBPyType, new: duckdb.DuckDBPyType, path: str, dataset: str) -> duckdb.DuckDBPyType:
    fields = {name: child for name, child in old.children}
    for name, child in new.children:
        fields[name] = merge_type(fields[name], child, f"{path}.{name}", dataset) if name in fields else child
    return duckdb.type("STRUCT(" + ", ".join(f"{quote_ident(n)} {t}" for n, t in fields.items()) + ")")
