"""A log part (a Parquet file of consecutive offsets) and which parts readers use.

Rule: parts are immutable and named by their offset range; a part whose range lies inside another part's
range is superseded (a compaction that died before deleting its inputs) and every reader ignores it.
Both storages (local disk, S3) share this.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Part:
    """One log part: a local file, or an object's path in a bucket (``bucket/prefix/...``)."""

    path: Path | str
    first: int
    last: int
    size: int = 0
    rows: int | None = None  # known without opening the file on S3 (the manifest records it)


def effective_parts(parts: list[Part]) -> list[Part]:
    """Drop every part whose range another part covers: widest ranges win, ties cannot occur (same name)."""
    ordered = sorted(parts, key=lambda p: (p.first, -p.last))
    kept: list[Part] = []
    for part in ordered:
        if kept and part.last <= kept[-1].last:
            continue  # inside the previous (wider or equal-start) part's range
        kept.append(part)
    return kept
