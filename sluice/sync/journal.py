"""A small append-only journal that makes each link durable the moment its create succeeds.

Rule: one JSON line per event, durable before the caller goes on (an fsynced append to a local file; on
an S3 root one new object per append, see ``datasets/sidefiles.py``). Folding the
journal into the link dataset happens once per run (one dataset write instead of one per
create); a run that dies before the fold leaves the journal to be folded by the next run.
A torn last line (a kill mid-write) is ignored: its create is found again by idempotency key.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from sluice.datasets.sidefiles import SideFiles


class Journal:
    """Durable, thread-safe JSON-lines appends to one state object (``<flow>.journal.jsonl``)."""

    def __init__(self, files: SideFiles, name: str) -> None:
        self.files = files
        self.name = name
        self._lock = threading.Lock()

    def append(self, event: dict[str, Any]) -> None:
        self.append_many([event])

    def append_many(self, events: list[dict[str, Any]]) -> None:
        """Several events in one durable write (a first sync records thousands of intents at once)."""
        if not events:
            return
        lines = "".join(json.dumps(e, sort_keys=True, default=str) + "\n" for e in events).encode()
        with self._lock:
            self.files.append(self.name, lines)

    def read(self) -> list[dict[str, Any]]:
        events = []
        for line in self.files.read_appended(self.name).decode().splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn last line from a killed process
        return events

    def clear(self) -> None:
        with self._lock:
            self.files.clear_appended(self.name)
