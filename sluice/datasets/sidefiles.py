"""Small state objects kept beside the datasets (``ROOT/.sync``, ``ROOT/.pipes``): a folder or an S3 prefix.

Rule: the sync's and the pipes' own state (watermarks, journals, cursors, the plans passed between tasks,
the sync lock) lives in the same root as the datasets, so any machine that reaches the root can pick up
the next task. Each object is bytes the caller encodes (JSON): never a pickle of in-memory objects.

- ``write`` is atomic (local: fsynced temp file + ``os.replace``; S3: one PUT); ``update`` is a
  read-modify-write that never loses a concurrent update (local: under an ``fcntl`` lock; S3: a
  conditional put on the ETag it read, retried).
- ``append`` adds a durable record (local: ``O_APPEND`` + fsync on one file; S3, which has no append: one
  new object per call under ``NAME/``, read back in the order written).
- ``lock`` is one holder at a time (local: ``fcntl``, released by the OS if the holder dies; S3: the
  lease of ``s3lock.py``, which a dead holder keeps for at most one lease).
- ``cache_dir`` is a local folder for caches derived from the datasets (the flows' pair index): beside
  the state for a local root, under ``$SLUICE_CACHE`` (default ``~/.cache/sluice``) for an S3 root, one
  folder per root and incarnation (``cache_dir``).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from sluice.datasets.lock import write_lock
from sluice.datasets.s3client import S3Client
from sluice.datasets.s3lock import s3_lease
from sluice.errors import DatasetError

CACHE_VAR = "SLUICE_CACHE"
UPDATE_ATTEMPTS = 50
CACHE_ID = "cache-id"


class SideFiles(Protocol):
    """Named objects in one state folder of a root."""

    cache_dir: Path

    def read(self, name: str) -> bytes | None: ...
    def write(self, name: str, data: bytes) -> None: ...
    def update(self, name: str, change: Callable[[bytes | None], bytes]) -> None: ...
    def delete(self, name: str) -> None: ...
    def append(self, name: str, data: bytes) -> None: ...
    def read_appended(self, name: str) -> bytes: ...
    def clear_appended(self, name: str) -> None: ...
    def lock(self, name: str, timeout: float, what: str) -> AbstractContextManager[None]: ...


class LocalSideFiles:
    """Files in ``directory`` (made on first write)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.cache_dir = self.directory

    def read(self, name: str) -> bytes | None:
        try:
            return (self.directory / name).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / name
        tmp = target.with_name(f"{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)

    def update(self, name: str, change: Callable[[bytes | None], bytes]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with write_lock(self.directory / f"{name}.lock", 60.0, name):
            self.write(name, change(self.read(name)))

    def delete(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)

    def append(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read_appended(self, name: str) -> bytes:
        return self.read(name) or b""

    def clear_appended(self, name: str) -> None:
        self.delete(name)

    def lock(self, name: str, timeout: float, what: str) -> AbstractContextManager[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        return write_lock(self.directory / name, timeout, what)


_sequence = itertools.count()


class S3SideFiles:
    """Objects under ``s3://bucket/<prefix>/`` (the root's prefix and the folder), through the store's client."""

    def __init__(self, client: S3Client, prefix: str, lease: float) -> None:
        self.client, self.prefix, self.lease = client, prefix.strip("/"), lease
        self._cache_dir: Path | None = None
        self._read: dict[str, list[str]] = {}  # per appended name: the record keys the last read returned

    @property
    def cache_dir(self) -> Path:
        """``$SLUICE_CACHE/<root>-<incarnation>``: the incarnation is a random id the folder keeps
        (``cache-id``, made once with a conditional put), so a root wiped and filled again never meets the
        cache of the data it held before."""
        if self._cache_dir is None:
            found = self.read(CACHE_ID)
            if found is None:
                self.client.put(self._key(CACHE_ID), uuid.uuid4().hex.encode(), if_absent=True)  # None: one raced us
                found = self.read(CACHE_ID) or b""
            base = Path(os.environ.get(CACHE_VAR) or Path.home() / ".cache" / "sluice")
            where = hashlib.sha256(f"s3://{self.client.bucket}/{self.prefix}".encode()).hexdigest()[:12]
            self._cache_dir = base / f"{where}-{found.decode()[:32]}"
        return self._cache_dir

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def _where(self, name: str) -> str:
        return f"s3://{self.client.bucket}/{self._key(name)}"

    def read(self, name: str) -> bytes | None:
        found = self.client.get(self._key(name))
        return None if found is None else found[0]

    def write(self, name: str, data: bytes) -> None:
        self.client.put(self._key(name), data)

    def update(self, name: str, change: Callable[[bytes | None], bytes]) -> None:
        """Compare-and-swap on the ETag: a writer that lost the race reads again and re-applies its change."""
        for _ in range(UPDATE_ATTEMPTS):
            found = self.client.get(self._key(name))
            body = change(None if found is None else found[0])
            if found is None:
                etag = self.client.put(self._key(name), body, if_absent=True)
            else:
                etag = self.client.put(self._key(name), body, if_match=found[1])
            if etag is not None:
                return
            time.sleep(0.05)
        raise DatasetError(f"cannot update {self._where(name)}: {UPDATE_ATTEMPTS} concurrent writers won first")

    def delete(self, name: str) -> None:
        self.client.delete([self._key(name)])

    def append(self, name: str, data: bytes) -> None:
        """One new object per record; its key sorts by time written (then by this process's order)."""
        record = f"{time.time_ns():020d}-{next(_sequence):08d}-{uuid.uuid4().hex[:8]}"
        self.client.put(self._key(f"{name}/{record}"), data)

    def read_appended(self, name: str) -> bytes:
        keys = sorted(o["Key"] for o in self.client.list(self._key(name) + "/"))
        parts = [self.client.get(key) for key in keys]
        self._read[name] = keys
        return b"".join(found[0] for found in parts if found is not None)

    def clear_appended(self, name: str) -> None:
        """The records the last ``read_appended`` returned (all of them if none ran): one appended since stays."""
        keys = self._read.pop(name, None)
        self.client.delete(keys if keys is not None else [o["Key"] for o in self.client.list(self._key(name) + "/")])

    def lock(self, name: str, timeout: float, what: str) -> AbstractContextManager[None]:
        return s3_lease(self.client, self._key(name), timeout, self.lease, what)
