"""The small frozen values the dataset store hands back: what a write, a compaction or a dataset holds.

Rule: plain data only (they cross layers and processes), each with ``as_dict()`` for JSON output.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class WriteStats:
    """What one write did. ``first_offset`` is None when nothing was appended; ``last_offset`` is the
    dataset's last offset after the write (a downstream watermark), -1 while the dataset is empty."""

    dataset: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    duplicates: int = 0
    first_offset: int | None = None
    last_offset: int = -1
    appended_bytes: int = 0

    @property
    def appended(self) -> int:
        return self.new + self.changed + self.deleted

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset at a glance: live entities, versions in the log, size on disk, payload columns and types."""

    name: str
    live: int
    versions: int
    last_offset: int
    bytes: int
    columns: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CompactStats:
    """What a compaction did: parts and versions before and after, bytes reclaimed."""

    dataset: str
    parts_before: int = 0
    parts_after: int = 0
    versions_before: int = 0
    versions_after: int = 0
    bytes_before: int = 0
    bytes_after: int = 0

    @property
    def dropped(self) -> int:
        return self.versions_before - self.versions_after

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "dropped": self.dropped}
