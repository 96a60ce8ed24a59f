"""Checks on a pipe's output before anything is written: ``_id`` present, non-null and unique, and no
column changing its type incompatibly from what the output dataset already holds.

Rule: every failure is a PipeError naming the pipe file, raised before the store sees a row.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sluice.errors import PipeError

# Columns the store maintains itself; a pipe that reads `SELECT *` from a dataset view carries them along.
STORE_COLUMNS = ("_hash", "_offset", "_ts", "_deleted")


def prepare_output(table: pa.Table, path: str) -> pa.Table:
    """The output as the store should receive it: store columns dropped, ``_id`` as text, checked."""
    table = table.drop_columns([c for c in STORE_COLUMNS if c in table.column_names])
    hidden = [c for c in table.column_names if c.startswith("_") and c != "_id"]
    if hidden:
        # The store keeps no payload column whose name starts with "_": it would vanish without a word.
        raise PipeError(
            f"output column(s) {', '.join(hidden)} start with '_', which the dataset store does not keep; "
            "rename them (e.g. sync_updated)",
            path,
        )
    if "_id" not in table.column_names:
        raise PipeError("the output has no _id column (select the entity key AS _id)", path)
    ids = table.column("_id")
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        if not (pa.types.is_integer(ids.type) or pa.types.is_null(ids.type)):
            raise PipeError(f"_id must be text or an integer, got {ids.type}", path)
        table = table.set_column(table.schema.get_field_index("_id"), "_id", pc.cast(ids, pa.string()))
    _check_ids(table, path)
    return table


def _check_ids(table: pa.Table, path: str) -> None:
    ids = table.column("_id")
    nulls = ids.null_count
    if nulls:
        raise PipeError(f"{nulls} output row(s) have a null _id", path)
    if len(ids) == 0 or pc.count_distinct(ids).as_py() == len(ids):
        return  # the common case, decided without leaving Arrow
    counts = duckdb.connect(":memory:")
    try:
        counts.register("out", table.select(["_id"]))
        dupes = counts.execute(
            "SELECT _id, count(*) AS n FROM out GROUP BY _id HAVING count(*) > 1 ORDER BY n DESC, _id LIMIT 5"
        ).fetchall()
        total = counts.execute("SELECT count(*) FROM (SELECT _id FROM out GROUP BY _id HAVING count(*) > 1)").fetchall()
    finally:
        counts.close()
    if dupes:
        shown = ", ".join(f"{key!r} x{n}" for key, n in dupes)
        raise PipeError(f"duplicate _id in the output: {total[0][0]} id(s), e.g. {shown}", path)


def check_compatible(new: pa.Schema, old: pa.Schema | None, path: str) -> None:
    """Refuse a column whose type changed kind (text -> number, struct -> text, ...); widening is fine."""
    if old is None:
        return
    problems = []
    for name in new.names:
        if name in old.names and name not in STORE_COLUMNS:
            before, after = old.field(name).type, new.field(name).type
            if not compatible(before, after):
                problems.append(f"{name}: {before} -> {after}")
    if problems:
        raise PipeError(
            "incompatible column type change against the existing output dataset: "
            + "; ".join(problems)
            + " (write to a new output name, or cast to the old type)",
            path,
        )


def compatible(before: pa.DataType, after: pa.DataType) -> bool:
    """Same kind of value: numbers with numbers, text with text, structs field by field (new fields ok)."""
    if before == after or pa.types.is_null(before) or pa.types.is_null(after):
        return True
    kinds = (_is_number, _is_text, pa.types.is_boolean, pa.types.is_timestamp, pa.types.is_date)
    for kind in kinds:
        if kind(before) and kind(after):
            return True
    if pa.types.is_struct(before) and pa.types.is_struct(after):
        old_fields = {before.field(i).name: before.field(i).type for i in range(before.num_fields)}
        return all(
            compatible(old_fields[after.field(i).name], after.field(i).type)
            for i in range(after.num_fields)
            if after.field(i).name in old_fields
        )
    if _is_list(before) and _is_list(after):
        return compatible(before.value_type, after.value_type)
    if pa.types.is_map(before) and pa.types.is_map(after):
        return compatible(before.key_type, after.key_type) and compatible(before.item_type, after.item_type)
    return False


def _is_number(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _is_list(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t)
