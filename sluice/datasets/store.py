"""``DatasetStore``: the facade over a folder of datasets (write, read, inspect, compact).

Rule: the store owns its DuckDB connection and its per-dataset index caches; there is no module
state, so two stores (two projects, parallel tests) never see each other. Writes and compactions
run under the dataset's write lock and start by catching the index up with the log, so several
processes may share a root.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sluice.datasets.batch import Rows, to_batch
from sluice.datasets.breaker import BreakerLimits
from sluice.datasets.compaction import compact_log
from sluice.datasets.hashing import quote_ident
from sluice.datasets.index import IndexState, catch_up, empty_index, load_index, save_index
from sluice.datasets.layout import Layout
from sluice.datasets.lock import write_lock
from sluice.datasets.models import CompactStats, DatasetInfo, WriteStats
from sluice.datasets.reads import changes_sql, current_sql, history_sql
from sluice.datasets.writer import WriteOptions, write_batch
from sluice.errors import DatasetError

CHECKPOINT_MIN_ROWS = 10_000
CHECKPOINT_SHARE = 0.1


class DatasetStore:
    """Datasets under ``root``: ``store.write("superoffice_contact", rows, key="contactId")``."""

    def __init__(self, root: str | Path, *, lock_timeout: float = 30.0) -> None:
        self.root = Path(root)
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
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "log").is_dir())

    def exists(self, name: str) -> bool:
        return Layout.of(self.root, name).exists()

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
    ) -> WriteStats:
        """Append the entities that are new or changed; a ``full`` write also tombstones the unseen ones.

        ``rows``: an Arrow table, a DataFrame, a DuckDB relation, a ``Path`` to a Parquet file or dicts.
        ``key`` names the id column (copied into ``_id`` as text, as ``f"{id_prefix}:{id}"`` with a
        prefix); other input columns starting with ``_`` are ignored. Within a batch the last row of an
        id wins (counted in ``duplicates``). Raises ``CircuitBreakerTripped`` (nothing written) past
        the limits unless ``force``, and ``DatasetError`` for bad input (no key, incompatible type
        change), also with nothing written. ``spare``: ``_id``s a full write must not tombstone although
        they are missing from the batch (the source has them but could not hand them over this time).
        """
        layout = Layout.of(self.root, name)
        batch = to_batch(rows, name)
        limits = BreakerLimits(max_delete_share, max_change_share, min_live)
        options = WriteOptions(key, full, force, id_prefix, limits, spare)
        layout.create()
        with write_lock(layout.lock_path, self.lock_timeout, name):
            layout.remove_garbage()
            state = self._caught_up(layout)
            stats, state = write_batch(self.con, layout, state, batch, options)
            self._indexes[name] = self._maybe_checkpoint(layout, state)
        return stats

    def compact(self, name: str, retention: dt.timedelta = dt.timedelta(0)) -> CompactStats:
        """Drop versions superseded more than ``retention`` ago; current state and offsets unchanged."""
        layout = self._existing(name)
        with write_lock(layout.lock_path, self.lock_timeout, name):
            layout.remove_garbage()
            return compact_log(self.con, layout, retention)

    # -- reading -------------------------------------------------------------------------------

    def current_sql(self, name: str) -> str:
        """Self-contained SQL for the current state, over the parts that exist now."""
        layout = self._existing(name)
        return current_sql(layout.parts(), self._read_index(layout).columns)

    def current(self, name: str) -> duckdb.DuckDBPyRelation:
        """The current state as a relation on ``store.con`` (latest version per ``_id``, deleted hidden)."""
        return self.con.sql(self.current_sql(name))

    def current_arrow(self, name: str) -> pa.Table:
        return self.current(name).fetch_arrow_table()

    def current_df(self, name: str) -> pd.DataFrame:
        return self.current(name).df()

    def changes(self, name: str, since: int, latest_only: bool = False) -> pa.Table:
        """Versions with ``_offset > since`` (tombstones included), oldest first; ``latest_only`` keeps
        the newest per ``_id``. Compaction may have dropped superseded versions, never latest ones."""
        layout = self._existing(name)
        sql = changes_sql(layout.parts(), self._read_index(layout).columns, since, latest_only)
        return self._query(sql, name)

    def history(self, name: str, id: str) -> pa.Table:
        """Every version of one ``_id`` kept in the log, oldest first."""
        layout = self._existing(name)
        return self._query(history_sql(layout.parts(), self._read_index(layout).columns), name, [id])

    def columns(self, name: str) -> dict[str, str]:
        """The payload columns and their DuckDB types (``{}`` for a missing dataset)."""
        if not self.exists(name):
            return {}
        return dict(self._read_index(self._existing(name)).columns)

    def last_offset(self, name: str) -> int:
        """The newest offset in the log; -1 for an empty or missing dataset."""
        parts = Layout.of(self.root, name).parts()
        return parts[-1].last if parts else -1

    def info(self, name: str) -> DatasetInfo:
        layout = self._existing(name)
        parts = layout.parts()
        state = self._read_index(layout)
        live = int(pc.sum(pc.invert(state.table["_deleted"])).as_py() or 0)
        versions = sum(pq.read_metadata(p.path).num_rows for p in parts)
        last = parts[-1].last if parts else -1
        return DatasetInfo(name, live, versions, last, layout.size_on_disk(), dict(state.columns))

    def register(self, con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> None:
        """Create a view per dataset (its current state) in ``con``, so ``FROM superoffice_contact`` works.

        The views name today's parts: re-register after writes or compactions."""
        for name in self.names() if names is None else names:
            con.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {self.current_sql(name)}")

    # -- internals -----------------------------------------------------------------------------

    def _existing(self, name: str) -> Layout:
        layout = Layout.of(self.root, name)
        if not layout.exists():
            raise DatasetError(f"no such dataset under {self.root}", name)
        return layout

    def _caught_up(self, layout: Layout) -> IndexState:
        """The index for ``layout`` matching the log now (from memory, else the file, plus the tail)."""
        state = self._indexes.get(layout.name) or load_index(layout)
        parts = layout.parts()
        last = parts[-1].last if parts else -1
        if last < state.covered:  # the log is behind the cache: the dataset was deleted or replaced
            state = load_index(layout)
            if state.covered > last:
                state = empty_index()
        return catch_up(self.con, state, parts, layout.name)

    def _read_index(self, layout: Layout) -> IndexState:
        state = self._caught_up(layout)
        self._indexes[layout.name] = state
        return state

    def _maybe_checkpoint(self, layout: Layout, state: IndexState) -> IndexState:
        """Persist the index when enough of it changed since the file was written (else catching up is cheaper)."""
        if state.dirty and (
            state.persisted < 0 or state.dirty >= max(CHECKPOINT_MIN_ROWS, CHECKPOINT_SHARE * state.rows)
        ):
            return save_index(layout, state)
        return state

    def _query(self, sql: str, name: str, params: list | None = None) -> pa.Table:
        try:
            return self.con.sql(sql, params=params).to_arrow_table()
        except duckdb.Error as exc:
            raise DatasetError(f"cannot read: {exc}", name) from exc
