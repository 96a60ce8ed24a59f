"""Indexed look-ups for one flow: the current rows of its four datasets by id, in a SQLite file.

Rule: the index is a derived cache of the datasets, like the store's own current-state index. It
records the offset it covers per dataset and catches up from the datasets' changes-since-offset
reads, so its cost follows the edits, not the tenant; a missing, stale or damaged file is rebuilt
from the datasets, which are the truth. Rows are kept as the store returns them (pickled Python
values), so an incremental plan sees exactly what a full read would.

On an S3 root the index stays a local file (the machine's cache, ``sidefiles.py`` ``cache_dir``), neither
uploaded nor shared: it only ever holds what the datasets hold, and it knows the offsets it covers, so a
machine that ran before catches up on the edits since (as a local root does) and a fresh one builds it once
from the datasets. Sharing it would need a download, an upload and a conditional put per run for a file the
size of the tenant, and would add a second truth that could disagree with the datasets; this adds none.

    a, b, agreed  -> rows(role, id, data)      the mapped rows and the agreed state, by id
    link          -> links(a_id, b_id, ...)    with an index on b_id (who links a shop record)
    b match keys  -> keys(key, value, id)      normalized first-sync keys of the shop rows
"""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sluice.datasets import DatasetStore
from sluice.sync.dataflow import Dataflow, MatchKey
from sluice.sync.merge import flatten
from sluice.sync.model import Link

SCHEMA_VERSION = 1
BATCH = 20_000
"""Rows converted and written at a time while catching up (bounds memory on a first build)."""
CHUNK = 500
"""Ids per ``IN (...)`` look-up (SQLite's bound-parameter limit is far above; keeps statements small)."""

DDL = """
CREATE TABLE IF NOT EXISTS covered (role TEXT PRIMARY KEY, dataset TEXT NOT NULL, "offset" INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rows (role TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL,
                                 PRIMARY KEY (role, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS links (a_id TEXT PRIMARY KEY, b_id TEXT NOT NULL, how TEXT NOT NULL,
                                  status TEXT NOT NULL, note TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_by_b ON links (b_id, status);
CREATE TABLE IF NOT EXISTS keys (key TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL,
                                 PRIMARY KEY (key, value, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_by_id ON keys (id);
CREATE TABLE IF NOT EXISTS counts (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
"""
ACTIVE = "active_links"
"""The ``counts`` row kept up to date as links change: a breaker's denominator without counting every link."""


def flow_datasets(flow: Dataflow) -> dict[str, str]:
    """A flow's datasets by role: ``a`` and ``b`` the mapped sides, then its links and agreed state."""
    return {"a": flow.a_dataset, "b": flow.b_dataset, "link": flow.link_dataset, "agreed": flow.agreed_dataset}


def side_fields(row: dict[str, Any]) -> dict[str, Any]:
    """A mapped row's payload as flat fields (the metadata ``_*`` and ``sync_*`` columns left out)."""
    return flatten({k: v for k, v in row.items() if not k.startswith(("_", "sync_"))})


def field_value(row: dict[str, Any], name: str) -> Any:
    """``side_fields(row).get(name)`` without flattening the whole row: the match keys of a first build's every
    shop record. A row with a dotted column name of its own is flattened, so both always agree."""
    if any("." in k for k in row):
        return side_fields(row).get(name)
    head, *rest = name.split(".")
    if head.startswith(("_", "sync_")):
        return None
    node = row.get(head)
    for part in rest:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return None if isinstance(node, dict) else node


def key_name(key: MatchKey) -> str:
    """A match key's name in the ``keys`` table (one field may be matched case-sensitively and not)."""
    return f"{key.field}:{'casefold' if key.casefold else 'exact'}"


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


