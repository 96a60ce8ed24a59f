"""Compaction: rewrite a dataset's log without the versions nobody needs any more.

Rule: a version is dropped only when a newer version of its ``_id`` exists and superseded it longer
ago than the retention; latest versions (tombstones included) are kept with their ``_offset``s, so
the current state, the index and every downstream watermark stay valid. The new part covers the
whole old range and is published before the old parts are deleted: a crash in between leaves
covered parts (or, on S3, orphan objects) that readers ignore.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from sluice.datasets.hashing import quote_literal
from sluice.datasets.models import CompactStats
from sluice.datasets.reads import log_sql
from sluice.datasets.storage import DatasetFiles


def compact_log(con: duckdb.DuckDBPyConnection, files: DatasetFiles, retention: dt.timedelta) -> CompactStats:
    """Merge all parts into one, dropping superseded versions older than ``retention``. Hold the lock."""
    parts = files.parts()
    before = files.count_rows(parts)
    size_before = sum(p.size for p in parts)
    stats = CompactStats(files.name, len(parts), len(parts), before, before, size_before, size_before)
    if not parts:
        return stats
    cutoff = (dt.datetime.now(dt.UTC) - retention).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    cur = con.cursor()
    try:
        kept = f"""
            SELECT * EXCLUDE (__sluice_superseded) FROM (
                SELECT *, lead(_ts) OVER (PARTITION BY _id ORDER BY _offset) AS __sluice_superseded
                FROM {log_sql(parts, {}, lambda chosen: files.scan(cur, chosen))}
            ) WHERE __sluice_superseded IS NULL OR __sluice_superseded > TIMESTAMPTZ '{cutoff}'
        """
        after = cur.sql(f"SELECT count(*) FROM ({kept})").fetchall()[0][0]
        if after == before and len(parts) == 1:
            return stats
        staged = files.staging_path(parts[0].first, parts[-1].last)
        cur.execute(
            f"COPY (SELECT * FROM ({kept}) ORDER BY _offset) TO {quote_literal(str(staged))} "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    finally:
        cur.close()
    merged = files.publish_part(staged, parts[0].first, parts[-1].last, replaces=parts)
    return CompactStats(files.name, len(parts), 1, before, after, size_before, merged.size)
