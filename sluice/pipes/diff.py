"""What a pipe run would write: new, changed (with the columns that changed) and deleted entities.

Rule: pure comparison of two Arrow tables keyed by ``_id`` in an in-memory DuckDB; the store's own change
detection (hashes) decides the real write, this is the author's preview of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from sluice.pipes.checks import STORE_COLUMNS


@dataclass(frozen=True)
class PipeDiff:
    """``changed`` has ``_id`` and ``changed_columns``; ``changes`` one row per (entity, column) with the
    values before and after as JSON text; ``new`` and ``deleted`` hold whole rows."""

    pipe: str
    new: pa.Table
    changed: pa.Table
    changes: pa.Table
    deleted: pa.Table
    unchanged: int

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": self.new.num_rows,
            "changed": self.changed.num_rows,
            "deleted": self.deleted.num_rows,
            "unchanged": self.unchanged,
        }


def diff_tables(pipe: str, new: pa.Table, old: pa.Table | None) -> PipeDiff:
    """Compare the output a run would produce (``new``) with the dataset's current state (``old``)."""
    if old is None:
        old = pa.table({"_id": pa.array([], pa.string())})
    old = old.drop_columns([c for c in STORE_COLUMNS if c in old.column_names])
    con = duckdb.connect(":memory:")
    try:
        con.register("n", new)
        con.register("o", old)
        con.execute(f"CREATE TEMP TABLE d AS {_changed_sql(new.schema, old.schema)}")
        changed = con.sql("SELECT _id, changed_columns FROM d WHERE len(changed_columns) > 0 ORDER BY _id")
        changed_table = changed.to_arrow_table()
        changes = con.sql(_long_sql(new.schema, old.schema)).to_arrow_table()
        unchanged = con.execute("SELECT count(*) FROM d WHERE len(changed_columns) = 0").fetchall()[0][0]
        return PipeDiff(
            pipe=pipe,
            new=con.sql("SELECT n.* FROM n ANTI JOIN o USING (_id) ORDER BY _id").to_arrow_table(),
            changed=changed_table,
            changes=changes,
            deleted=con.sql("SELECT o.* FROM o ANTI JOIN n USING (_id) ORDER BY _id").to_arrow_table(),
            unchanged=int(unchanged),
        )
    finally:
        con.close()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _payload(schema: pa.Schema) -> list[str]:
    return [name for name in schema.names if name != "_id"]


def _changed_sql(new: pa.Schema, old: pa.Schema) -> str:
    tests = []
    for name in dict.fromkeys([*_payload(new), *_payload(old)]):
        col = _q(name)
        if name not in old.names:
            cond = f"n.{col} IS NOT NULL"
        elif name not in new.names:
            cond = f"o.{col} IS NOT NULL"
        elif new.field(name).type == old.field(name).type:
            cond = f"n.{col} IS DISTINCT FROM o.{col}"
        else:  # compatible but not equal types (a struct grew a field): compare the JSON
            cond = f"to_json(n.{col}) IS DISTINCT FROM to_json(o.{col})"
        tests.append(f"CASE WHEN {cond} THEN '{name.replace(chr(39), chr(39) * 2)}' END")
    listed = f"list_filter([{', '.join(tests)}], lambda x: x IS NOT NULL)" if tests else "[]::VARCHAR[]"
    return f"SELECT n._id, {listed} AS changed_columns FROM n JOIN o USING (_id)"


def _long_sql(new: pa.Schema, old: pa.Schema) -> str:
    """One row per changed (entity, column), values rendered as JSON so any type fits one column."""
    pairs = []
    for name in dict.fromkeys([*_payload(new), *_payload(old)]):
        before = f"to_json(o.{_q(name)})::VARCHAR" if name in old.names else "NULL::VARCHAR"
        after = f"to_json(n.{_q(name)})::VARCHAR" if name in new.names else "NULL::VARCHAR"
        pairs.append(f"WHEN '{name.replace(chr(39), chr(39) * 2)}' THEN [{before}, {after}]")
    if not pairs:
        return 'SELECT NULL::VARCHAR AS _id, NULL::VARCHAR AS "column", NULL AS before, NULL AS after LIMIT 0'
    pick = "CASE c " + " ".join(pairs) + " END"
    return (
        f'SELECT _id, c AS "column", v[1] AS before, v[2] AS after FROM ('
        f"SELECT d._id, c, {pick} AS v FROM d JOIN n USING (_id) JOIN o USING (_id), "
        f'unnest(d.changed_columns) AS t(c)) ORDER BY _id, "column"'
    )
