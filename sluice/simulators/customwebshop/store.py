"""The shop's SQLite storage: one table per resource, external references, idempotency records.

Rule: every read and write runs inside ``transaction()``, which holds one lock, so timestamps are
assigned and committed in the same order (the change feed can never show a later write before an
earlier one). Records are stored as JSON text with decimals as strings, never floats.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sluice.simulators.customwebshop.clock import MonotonicClock

RESOURCES = ("customers", "products", "orders")
IDEMPOTENCY_TTL_US = 24 * 3600 * 1_000_000


@dataclass(frozen=True)
class Row:
    """One stored record: its writable fields in ``data`` plus the server-kept metadata."""

    id: int
    data: dict[str, Any]
    version: int
    created_at: int
    updated_at: int
    deleted_at: int | None


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: str
    headers: dict[str, str]


def _schema() -> str:
    tables = "".join(
        f"""
        CREATE TABLE IF NOT EXISTS {name} (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            data TEXT NOT NULL,
            unique_key TEXT,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            deleted_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS {name}_feed ON {name} (updated_at, id);
        CREATE INDEX IF NOT EXISTS {name}_unique ON {name} (unique_key) WHERE deleted_at IS NULL;
        """
        for name in RESOURCES
    )
    return (
        tables
        + """
        CREATE TABLE IF NOT EXISTS external_refs (
            resource TEXT NOT NULL, ref_key TEXT NOT NULL, ref_value TEXT NOT NULL, id INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS external_refs_lookup ON external_refs (resource, ref_key, ref_value);
        CREATE INDEX IF NOT EXISTS external_refs_owner ON external_refs (resource, id);
        CREATE TABLE IF NOT EXISTS idempotency (
            key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
            body TEXT NOT NULL, headers TEXT NOT NULL, created_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """
    )


class ShopStore:
    """SQLite behind one lock. ``path=None`` keeps everything in memory (tests, the demo)."""

    def __init__(self, path: str | None = None, clock: MonotonicClock | None = None) -> None:
        self.clock = clock or MonotonicClock()
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_schema())
        newest = max(self._db.execute(f"SELECT COALESCE(MAX(updated_at), 0) FROM {r}").fetchone()[0] for r in RESOURCES)
        self.clock.advance_to(newest)
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[ShopStore]:
        """All-or-nothing, and serialised with every other reader and writer (re-entrant)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            self._db.execute("BEGIN")
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- records --------------------------------------------------------------------------------

    def get(self, resource: str, record_id: int) -> Row | None:
        row = self._db.execute(
            f"SELECT id, data, version, created_at, updated_at, deleted_at FROM {_table(resource)} WHERE id = ?",
            (record_id,),
        ).fetchone()
        return _row(row) if row else None

    def insert(self, resource: str, data: dict[str, Any], unique_key: str | None) -> Row:
        now = self.clock.now()
        cur = self._db.execute(
            f"INSERT INTO {_table(resource)} (data, unique_key, version, created_at, updated_at) "
            "VALUES (?, ?, 1, ?, ?)",
            (_dumps(data), unique_key, now, now),
        )
        record_id = int(cur.lastrowid or 0)
        self._set_refs(resource, record_id, data.get("external_refs") or {})
        return Row(record_id, data, 1, now, now, None)

    def replace(self, resource: str, current: Row, data: dict[str, Any], unique_key: str | None) -> Row:
        now = self.clock.now()
        self._db.execute(
            f"UPDATE {_table(resource)} SET data = ?, unique_key = ?, version = ?, updated_at = ? WHERE id = ?",
            (_dumps(data), unique_key, current.version + 1, now, current.id),
        )
        self._set_refs(resource, current.id, data.get("external_refs") or {})
        return Row(current.id, data, current.version + 1, current.created_at, now, None)

    def soft_delete(self, resource: str, current: Row) -> Row:
        now = self.clock.now()
        self._db.execute(
            f"UPDATE {_table(resource)} SET version = ?, updated_at = ?, deleted_at = ? WHERE id = ?",
            (current.version + 1, now, now, current.id),
        )
        return Row(current.id, current.data, current.version + 1, current.created_at, now, now)

    def holder_of(self, resource: str, unique_key: str, exclude_id: int | None = None) -> int | None:
        """The live record holding ``unique_key`` (other than ``exclude_id``), if any."""
        row = self._db.execute(
            f"SELECT id FROM {_table(resource)} WHERE unique_key = ? AND deleted_at IS NULL AND id != ? LIMIT 1",
            (unique_key, exclude_id or 0),
        ).fetchone()
        return int(row[0]) if row else None

    def exists(self, resource: str, record_id: int) -> bool:
        row = self._db.execute(
            f"SELECT 1 FROM {_table(resource)} WHERE id = ? AND deleted_at IS NULL", (record_id,)
        ).fetchone()
        return row is not None

    def feed(
        self,
        resource: str,
        *,
        after: tuple[int, int] | None,
        since: int | None,
        include_deleted: bool,
        external_ref: tuple[str, str] | None,
        limit: int,
    ) -> list[Row]:
        """Up to ``limit`` records in ``(updated_at, id)`` order, strictly after the ``after`` position."""
        where, args = [], []
        if after is not None:
            where.append("(updated_at, id) > (?, ?)")
            args.extend(after)
        if since is not None:
            where.append("updated_at >= ?")
            args.append(since)
        if not include_deleted:
            where.append("deleted_at IS NULL")
        if external_ref is not None:
            where.append("id IN (SELECT id FROM external_refs WHERE resource = ? AND ref_key = ? AND ref_value = ?)")
            args.extend((resource, *external_ref))
        sql = f"SELECT id, data, version, created_at, updated_at, deleted_at FROM {_table(resource)}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at, id LIMIT ?"
        args.append(limit)
        return [_row(r) for r in self._db.execute(sql, args)]

    def next_value(self, name: str) -> int:
        """A server-wide sequence (order line ids)."""
        self._db.execute(
            "INSERT INTO sequences (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1",
            (name,),
        )
        return int(self._db.execute("SELECT value FROM sequences WHERE name = ?", (name,)).fetchone()[0])

    def _set_refs(self, resource: str, record_id: int, refs: dict[str, str]) -> None:
        self._db.execute("DELETE FROM external_refs WHERE resource = ? AND id = ?", (resource, record_id))
        self._db.executemany(
            "INSERT INTO external_refs (resource, ref_key, ref_value, id) VALUES (?, ?, ?, ?)",
            [(resource, key, str(value), record_id) for key, value in refs.items()],
        )

    # -- idempotency ----------------------------------------------------------------------------

    def recall(self, key: str) -> StoredResponse | None:
        """The response first given for ``key`` within the last 24 hours."""
        row = self._db.execute(
            "SELECT fingerprint, status, body, headers, created_at FROM idempotency WHERE key = ?", (key,)
        ).fetchone()
        if row is None or row[4] < time.time_ns() // 1000 - IDEMPOTENCY_TTL_US:
            return None
        return StoredResponse(row[0], row[1], row[2], json.loads(row[3]))

    def remember(self, key: str, response: StoredResponse) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO idempotency (key, fingerprint, status, body, headers, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                response.fingerprint,
                response.status,
                response.body,
                json.dumps(response.headers),
                time.time_ns() // 1000,
            ),
        )


def _table(resource: str) -> str:
    if resource not in RESOURCES:  # table names are never taken from input unchecked
        raise ValueError(f"unknown resource {resource!r}")
    return resource


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _row(row: tuple[Any, ...]) -> Row:
    return Row(row[0], json.loads(row[1]), row[2], row[3], row[4], row[5])
