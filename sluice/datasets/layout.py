"""A dataset on local disk: where its files live, and how a file is published atomically.

Rule: a log part becomes visible only through one ``os.rename`` of a complete, fsynced temp file, so
a reader (or a writer killed at any instant) sees a part entirely or not at all. Parts are immutable;
covered parts are ignored (``parts.effective_parts``). This is the local ``DatasetFiles`` of
``storage.py``; ``s3.py`` is the other one.

    ROOT/NAME/log/part-{first:012d}-{last:012d}.parquet   the log (plain Parquet, zstd)
    ROOT/NAME/_state/index.arrow                           current-state index (a derived cache)
    ROOT/NAME/_state/write.lock                            the one-writer lock
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from sluice.datasets.hashing import quote_literal
from sluice.datasets.lock import write_lock
from sluice.datasets.parts import Part, effective_parts
from sluice.errors import DatasetError

__all__ = ["Layout", "Part", "check_name", "effective_parts", "publish", "tmp_path_for"]

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PART_RE = re.compile(r"^part-(\d{12})-(\d{12})\.parquet$")
TMP_SUFFIX = ".tmp"


def check_name(name: str) -> str:
    """A dataset name is also a folder (or key prefix) name: refuse anything that could escape the root."""
    if not NAME_RE.match(name):
        raise DatasetError("a dataset name is letters, digits and underscores, not starting with a digit", name)
    return name


@dataclass(frozen=True)
class Layout:
    """The files of one dataset under a local store root."""

    root: Path
    name: str

    @classmethod
    def of(cls, root: Path, name: str) -> Layout:
        return cls(Path(root), check_name(name))

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

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        return write_lock(self.lock_path, timeout, self.name)

    def parts(self) -> list[Part]:
        """The log parts readers use, oldest first: superseded (covered) parts are left out."""
        if not self.log_dir.is_dir():
            return []
        found = []
        for entry in os.scandir(self.log_dir):
            match = PART_RE.match(entry.name)
            if match:
                found.append(Part(Path(entry.path), int(match[1]), int(match[2]), entry.stat().st_size))
        return effective_parts(found)

    def part_path(self, first: int, last: int) -> Path:
        return self.log_dir / f"part-{first:012d}-{last:012d}.parquet"

    def staging_path(self, first: int, last: int) -> Path:
        """Where DuckDB writes a new part before ``publish_part`` makes it visible."""
        return tmp_path_for(self.part_path(first, last))

    def publish_part(self, staged: Path, first: int, last: int, replaces: Sequence[Part] = ()) -> Part:
        """The commit point: rename the staged file into the log, then delete the parts it replaces."""
        final = self.part_path(first, last)
        publish(staged, final)
        for part in replaces:
            if Path(part.path) != final:
                Path(part.path).unlink(missing_ok=True)
        return Part(final, first, last, final.stat().st_size)

    def count_rows(self, parts: Sequence[Part]) -> int:
        return sum(pq.read_metadata(p.path).num_rows for p in parts)

    def scan(self, con: duckdb.DuckDBPyConnection, parts: Sequence[Part]) -> str:
        """A FROM expression reading ``parts`` (self-contained: any DuckDB can run it)."""
        files = ", ".join(quote_literal(str(p.path)) for p in parts)
        return f"read_parquet([{files}], union_by_name=true)"

    def read_index(self) -> pa.Table | None:
        """The index file's table, None when there is none (a damaged file raises OSError/ArrowException)."""
        if not self.index_path.exists():
            return None
        with pa.memory_map(str(self.index_path)) as source:
            return ipc.open_file(source).read_all()

    def write_index(self, table: pa.Table) -> None:
        """Replace the index file atomically (temp file + rename)."""
        tmp = tmp_path_for(self.index_path)
        with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        publish(tmp, self.index_path)

    def remove_garbage(self, thorough: bool = False) -> int:
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
