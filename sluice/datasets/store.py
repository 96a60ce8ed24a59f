"""``DatasetStore``: the facade over a root of datasets (write, read, inspect, compact).

Rule: the store owns its DuckDB connection and its per-dataset index caches; there is no module
state, so two stores (two projects, parallel tests) never see each other. Writes and compactions
run under the dataset's write lock and start by catching the index up with the log, so several
processes (on several machines, with an S3 root) may share a root. Where the files live is the
storage's business (``storage.py``): the store is the same for a folder and for ``s3://bucket/prefix``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sluice.datasets.batch import Rows, to_batch
from sluice.datasets.breaker import BreakerLimits
from sluice.datasets.compaction import compact_log
from sluice.datasets.hashing import quote_ident
from sluice.datasets.index import IndexState, catch_up, empty_index, load_index, save_index
from sluice.datasets.models import CompactStats, DatasetInfo, WriteStats
from sluice.datasets.reads import Scan, changes_sql, current_of_sql, current_sql, history_sql, kept_since
from sluice.datasets.sidefiles import SideFiles
from sluice.datasets.storage import DatasetFiles, open_storage
from sluice.datasets.writer import WriteOptions, write_batch
from sluice.errors import DatasetError

CHECKPOINT_MIN_ROWS = 10_000
CHECKPOINT_SHARE = 0.1
KEYED_CHUNK = 1_000
"""Ids per keyed read (``current_of``): short statements whose literals the scan can still filter by."""


class DatasetStore:
    """Datasets under ``root``: ``store.write("superoffice_contact", rows, key="contactId")``.

    ``root`` is a folder or ``s3://bucket/prefix`` (endpoint, region and credentials from the AWS
    environment variables). ``lock_timeout``: how long a write waits for another writer of the same
    dataset; ``lock_lease`` (S3 only): how long a writer that died keeps others waiting."""

    def __init__(self, root: str | Path, *, lock_timeout: float = 30.0, lock_lease: float | None = None) -> None:
        self.storage = open_storage(root, lease=lock_lease)
        self.root: Path | str = self.storage.root
        self.lock_timeout = lock_timeout
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET enable_progress_bar = false")
        self._indexes: dict[str, IndexState] = {}

    def __repr__(self) -> str:
        return f"DatasetStore({str(self.root)!r})"

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> DatasetStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- names ---------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return self.storage.names()

    def exists(self, name: str) -> bool:
        return self.storage.files(name).exists()

    def side_files(self, folder: str) -> SideFiles:
        """The state objects kept in ``ROOT/<folder>`` (``.sync``, ``.pipes``), where the datasets are."""
        return self.storage.side_files(folder)

    def _ipython_key_completions_(self) -> list[str]:
        return self.names()

    # -- writing -------------------------------------------------------------------------------

    def write(
        self,
        name: str,
        rows: Rows,
        *,
        key: str = "_id",
        full: bool = False,
        force: bool = False,
        id_prefix: str | None = None,
        max_delete_share: float | None = 0.5,
        max_change_share: float | None = None,
        min_live: int = 100,
        spare: frozenset[str] = frozenset(),
        delete: frozenset[str] = frozenset(),
    ) -> WriteStats:
        """Append the entities that are new or changed; a ``full`` write also tombstones the unseen ones.

        ``rows``: an Arrow table, a DataFrame, a DuckDB relation, a ``Path`` to a Parquet file or dicts.
        ``key`` names the id column (copied into ``_id`` as text, as ``f"{id_prefix}:{id}"`` with a
        prefix); other input columns starting with ``_`` are ignored. Within a batch the last row of an
        id wins (counted in ``duplicates``). Raises ``CircuitBreakerTripped`` (nothing written) past
        the limits unless ``force``, and ``DatasetError`` for bad input (no key, incompatible type
        change), also with nothing written. ``spare``: ``_id``s a full write must not tombstone although
        they are missing from the batch (the source has them but could not hand them over this time).
        ``delete``: ``_id``s a write that is not full tombstones unless the batch holds them (a pipe's partial
        rerun removing the rows of input rows that went away).
        """
        files = self.storage.files(name)
        batch = to_batch(rows, name)
        limits = BreakerLimits(max_delete_share, max_change_share, min_live)
        options = WriteOptions(key, full, force, id_prefix, limits, spare, frozenset(delete))
        files.create()
        with files.lock(self.lock_timeout):
            files.remove_garbage()
            state = self._caught_up(files)
            stats, state = write_batch(self.con, files, state, batch, options)
            self._indexes[name] = self._maybe_checkpoint(files, state)
        return stats

    def compact(self, name: str, retention: dt.timedelta = dt.timedelta(0)) -> CompactStats:
        """Drop versions superseded more than ``retention`` ago; current state and offsets unchanged."""
        files = self._existing(name)
        with files.lock(self.lock_timeout):
            files.remove_garbage(thorough=True)
            return compact_log(self.con, files, retention)

    # -- reading -------------------------------------------------------------------------------

    def current_sql(self, name: str) -> str:
        """SQL for the current state over the parts that exist now: self-contained for a local root; for
        an S3 root it runs on ``store.con`` (use ``register`` for another connection)."""
        return self._current_sql(name, self.con)

    def current_scan_sql(self, name: str) -> str:
        """SQL for the current state on ``store.con`` only, its latest versions picked by the store's own
        current-state index (a semi-join on ``_id, _offset``) instead of by ranking every version: the scan
        streams, so a read of a whole large dataset that keeps a few values per row holds the index in memory,
        never the rows (a full reconcile's comparison). Valid until the next write (the index is registered)."""
        files = self._existing(name)
        parts = files.parts()
        state = self._read_index(files)
        if not parts:
            return current_sql(parts, state.columns, self._scan(files))
        index = "__sluice_current_" + "".join(c if c.isalnum() else "_" for c in name)
        self.con.execute(f"DROP VIEW IF EXISTS {quote_ident(index)}")  # a view of the overlay, or a registration
        state.register(self.con, index)
        return (
            f"SELECT * FROM {self._scan(files)(parts)} v SEMI JOIN "
            f"(SELECT _id, _offset FROM {quote_ident(index)} WHERE NOT _deleted) i "
            "ON v._id = i._id AND v._offset = i._offset"
        )

    def current(self, name: str) -> duckdb.DuckDBPyRelation:
        """The current state as a relation on ``store.con`` (latest version per ``_id``, deleted hidden)."""
        return self.con.sql(self.current_sql(name))

    def current_arrow(self, name: str) -> pa.Table:
        return self.current(name).fetch_arrow_table()

    def current_df(self, name: str) -> pd.DataFrame:
        return self.current(name).df()

    def current_of(self, name: str, ids: Iterable[str], upto: int | None = None) -> pa.Table:
        """The current rows of these ``_id``s (absent and deleted ones left out): a keyed read, for a few ids
        out of many, that never ranks the whole dataset. ``upto``: the rows as they were when the log ended at
        that offset; raises DatasetError when a compaction may have dropped them (``kept_since``)."""
        files = self._existing(name)
        parts = files.parts()
        if upto is not None and not kept_since(parts, upto):
            raise DatasetError(f"the versions as at offset {upto} may have been compacted away", name)
        columns = {} if parts else self._read_index(files).columns  # the index only types an empty dataset
        wanted = sorted({str(i) for i in ids})
        chunks = [wanted[n : n + KEYED_CHUNK] for n in range(0, len(wanted), KEYED_CHUNK)] or [[]]
        scan = self._scan(files)
        return pa.concat_tables(
            [self._query(current_of_sql(parts, columns, scan, chunk, upto), name) for chunk in chunks]
        )

    def kept_since(self, name: str, offset: int) -> bool:
        """Whether every version that was current when the log ended at ``offset`` is still in the log."""
        return kept_since(self._existing(name).parts(), offset)

    def changes(self, name: str, since: int, latest_only: bool = False) -> pa.Table:
        """Versions with ``_offset > since`` (tombstones included), oldest first; ``latest_only`` keeps
        the newest per ``_id``. Compaction may have dropped superseded versions, never latest ones."""
        files = self._existing(name)
        parts = files.parts()
        # The index (whose catch-up costs in proportion to the dataset) only types an empty result: a read of
        # a few recent versions needs the parts alone.
        columns = {} if any(p.last > since for p in parts) else self._read_index(files).columns
        return self._query(changes_sql(parts, columns, self._scan(files), since, latest_only), name)

    def history(self, name: str, id: str) -> pa.Table:
        """Every version of one ``_id`` kept in the log, oldest first."""
        files = self._existing(name)
        return self._query(history_sql(files.parts(), self._read_index(files).columns, self._scan(files)), name, [id])

    def columns(self, name: str) -> dict[str, str]:
        """The payload columns and their DuckDB types (``{}`` for a missing dataset)."""
        if not self.exists(name):
            return {}
        return dict(self._read_index(self._existing(name)).columns)

    def last_offset(self, name: str) -> int:
        """The newest offset in the log; -1 for an empty or missing dataset."""
        parts = self.storage.files(name).parts()
        return parts[-1].last if parts else -1

    def info(self, name: str) -> DatasetInfo:
        files = self._existing(name)
        parts = files.parts()
        state = self._read_index(files).merged()
        live = int(pc.sum(pc.invert(state.table["_deleted"])).as_py() or 0)
        last = parts[-1].last if parts else -1
        return DatasetInfo(name, live, files.count_rows(parts), last, files.size_on_disk(), dict(state.columns))

    def register(self, con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> None:
        """Create a view per dataset (its current state) in ``con``, so ``FROM superoffice_contact`` works.

        The views name today's parts: re-register after writes or compactions."""
        for name in self.names() if names is None else names:
            con.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {self._current_sql(name, con)}")

    # -- internals -----------------------------------------------------------------------------

    def _existing(self, name: str) -> DatasetFiles:
        files = self.storage.files(name)
        if not files.exists():
            raise DatasetError(f"no such dataset under {self.root}", name)
        return files

    def _scan(self, files: DatasetFiles, con: duckdb.DuckDBPyConnection | None = None) -> Scan:
        return lambda parts: files.scan(self.con if con is None else con, parts)

    def _current_sql(self, name: str, con: duckdb.DuckDBPyConnection) -> str:
        files = self._existing(name)
        return current_sql(files.parts(), self._read_index(files).columns, self._scan(files, con))

    def _caught_up(self, files: DatasetFiles) -> IndexState:
        """The index for ``files`` matching the log now (from memory, else the file, plus the tail)."""
        state = self._indexes.get(files.name) or load_index(files)
        parts = files.parts()
        last = parts[-1].last if parts else -1
        if last < state.covered:  # the log is behind the cache: the dataset was deleted or replaced
            state = load_index(files)
            if state.covered > last:
                state = empty_index()
        return catch_up(self.con, state, parts, files)

    def _read_index(self, files: DatasetFiles) -> IndexState:
        state = self._caught_up(files)
        self._indexes[files.name] = state
        return state

    def _maybe_checkpoint(self, files: DatasetFiles, state: IndexState) -> IndexState:
        """Persist the index when enough of it changed since the file was written (else catching up is cheaper)."""
        if state.dirty and (
            state.persisted < 0 or state.dirty >= max(CHECKPOINT_MIN_ROWS, CHECKPOINT_SHARE * state.rows)
        ):
            return save_index(files, state)
        return state

    def _query(self, sql: str, name: str, params: list | None = None) -> pa.Table:
        try:
            return self.con.sql(sql, params=params).to_arrow_table()
        except duckdb.Error as exc:
            raise DatasetError(f"cannot read: {exc}", name) from exc
