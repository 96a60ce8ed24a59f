"""Where a dataset's files live, and how a file is published atomically.

Rule: a log part becomes visible only through one ``os.rename`` of a complete, fsynced temp file, so
a reader (or a writer killed at any instant) sees a part entirely or not at all. Parts are immutable;
a part whose offset range lies inside another part's range is superseded (a compaction that died
before deleting its inputs) and every reader ignores it.

    ROOT/NAME/log/part-{first:012d}-{last:012d}.parquet   the log (plain Parquet, zstd)
    ROOT/NAME/_state/index.arrow                           current-state index (a derived cache)
    ROOT/NAME/_state/write.lock                            the one-writer lock
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sluice.errors import DatasetError

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PART_RE = re.compile(r"^part-(\d{12})-(\d{12})\.parquet$")
TMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class Part:
    path: Path
    first: int
    last: int

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Layout:
    """The paths of one dataset under a store root."""

    root: Path
    name: str

    @classmethod
    def of(cls, root: Path, name: str) -> Layout:
        if not NAME_RE.match(name):
            raise DatasetError("a dataset name is letters, digits and underscores, not starting with a digit", name)
        return cls(root, name)

    @property
    def dir(self) -> Path:
        return self.root / self.name

    @property
    def log_dir(self) -> Path:
        return self.dir / "log"

    @property
    def state_dir(self) -> Path:
        return self.dir / "_state"

    @property
    def index_path(self) -> Path:
        return self.state_dir / "index.arrow"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "write.lock"

    def exists(self) -> bool:
        return self.log_dir.is_dir()

    def create(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def parts(self) -> list[Part]:
        """The log parts readers use, oldest first: superseded (covered) parts are left out."""
        if not self.log_dir.is_dir():
            return []
        found = []
        for entry in os.scandir(self.log_dir):
            match = PART_RE.match(entry.name)
            if match:
                found.append(Part(Path(entry.path), int(match[1]), int(match[2])))
        return effective_parts(found)

    def part_path(self, first: int, last: int) -> Path:
        return self.log_dir / f"part-{first:012d}-{last:012d}.parquet"

    def remove_garbage(self) -> int:
        """Delete temp files a killed writer left behind; call only under the write lock."""
        removed = 0
        for folder in (self.log_dir, self.state_dir):
            if folder.is_dir():
                for path in folder.glob(f"*{TMP_SUFFIX}"):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.dir.rglob("*") if p.is_file()) if self.dir.is_dir() else 0


def effective_parts(parts: list[Part]) -> list[Part]:
    """Drop every part whose range another part covers: widest ranges win, ties cannot occur (same name)."""
    ordered = sorted(parts, key=lambda p: (p.first, -p.last))
    kept: list[Part] = []
    for part in ordered:
        if kept and part.last <= kept[-1].last:
            continue  # inside the previous (wider or equal-start) part's range
        kept.append(part)
    return kept


def tmp_path_for(final: Path) -> Path:
    return final.with_name(f"{final.name}.{os.getpid()}{TMP_SUFFIX}")


def publish(tmp: Path, final: Path) -> None:
    """Make ``tmp`` durable, then visible as ``final`` in one rename (the commit point)."""
    fsync_file(tmp)
    os.replace(tmp, final)
    fsync_dir(final.parent)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
