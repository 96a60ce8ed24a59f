"""Where a store root's bytes live: a local folder (the default) or an S3 bucket, behind one interface.

Rule: the rest of ``sluice.datasets`` talks to a ``DatasetFiles`` and never asks which kind it has.
``open_storage`` picks the kind from the root: ``s3://bucket/prefix`` is S3 (a ``Path`` made from
such a URL, which collapses to ``s3:/bucket``, is too), anything else a folder. Both publish a part
atomically and guard one writer per dataset; how is theirs to say (``layout.py``, ``s3.py``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa

from sluice.datasets.layout import Layout
from sluice.datasets.parts import Part
from sluice.datasets.sidefiles import LocalSideFiles, SideFiles


class DatasetFiles(Protocol):
    """One dataset's files: what a write, a compaction and a read need."""

    name: str

    def exists(self) -> bool: ...
    def create(self) -> None: ...
    def lock(self, timeout: float) -> AbstractContextManager[None]: ...
    def parts(self) -> list[Part]: ...
    def staging_path(self, first: int, last: int) -> Path: ...
    def publish_part(self, staged: Path, first: int, last: int, replaces: Sequence[Part] = ()) -> Part: ...
    def count_rows(self, parts: Sequence[Part]) -> int: ...
    def scan(self, con: duckdb.DuckDBPyConnection, parts: Sequence[Part]) -> str: ...
    def read_index(self) -> pa.Table | None: ...
    def write_index(self, table: pa.Table) -> None: ...
    def remove_garbage(self, thorough: bool = False) -> int: ...
    def size_on_disk(self) -> int: ...


class Storage(Protocol):
    @property
    def root(self) -> Path | str: ...  # a folder, or the ``s3://`` URL

    def names(self) -> list[str]: ...
    def files(self, name: str) -> DatasetFiles: ...
    def side_files(self, folder: str) -> SideFiles: ...


class LocalStorage:
    """Datasets in folders under ``root`` (``layout.py``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __str__(self) -> str:
        return str(self.root)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "log").is_dir())

    def files(self, name: str) -> Layout:
        return Layout.of(self.root, name)

    def side_files(self, folder: str) -> LocalSideFiles:
        return LocalSideFiles(self.root / folder)


def is_s3(root: str | Path) -> bool:
    return str(root).startswith(("s3://", "s3:/"))


LEASE_VAR = "SLUICE_S3_LEASE"


def open_storage(root: str | Path, *, lease: float | None = None) -> Storage:
    """The storage for ``root``; ``lease`` is how long an S3 lock (a writer's, the sync's) lasts without
    renewal: what a holder that died keeps the others waiting (default ``$SLUICE_S3_LEASE``, else 30 s)."""
    if not is_s3(root):
        return LocalStorage(Path(root))
    from sluice.datasets.s3 import DEFAULT_LEASE_SECONDS, S3Storage  # boto3 is imported only for S3 roots

    if lease is None:
        lease = float(os.environ.get(LEASE_VAR) or DEFAULT_LEASE_SECONDS)
    return S3Storage(str(root), lease=lease)