class PairIndex:
    """The current rows of a flow's datasets (roles ``a``, ``b``, ``link``, ``agreed``), looked up by id."""

    def __init__(self, store: DatasetStore, flow: Dataflow, path: Path) -> None:
        self.store = store
        self.flow = flow
        self.path = path
        self.datasets = flow_datasets(flow)
        self.con = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = self._connect()
        except sqlite3.DatabaseError:  # a damaged cache: start again from the datasets
            for path in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
                path.unlink(missing_ok=True)
            con = self._connect()
        return con

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            for table in ("covered", "rows", "links", "keys", "counts"):
                con.execute(f"DROP TABLE IF EXISTS {table}")
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.executescript(DDL)
        return con

    def close(self) -> None:
        self.con.close()

    # -- catching up -------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Apply every dataset's versions beyond the covered offset (a dataset replaced or renamed: rebuilt)."""
        for role, dataset in self.datasets.items():
            self._catch_up(role, dataset)

    def _tag(self, role: str, dataset: str) -> str:
        """What a role's rows were built from: the dataset, and for the shop side the flow's match keys too."""
        return dataset if role != "b" else f"{dataset}|{','.join(key_name(k) for k in self.flow.match_keys)}"

    def _catch_up(self, role: str, dataset: str) -> None:
        row = self.con.execute('SELECT dataset, "offset" FROM covered WHERE role = ?', (role,)).fetchone()
        tag = self._tag(role, dataset)
        covered = row[1] if row and row[0] == tag else -1
        last = self.store.last_offset(dataset) if self.store.exists(dataset) else -1
        if last == covered:
            return
        with self._transaction():
            fresh = last < covered or covered < 0  # (another tag: covered is -1)
            if fresh:  # first build, or the dataset was replaced: start over
                self._clear(role)
                covered = -1
            if last >= 0:
                changes = self.store.changes(dataset, covered, latest_only=True)
                for batch in changes.to_batches(BATCH):
                    self._apply(role, pa.Table.from_batches([batch]), fresh)
            self.con.execute(
                'INSERT OR REPLACE INTO covered (role, dataset, "offset") VALUES (?, ?, ?)', (role, tag, last)
            )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def _clear(self, role: str) -> None:
        if role == "link":
            self.con.execute("DELETE FROM links")
            self.con.execute("INSERT OR REPLACE INTO counts VALUES (?, 0)", (ACTIVE,))
            return
        self.con.execute("DELETE FROM rows WHERE role = ?", (role,))
        if role == "b":
            self.con.execute("DELETE FROM keys")

    def _apply(self, role: str, versions: pa.Table, fresh: bool) -> None:
        """The latest version per id: a tombstone removes the id, any other version replaces it (``fresh``: the
        role is empty, nothing to replace). The version's metadata is dropped in Arrow, before the rows become
        Python values (what a first build of a large flow spends most of its time on)."""
        deleted = versions.column("_deleted")
        gone = [(i,) for i in versions.filter(deleted).column("_id").to_pylist()]
        meta = [c for c in ("_hash", "_ts", "_deleted", "_offset") if c in versions.column_names]
        live = versions.filter(pc.invert(deleted)).drop_columns(meta).to_pylist()
        if role == "link":
            before = 0 if fresh else self._active_among([i for (i,) in gone] + [v["_id"] for v in live])
            self.con.executemany("DELETE FROM links WHERE a_id = ?", gone)
            self.con.executemany(
                "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?)",
                [(v["_id"], v["b_id"], v["how"], v["status"], v.get("note") or "") for v in live],
            )
            after = sum(1 for v in live if v["status"] == "active")  # one version per id: now each id's link
            self.con.execute("UPDATE counts SET value = value + ? WHERE name = ?", (after - before, ACTIVE))
            return
        self.con.executemany("DELETE FROM rows WHERE role = ? AND id = ?", [(role, i) for (i,) in gone])
        self.con.executemany(
            "INSERT OR REPLACE INTO rows VALUES (?, ?, ?)",
            [(role, row["_id"], pickle.dumps(row, protocol=5)) for row in live],
        )
        if role == "b":
            self._index_keys([] if fresh else [i for (i,) in gone] + [row["_id"] for row in live], live)

    def _index_keys(self, touched: list[str], rows: list[dict[str, Any]]) -> None:
        self.con.executemany("DELETE FROM keys WHERE id = ?", [(i,) for i in touched])
        keys = []
        for row in rows:
            for key in self.flow.match_keys:
                value = key.normalize(field_value(row, key.field))
                if value is not None:
                    keys.append((key_name(key), value, row["_id"]))
        self.con.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)", keys)

    # -- look-ups ----------------------------------------------------------------------------

    def rows(self, role: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The current rows (as the store returns them) of these ids; absent ids are left out."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(set(ids))):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id, data FROM rows WHERE role = ? AND id IN ({marks})"
            for id_, data in self.con.execute(query, (role, *chunk)):
                found[id_] = pickle.loads(data)
        return found

    def links(self, a_ids: Iterable[str]) -> dict[str, Link]:
        found: dict[str, Link] = {}
        for chunk in _chunks(sorted(set(a_ids))):
            marks = ",".join("?" * len(chunk))
            for row in self.con.execute(f"SELECT * FROM links WHERE a_id IN ({marks})", chunk):
                found[row[0]] = Link(*row)
        return found

    def links_to(self, b_ids: Iterable[str], status: str | None = None) -> list[Link]:
        """Every link (of ``status``, or any) whose shop record is one of ``b_ids``."""
        found = []
        for chunk in _chunks(sorted(set(b_ids))):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT * FROM links WHERE b_id IN ({marks})" + (" AND status = ?" if status else "")
            found += [Link(*row) for row in self.con.execute(query, (*chunk, *([status] if status else [])))]
        return found

    def link_ids(self) -> list[str]:
        return [a_id for (a_id,) in self.con.execute("SELECT a_id FROM links ORDER BY a_id")]

    def active_links(self) -> int:
        """Kept in ``counts`` as the links change (counted once, if an older index file lacks the row)."""
        row = self.con.execute("SELECT value FROM counts WHERE name = ?", (ACTIVE,)).fetchone()
        if row is not None:
            return row[0]
        with self._transaction():
            count = self.con.execute("SELECT count(*) FROM links WHERE status = 'active'").fetchone()[0]
            self.con.execute("INSERT OR REPLACE INTO counts VALUES (?, ?)", (ACTIVE, count))
        return count

    def _active_among(self, a_ids: list[str]) -> int:
        """Active links among these ids (before a catch-up replaces them)."""
        total = 0
        for chunk in _chunks(sorted(set(a_ids))):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT count(*) FROM links WHERE status = 'active' AND a_id IN ({marks})"
            total += self.con.execute(query, chunk).fetchone()[0]
        return total

    def ids(self, role: str) -> list[str]:
        """Every id of a row role (``a``, ``b``, ``agreed``): for a full reconcile and for tests, not per run."""
        return [id_ for (id_,) in self.con.execute("SELECT id FROM rows WHERE role = ? ORDER BY id", (role,))]

    def count(self, role: str) -> int:
        return self.con.execute("SELECT count(*) FROM rows WHERE role = ?", (role,)).fetchone()[0]

    def agreed_ids(self) -> list[str]:
        return self.ids("agreed")

    def match_candidates(self, values: dict[str, set[str]]) -> set[str]:
        """Shop ids not actively linked whose normalized ``key`` (``key_name``) is one of ``values[key]``: the only
        shop records a first-sync match of those values can touch."""
        found: set[str] = set()
        for key, wanted in values.items():
            for chunk in _chunks(sorted(wanted)):
                marks = ",".join("?" * len(chunk))
                query = (
                    f"SELECT k.id FROM keys k WHERE k.key = ? AND k.value IN ({marks}) AND NOT EXISTS "
                    "(SELECT 1 FROM links l WHERE l.b_id = k.id AND l.status = 'active')"
                )
                found.update(id_ for (id_,) in self.con.execute(query, (key, *chunk)))
        return found
