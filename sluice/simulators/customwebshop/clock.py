"""The shop's clock and its timestamps.

Rule: every write gets a timestamp strictly greater than the previous one (microsecond resolution,
never repeated, never going back even if the wall clock does). The change feed orders by
``(updated_at, id)`` and its cursor is a position in that order, so a record written while a
client pages always lands after the cursor: it is seen again, never skipped.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class MonotonicClock:
    """Microseconds since the epoch, strictly increasing across calls (thread-safe)."""

    def __init__(self, floor: int = 0) -> None:
        self._last = floor
        self._lock = threading.Lock()

    def advance_to(self, floor: int) -> None:
        """Never answer at or below ``floor`` (e.g. the newest ``updated_at`` in a reopened database)."""
        with self._lock:
            self._last = max(self._last, floor)

    def now(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, time.time_ns() // 1000)
            return self._last


def format_ts(micros: int) -> str:
    """``2026-11-26T07:00:00.123456Z``: always six digits, so strings sort like the numbers."""
    moment = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_micros(moment: datetime) -> int:
    """A datetime as microseconds since the epoch; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
