"""Classifying a batch against the index: new, changed, unchanged, and (for a full write) deleted.

Rule: ``_hash`` (md5 of the canonical form) decides; a fast 64-bit DuckDB ``hash()`` of the typed row
only decides *which rows need the canonical hash at all*. The index remembers each entity's fast hash;
a row whose fast hash (and batch schema) equals the remembered one is unchanged (a 2**-64 collision
aside), every other row gets the full canonical hash, compared with ``_hash``. A reload of unchanged
data thus costs one cheap hash per row; a new DuckDB version or schema only makes one write slower.

Left on the cursor: ``__sluice_staged`` (one row per ``_id``, the last one in the batch),
``__sluice_hashed`` (rows that needed the canonical hash, with their payload on a first load), two views over it,
``__sluice_changes`` (new or changed) and ``__sluice_refreshed`` (unchanged, fast hash was stale),
and ``__sluice_tombstones`` (the ids a full write deletes: unseen, and not in ``__sluice_spared``; for any other
write the live ids named in ``__sluice_deleting`` that the batch does not hold).
"""

from __future__ import annotations

import duckdb

from sluice.datasets.hashing import UnsupportedType, hash_sql, quote_ident, quote_literal
from sluice.errors import DatasetError

POS = "__sluice_pos"


def stage(
    cur: duckdb.DuckDBPyConnection, columns: list[tuple[str, duckdb.DuckDBPyType]], key: str, id_prefix: str | None
) -> None:
    """``__sluice_staged(_id, _fast, pos)``: the batch's ids and fast hashes, last duplicate wins."""
    payload = sorted((c, t) for c, t in columns if not c.startswith("_"))
    signature = quote_literal(repr([(c, str(t)) for c, t in payload]))  # a renamed or retyped column is a new hash
    fast = f"hash({signature}{''.join(', ' + quote_ident(c) for c, _ in payload)})"
    ident = f"CAST({quote_ident(key)} AS VARCHAR)"
    if key not in dict(columns):  # only when the batch is empty (checked before)
        ident = "CAST(NULL AS VARCHAR)"
    if id_prefix is not None:
        ident = f"({quote_literal(id_prefix + ':')} || {ident})"
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE __sluice_staged AS SELECT {ident} AS _id, {fast} AS _fast, {POS} "
        "FROM __sluice_batch"
    )
    total, distinct = cur.sql("SELECT count(*), count(DISTINCT _id) FROM __sluice_staged").fetchall()[0]
    if total != distinct:
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE __sluice_staged AS SELECT * FROM __sluice_staged "
            f"QUALIFY row_number() OVER (PARTITION BY _id ORDER BY {POS} DESC) = 1"
        )


def classify(
    cur: duckdb.DuckDBPyConnection, columns: list, full: bool, dataset: str, carry_payload: bool
) -> dict[str, int]:
    """Build the change tables (see the module docstring) and return the counts.

    ``carry_payload`` copies the payload into ``__sluice_hashed``: worth it when most rows will be
    appended (a first load: no second read of the batch), wasteful when most are only re-hashed."""
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __sluice_candidates AS
        SELECT s._id, s._fast, s.{POS}, i._id IS NULL AS __sluice_is_new, i._hash AS __sluice_old_hash,
               i._offset AS __sluice_old_offset, coalesce(i._deleted, false) AS __sluice_old_deleted
        FROM __sluice_staged s LEFT JOIN __sluice_index i ON i._id = s._id
        WHERE i._id IS NULL OR i._deleted OR i._fast IS DISTINCT FROM s._fast
        """
    )
    try:
        digest = hash_sql([(c, t) for c, t in columns if not c.startswith("_")])
    except UnsupportedType as exc:
        raise DatasetError(str(exc), dataset) from exc
    # The payload rides along, so appending needs no second read of the batch.
    exclude = ", ".join([POS, *(quote_ident(c) for c, _ in columns if c.startswith("_"))])
    payload = f", b.* EXCLUDE ({exclude})" if carry_payload else ""
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __sluice_hashed AS
        SELECT c.*, {digest} AS _hash{payload}  -- c's columns all start with _
        FROM __sluice_candidates c JOIN __sluice_batch b ON b.{POS} = c.{POS}
        """
    )
    cur.execute(
        """
        CREATE OR REPLACE TEMP VIEW __sluice_changes AS
        SELECT * FROM __sluice_hashed
        WHERE __sluice_is_new OR __sluice_old_deleted OR __sluice_old_hash IS DISTINCT FROM _hash
        """
    )
    cur.execute(
        """
        CREATE OR REPLACE TEMP VIEW __sluice_refreshed AS
        SELECT _id, _hash, __sluice_old_offset AS _offset, false AS _deleted, _fast FROM __sluice_hashed
        WHERE NOT (__sluice_is_new OR __sluice_old_deleted OR __sluice_old_hash IS DISTINCT FROM _hash)
        """
    )
    tombstones = (
        "SELECT _id FROM __sluice_index i WHERE NOT _deleted AND NOT EXISTS "
        "(SELECT 1 FROM __sluice_staged s WHERE s._id = i._id) "
        "AND NOT EXISTS (SELECT 1 FROM __sluice_spared p WHERE p._id = i._id)"
        if full
        else "SELECT _id FROM __sluice_index i WHERE NOT _deleted AND _id IN (SELECT _id FROM __sluice_deleting) "
        "AND NOT EXISTS (SELECT 1 FROM __sluice_staged s WHERE s._id = i._id)"
    )
    cur.execute(f"CREATE OR REPLACE TEMP TABLE __sluice_tombstones AS {tombstones}")
    row = cur.sql(
        """
        SELECT (SELECT count(*) FROM __sluice_staged),
               (SELECT count(*) FILTER (__sluice_is_new) FROM __sluice_changes),
               (SELECT count(*) FILTER (NOT __sluice_is_new) FROM __sluice_changes),
               (SELECT count(*) FROM __sluice_tombstones),
               (SELECT count(*) FILTER (NOT _deleted) FROM __sluice_index),
               (SELECT count(*) FROM __sluice_refreshed)
        """
    ).fetchall()[0]
    return dict(zip(("staged", "new", "changed", "deleted", "live", "refreshed"), row, strict=True))
