"""Indexed look-ups for one flow: the current rows of its four datasets by id, in a SQLite file and its base files.

Rule: the index is a derived cache of the datasets, like the store's own current-state index. It
records the offset it covers per dataset and catches up from the datasets' changes-since-offset
reads, so its cost follows the edits, not the tenant; a missing, stale or damaged file is rebuilt
from the datasets, which are the truth.

A build never turns a row into a Python value: the mapped rows and agreed states go, sorted by id, into one
Arrow IPC file per role (``<index>-base-<role>-<token>.arrow``, record batches of ``BATCH_ROWS`` rows, the
first id of each batch in SQLite), written straight from DuckDB; a look-up bisects to the batches of the ids
it wants and reads those alone from the memory-mapped file. Versions caught up since are pickled here by id
(a deleted one as NULL) as the store returns them, and laid over the base; once they outgrow
``OVERLAY_SHARE`` of it the base is written again. Links and the shop's match keys, which are looked up
by other columns than the id, are SQLite tables, filled from Arrow columns in bulk.

On an S3 root the index stays a local file (the machine's cache, ``sidefiles.py`` ``cache_dir``), neither
uploaded nor shared: it only ever holds what the datasets hold, and it knows the offsets it covers, so a
machine that ran before catches up on the edits since (as a local root does) and a fresh one builds it once
from the datasets. Sharing it would need a download, an upload and a conditional put per run for a file the
size of the tenant, and would add a second truth that could disagree with the datasets; this adds none.

    a, b, agreed  -> base files + firsts(role, batch, id)   the rows as of the base build, sorted by id
                     rows(role, id, data)                   what changed since, by id (NULL: deleted)
    link          -> links(a_id, b_id, ...)                 with an index on b_id (who links a shop record)
    b match keys  -> keys(key, value, id)                   normalized first-sync keys of the shop rows
"""

from __future__ import annotations

import bisect
import contextlib
import pickle
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from sluice.datasets import DatasetStore
from sluice.sync.dataflow import Dataflow, MatchKey
from sluice.sync.merge import flatten
from sluice.sync.model import Link

SCHEMA_VERSION = 2
BATCH = 20_000
"""Rows converted and written at a time while catching up or filling a table (bounds memory)."""
BATCH_ROWS = 512
"""Rows per record batch of a base file: what a look-up of one id reads (once per run)."""
RUN_ROWS = 250_000
"""Versions (by offset) read and sorted at a time while writing a base file: a build holds one run, never the
whole dataset, and a look-up reads one batch per run (four at a million versions)."""
CHUNK = 500
"""Ids per ``IN (...)`` look-up (SQLite's bound-parameter limit is far above; keeps statements small)."""
OVERLAY_MIN = 50_000
OVERLAY_SHARE = 0.25
"""A role's base is written again once more than this share of it (or ``OVERLAY_MIN`` rows) changed since."""
META = ("_hash", "_ts", "_deleted", "_offset")
"""A version's metadata, dropped before a row is kept."""
ROW_ROLES = ("a", "b", "agreed")

DDL = """
CREATE TABLE IF NOT EXISTS covered (role TEXT PRIMARY KEY, dataset TEXT NOT NULL, "offset" INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS bases (role TEXT PRIMARY KEY, file TEXT NOT NULL, rows INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS firsts (role TEXT NOT NULL, batch INTEGER NOT NULL, run INTEGER NOT NULL,
                                   id TEXT NOT NULL, PRIMARY KEY (role, batch)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rows (role TEXT NOT NULL, id TEXT NOT NULL, data BLOB,
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
    """``side_fields(row).get(name)`` without flattening the whole row. A row with a dotted column name of its own
    is flattened, so both always agree."""
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


def column_values(table: pa.Table | pa.RecordBatch, name: str) -> list[Any]:
    """``[field_value(row, name) for row in table.to_pylist()]``, read from the one column in Arrow: the match
    keys of a build's every shop record without turning the rows into Python values."""
    if any("." in c for c in table.column_names):
        return [field_value(row, name) for row in table.to_pylist()]
    head, *rest = name.split(".")
    if head.startswith(("_", "sync_")) or head not in table.column_names:
        return [None] * table.num_rows
    column: Any = table.column(head)
    for part in rest:
        kind = column.type
        if not pa.types.is_struct(kind) or kind.get_field_index(part) < 0:
            return [None] * table.num_rows
        column = pc.struct_field(column, part)
    if pa.types.is_struct(column.type):
        return [None] * table.num_rows
    return column.to_pylist()


ASCII_SPACE = "".join(c for c in map(chr, range(128)) if c.isspace())
"""What ``str.strip()`` removes from an ASCII text."""


