"""A small append-only journal that makes each link durable the moment its create succeeds.

Rule: one JSON line per event, flushed and fsynced before the caller goes on. Folding the
journal into the link dataset happens once per run (one dataset write instead of one per
create); a run that dies before the fold leaves the journal to be folded by the next run.
A torn last line (a kill mid-write) is ignored: its create is found again by idempotency key.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


class Journal:
    """Durable, thread-safe JSON-lines appends to one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, event: dict[str, Any]) -> None:
        self.append_many([event])

    def append_many(self, events: list[dict[str, Any]]) -> None:
        """Several events in one write and one fsync (a first sync records thousands of intents at once)."""
        if not events:
            return
        line = "".join(json.dumps(e, sort_keys=True, default=str) + "\n" for e in events).encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        events = []
        for line in self.path.read_text().splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn last line from a killed process
        return events

    def clear(self) -> None:
        with self._lock:
            self.path.unlink(missing_ok=True)
