"""SQLite storage of the simulated tenant: one table per entity, each row a carrier as JSON plus the columns
that archive filters and foreign keys use (ids, timestamps, deleted flags, FKs).

Rule: one connection guarded by one lock, so a ``:memory:`` database is shared safely by uvicorn's worker
threads; every timestamp is UTC text ``YYYY-MM-DDTHH:MM:SS.ffffff`` so SQL compares it as a string.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# table -> extra indexed columns (besides id, data, registered, updated)
TABLES: dict[str, tuple[str, ...]] = {
    "contact": ("deleted INTEGER NOT NULL DEFAULT 0", "deleted_date TEXT"),
    "person": ("contact_id INTEGER", "deleted_date TEXT"),
    "sale": ("contact_id INTEGER", "person_id INTEGER"),
    "pricelist": (),
    "product": ("price_list_id INTEGER", "erp_key TEXT"),
    "quote": ("sale_id INTEGER UNIQUE",),
    "quote_version": ("quote_id INTEGER",),
    "quote_alternative": ("version_id INTEGER",),
    "quote_line": ("alternative_id INTEGER",),
}
# index name -> table(column); bulk loads drop these and build them again once the rows are in
INDEXES: dict[str, str] = {
    **{f"{table}_updated": f"{table}(updated)" for table in TABLES},
    "person_contact": "person(contact_id)",
    "sale_contact": "sale(contact_id)",
    "product_erp": "product(erp_key)",
    "version_quote": "quote_version(quote_id)",
    "alternative_version": "quote_alternative(version_id)",
    "line_alternative": "quote_line(alternative_id)",
}
Loader = Callable[[str, tuple[str, ...], Iterable[tuple[Any, ...]]], None]


def utc_now() -> str:
    """Now as the store's timestamp text (UTC, microseconds, fixed width)."""
    return stamp(datetime.now(UTC).replace(tzinfo=None))


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def carrier_date(text: str | None) -> str:
    """Store timestamp -> the carrier's ISO value (seconds, ``Z``: the service documents carrier dates as UTC)."""
    return f"{text[:19]}Z" if text else "0001-01-01T00:00:00"


@dataclass
class Row:
    """One stored entity: its id, the stored carrier fields and the server-side timestamps and columns."""

    id: int
    data: dict[str, Any]
    registered: str
    updated: str
    cols: dict[str, Any]


class Store:
    """The tenant's database. ``path=None`` keeps it in memory (one per simulator instance)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path else ":memory:"
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._create()

    def _create(self) -> None:
        with self._lock:
            for table, extra in TABLES.items():
                fixed = ("id INTEGER PRIMARY KEY AUTOINCREMENT", "data TEXT NOT NULL", "registered TEXT NOT NULL")
                cols = ", ".join((*fixed, "updated TEXT NOT NULL", *extra))
                self._conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
            self._create_indexes()

    def _create_indexes(self) -> None:
        for name, target in INDEXES.items():
            self._conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and a transaction, so a multi-row change (a quote and its lines) is all or nothing."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    def count(self, table: str) -> int:
        return int(self.query(f"SELECT count(*) FROM {table}")[0][0])

    def get(self, table: str, entity_id: int) -> Row | None:
        rows = self.query(f"SELECT * FROM {table} WHERE id = ?", (entity_id,))
        return _row(rows[0]) if rows else None

    def find(self, table: str, where: str, params: Iterable[Any] = ()) -> list[Row]:
        return [_row(r) for r in self.query(f"SELECT * FROM {table} WHERE {where} ORDER BY id", params)]

    def insert(self, table: str, data: dict[str, Any], now: str, **cols: Any) -> int:
        names = ["data", "registered", "updated", *cols]
        values = [json.dumps(data), now, now, *cols.values()]
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        with self._lock:
            cursor = self._conn.execute(sql, values)
            return int(cursor.lastrowid or 0)

    def update(self, table: str, entity_id: int, data: dict[str, Any], now: str, **cols: Any) -> None:
        sets = ["data = ?", "updated = ?", *(f"{name} = ?" for name in cols)]
        with self._lock:
            self._conn.execute(
                f"UPDATE {table} SET {', '.join(sets)} WHERE id = ?",
                [json.dumps(data), now, *cols.values(), entity_id],
            )

    def touch(self, table: str, entity_id: int, now: str) -> None:
        """Bump ``updated`` only (a child changed: the quote tree's archive dates follow its lines)."""
        with self._lock:
            self._conn.execute(f"UPDATE {table} SET updated = ? WHERE id = ?", (now, entity_id))

    def delete(self, table: str, entity_id: int) -> None:
        with self._lock:
            self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (entity_id,))

    def bulk_insert(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
        """Seed fast: one executemany in one transaction (ids given by the caller)."""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        with self.transaction() as conn:
            conn.executemany(sql, rows)

    @contextmanager
    def bulk_load(self) -> Iterator[Loader]:
        """Seed fast: yields ``load(table, columns, rows)``; everything loaded is one transaction, all or nothing.

        The secondary indexes are dropped for the load and built once at the end, inside the same
        transaction: sorting each column once beats a random B-tree insert per row (ids come from the caller).
        """
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                for name in INDEXES:
                    self._conn.execute(f"DROP INDEX IF EXISTS {name}")
                yield self._load
                self._create_indexes()
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _load(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self._conn.executemany(sql, rows)


def _row(record: sqlite3.Row) -> Row:
    fixed = {"id", "data", "registered", "updated"}
    return Row(
        id=record["id"],
        data=json.loads(record["data"]),
        registered=record["registered"],
        updated=record["updated"],
        cols={k: record[k] for k in record.keys() if k not in fixed},  # noqa: SIM118 (sqlite3.Row)
    )
