"""The one-writer-per-dataset lock.

Rule: an ``fcntl.flock`` on a file in the dataset's ``_state`` folder; the OS releases it when the
holder dies (even by SIGKILL), so a crashed writer never leaves a dataset locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sluice.errors import DatasetLockedError

POLL_SECONDS = 0.02


@contextmanager
def write_lock(path: Path, timeout: float, dataset: str) -> Iterator[None]:
    """Hold the exclusive lock, waiting at most ``timeout`` seconds for another writer to finish."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, timeout, dataset)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, timeout: float, dataset: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise DatasetLockedError(
                    f"another writer holds the lock (waited {timeout:g}s); retry when it has finished", dataset
                ) from None
            time.sleep(POLL_SECONDS)