def normalized(key: MatchKey, batch: pa.RecordBatch, name: str) -> pa.Array:
    """``key.normalize`` of a field of every row, as text: in Arrow when the column is ASCII text (trimmed of what
    ``str.strip`` trims, lower-cased as ``str.casefold`` does ASCII), else value by value in Python."""
    head, *rest = name.split(".")
    column: Any = batch.column(head) if head in batch.schema.names and not head.startswith(("_", "sync_")) else None
    for part in rest:
        if column is None or not pa.types.is_struct(column.type) or column.type.get_field_index(part) < 0:
            column = None
            break
        column = pc.struct_field(column, part)
    dotted = any("." in c for c in batch.schema.names)  # a flattened row: as ``field_value`` reads it
    if column is not None and not dotted and pa.types.is_string(column.type) and _ascii(column):
        text = pc.ascii_trim(column, ASCII_SPACE)
        text = pc.ascii_lower(text) if key.casefold else text
        return pc.if_else(pc.equal(pc.binary_length(text), 0), pa.scalar(None, pa.string()), text)
    return pa.array([key.normalize(v) for v in column_values(batch, name)], pa.string())


def _ascii(column: pa.Array) -> bool:
    return pc.all(pc.string_is_ascii(column)).as_py() is not False  # (None: no text at all)


def key_name(key: MatchKey) -> str:
    """A match key's name in the ``keys`` table (one field may be matched case-sensitively and not)."""
    return f"{key.field}:{'casefold' if key.casefold else 'exact'}"


def _chunks(ids: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class PairIndex:
    """The current rows of a flow's datasets (roles ``a``, ``b``, ``link``, ``agreed``), looked up by id."""

    def __init__(self, store: DatasetStore, flow: Dataflow, path: Path) -> None:
        self.store = store
        self.flow = flow
        self.path = path
        self.datasets = flow_datasets(flow)
        self.con = self._open()
        self._firsts: dict[str, list[tuple[list[str], list[int]]]] = {}
        """The first ids of the batches of each run, by base file (read once per file)."""
        self._retired: list[Path] = []
        """Base files a transaction replaced: deleted once it committed (a rollback keeps them in use)."""

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = self._connect()
            if con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return con
            con.close()
        except sqlite3.DatabaseError:  # a damaged cache: start again from the datasets
            pass
        self._remove()
        con = self._connect()
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return con

    def _remove(self) -> None:
        """The cache's files (an older layout, or damaged): the index is rebuilt from the datasets."""
        for path in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"), *self._base_files()):
            path.unlink(missing_ok=True)

    def _base_files(self, role: str = "*") -> list[Path]:
        return list(self.path.parent.glob(f"{self.path.name}-base-{role}-*.arrow"))

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
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
        covered = row[1] if row and row[0] == tag and self._base_present(role) else -1
        last = self.store.last_offset(dataset) if self.store.exists(dataset) else -1
        if last == covered:
            return
        with self._transaction():
            if last < covered or covered < 0:  # first build, the dataset was replaced, or another tag
                self._build(role, dataset, last)
            else:
                for batch in self.store.changes(dataset, covered, latest_only=True).to_batches(BATCH):
                    self._apply(role, pa.Table.from_batches([batch]))
                if role in ROW_ROLES and self._overlaid(role) > max(OVERLAY_MIN, OVERLAY_SHARE * self._base_rows(role)):
                    self._write_base(role, dataset)
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
            self._retired.clear()
            raise
        self.con.execute("COMMIT")
        for path in self._retired:
            path.unlink(missing_ok=True)
        self._retired.clear()

    def _build(self, role: str, dataset: str, last: int) -> None:
        """A role from scratch: its base file (and the shop's match keys from the same pass), or the links."""
        if role == "link":
            self._build_links(dataset, last)
            return
        self.con.execute("DELETE FROM rows WHERE role = ?", (role,))
        if role == "b":
            self.con.execute("DROP INDEX IF EXISTS keys_by_id")
            self.con.execute("DELETE FROM keys")
        self._write_base(role, dataset if last >= 0 else None, keys=role == "b")
        if role == "b":
            self.con.execute("CREATE INDEX IF NOT EXISTS keys_by_id ON keys (id)")

    def _write_base(self, role: str, dataset: str | None, keys: bool = False) -> None:
        """The role's current rows, sorted by id, as a new base file (the overlay folded in, so emptied); with
        ``keys`` the shop's match keys are filled from the same batches. None: an empty base."""
        old = self.con.execute("SELECT file FROM bases WHERE role = ?", (role,)).fetchone()
        if old is not None:
            self._retired.append(self.path.parent / old[0])
        self.con.execute("DELETE FROM bases WHERE role = ?", (role,))
        self.con.execute("DELETE FROM firsts WHERE role = ?", (role,))
        self.con.execute("DELETE FROM rows WHERE role = ?", (role,))
        for path in self._base_files(role):  # left by a build that never committed
            if old is None or path.name != old[0]:
                path.unlink(missing_ok=True)
        if dataset is None:
            return
        file = f"{self.path.name}-base-{role}-{uuid.uuid4().hex[:12]}.arrow"
        scan, last = self.store.current_scan_sql(dataset), self.store.last_offset(dataset)
        firsts: list[tuple[str, int, int, str]] = []
        found: list[pa.Table] = []
        rows = 0
        with contextlib.ExitStack() as stack:
            writer = None
            for run, low in enumerate(range(0, last + 1, RUN_ROWS)):
                sql = (
                    f"SELECT * EXCLUDE ({', '.join(META)}) FROM ({scan}) "
                    f"WHERE _offset BETWEEN {low} AND {low + RUN_ROWS - 1}"
                )
                table = self.store.con.sql(sql).to_arrow_table().sort_by("_id")
                if writer is None:
                    sink = stack.enter_context(pa.OSFile(str(self.path.parent / file), "wb"))
                    writer = stack.enter_context(ipc.new_file(sink, table.schema))
                for piece in table.to_batches(BATCH_ROWS):
                    firsts.append((role, len(firsts), run, piece.column(0)[0].as_py()))
                    writer.write_batch(piece)
                rows += table.num_rows
                if keys:
                    found += [self._keys_of(batch) for batch in table.to_batches(BATCH)]
                del table
        self.con.executemany("INSERT INTO firsts VALUES (?, ?, ?, ?)", firsts)
        self.con.execute("INSERT INTO bases VALUES (?, ?, ?)", (role, file, rows))
        if keys and found:
            self._insert_keys(pa.concat_tables(found).sort_by([("key", "ascending"), ("value", "ascending")]))

    def _keys_of(self, batch: pa.RecordBatch) -> pa.Table:
        """The normalized match keys of some shop rows (``key``, ``value``, ``id``), one row per key present."""
        tables = []
        for key in self.flow.match_keys:
            values = normalized(key, batch, key.field)
            present = pc.is_valid(values)
            ids = batch.column("_id").filter(present)
            names = pa.repeat(pa.scalar(key_name(key), pa.string()), len(ids))
            tables.append(pa.table([names, values.filter(present), ids], schema=KEYS_SCHEMA))
        return pa.concat_tables(tables) if tables else KEYS_SCHEMA.empty_table()

    def _insert_keys(self, keys: pa.Table) -> None:
        for batch in keys.to_batches(BATCH):
            rows = zip(*(batch.column(c).to_pylist() for c in ("key", "value", "id")), strict=True)
            self.con.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)", rows)

    def _build_links(self, dataset: str, last: int) -> None:
        """Every link, sorted by SuperOffice id, the index on the shop id made once they are in."""
        self.con.execute("DROP INDEX IF EXISTS links_by_b")
        self.con.execute("DELETE FROM links")
        self.con.execute("INSERT OR REPLACE INTO counts VALUES (?, 0)", (ACTIVE,))
        if last >= 0:
            note = "coalesce(note, '')" if "note" in self.store.columns(dataset) else "''"
            sql = (
                f"SELECT _id, b_id, how, status, {note} AS note FROM ({self.store.current_scan_sql(dataset)}) "
                "ORDER BY _id"
            )
            for batch in self.store.con.sql(sql).to_arrow_reader(BATCH):
                self._insert_links(pa.Table.from_batches([batch]).rename_columns(LINK_COLUMNS))
        self.con.execute("CREATE INDEX IF NOT EXISTS links_by_b ON links (b_id, status)")

    def _insert_links(self, links: pa.Table) -> None:
        """Links (``LINK_COLUMNS``, one per SuperOffice id), replacing those of the same ids; the active count added."""
        columns = [links.column(c).to_pylist() for c in LINK_COLUMNS]
        columns[4] = [n or "" for n in columns[4]]
        self.con.executemany("INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?)", zip(*columns, strict=True))
        added = sum(1 for s in columns[3] if s == "active")
        self.con.execute("UPDATE counts SET value = value + ? WHERE name = ?", (added, ACTIVE))

    def _apply(self, role: str, versions: pa.Table) -> None:
        """The latest version per id since the covered offset: a tombstone removes the id, any other version
        replaces it. The version's metadata is dropped in Arrow, before the rows become Python values."""
        deleted = versions.column("_deleted")
        gone = versions.filter(deleted).column("_id").to_pylist()
        live = versions.filter(pc.invert(deleted)).drop_columns([c for c in META if c in versions.column_names])
        live_ids = live.column("_id").to_pylist()
        if role == "link":
            before = self._active_among(gone + live_ids)
            self.con.executemany("DELETE FROM links WHERE a_id = ?", [(i,) for i in gone])
            self.con.execute("UPDATE counts SET value = value - ? WHERE name = ?", (before, ACTIVE))
            if "note" not in live.column_names:
                live = live.append_column("note", pa.nulls(live.num_rows, pa.string()))
            self._insert_links(live.select(["_id", "b_id", "how", "status", "note"]).rename_columns(LINK_COLUMNS))
            return
        self.con.executemany("INSERT OR REPLACE INTO rows VALUES (?, ?, NULL)", [(role, i) for i in gone])
        self.con.executemany(
            "INSERT OR REPLACE INTO rows VALUES (?, ?, ?)",
            [(role, row["_id"], pickle.dumps(row, protocol=5)) for row in live.to_pylist()],
        )
        if role == "b":
            self.con.executemany("DELETE FROM keys WHERE id = ?", [(i,) for i in gone + live_ids])
            for batch in live.to_batches(BATCH):
                self._insert_keys(self._keys_of(batch))

    def _base_present(self, role: str) -> bool:
        """False when the role's base file has gone (a cleaned cache folder): the role is built again."""
        base = self.con.execute("SELECT file FROM bases WHERE role = ?", (role,)).fetchone()
        return base is None or (self.path.parent / base[0]).exists()

    def _overlaid(self, role: str) -> int:
        return self.con.execute("SELECT count(*) FROM rows WHERE role = ?", (role,)).fetchone()[0]

    def _base_rows(self, role: str) -> int:
        row = self.con.execute("SELECT rows FROM bases WHERE role = ?", (role,)).fetchone()
        return row[0] if row else 0

    # -- look-ups ----------------------------------------------------------------------------

    def rows(self, role: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The current rows (as the store returns them) of these ids; absent ids are left out. A row changed
        since the base is kept here; any other is read from its batch of the base file."""
        wanted = sorted(set(ids))
        found: dict[str, dict[str, Any]] = {}
        changed: set[str] = set()
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id, data FROM rows WHERE role = ? AND id IN ({marks})"
            for id_, data in self.con.execute(query, (role, *chunk)):
                changed.add(id_)
                if data is not None:
                    found[id_] = pickle.loads(data)
        rest = [i for i in wanted if i not in changed]
        base = self.con.execute("SELECT file FROM bases WHERE role = ?", (role,)).fetchone() if rest else None
        if base is None:
            return found
        batches: dict[int, list[str]] = {}
        for firsts, numbers in self._batch_firsts(role, base[0]):
            for id_ in rest:
                if (n := bisect.bisect_right(firsts, id_) - 1) >= 0:
                    batches.setdefault(numbers[n], []).append(id_)
        with pa.memory_map(str(self.path.parent / base[0])) as source:
            reader = ipc.open_file(source)
            for n, chunk in sorted(batches.items()):
                batch = reader.get_batch(n)
                batch = batch.filter(pc.is_in(batch.column("_id"), value_set=pa.array(chunk, pa.string())))
                found.update((row["_id"], row) for row in batch.to_pylist())
        return found

    def _batch_firsts(self, role: str, file: str) -> list[tuple[list[str], list[int]]]:
        """Per sorted run of a base file: the first id of each of its batches, and the batches' numbers."""
        if file not in self._firsts:
            runs: dict[int, tuple[list[str], list[int]]] = {}
            query = "SELECT run, batch, id FROM firsts WHERE role = ? ORDER BY batch"
            for run, batch, id_ in self.con.execute(query, (role,)):
                firsts, numbers = runs.setdefault(run, ([], []))
                firsts.append(id_)
                numbers.append(batch)
            self._firsts[file] = list(runs.values())
        return self._firsts[file]

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
        """Every id of a row role (``a``, ``b``, ``agreed``): for a full reconcile and for tests, not per run (it
        reads the ids of the whole base file)."""
        base = self.con.execute("SELECT file FROM bases WHERE role = ?", (role,)).fetchone()
        ids: set[str] = set()
        if base is not None:
            with pa.memory_map(str(self.path.parent / base[0])) as source:
                reader = ipc.open_file(source)
                for n in range(reader.num_record_batches):
                    ids.update(reader.get_batch(n).column("_id").to_pylist())
        for id_, live in self.con.execute("SELECT id, data IS NOT NULL FROM rows WHERE role = ?", (role,)):
            (ids.add if live else ids.discard)(id_)
        return sorted(ids)

    def count(self, role: str) -> int:
        """The live rows of a role (from the base's row count alone while nothing changed since it was written)."""
        return self._base_rows(role) if self._overlaid(role) == 0 else len(self.ids(role))

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


LINK_COLUMNS = ["a_id", "b_id", "how", "status", "note"]
KEYS_SCHEMA = pa.schema([("key", pa.string()), ("value", pa.string()), ("id", pa.string())])
