"""One writer per dataset: a second writer waits, then fails clearly; the OS frees a dead holder's lock.

The flock tests are about the local lock file; the S3 lease has its own in test_s3.py."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sluice.datasets import DatasetStore
from sluice.datasets.layout import Layout
from sluice.datasets.lock import write_lock
from sluice.errors import DatasetLockedError

HOLD = """
import sys, time
from pathlib import Path
from sluice.datasets.lock import write_lock
with write_lock(Path(sys.argv[1]), 5, "company"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_second_writer_fails_clearly_after_its_timeout(local_root: Path, companies) -> None:
    store = DatasetStore(local_root, lock_timeout=0.3)
    store.write("company", companies(3), key="id")
    layout = Layout.of(local_root, "company")
    with write_lock(layout.lock_path, 1, "company"):
        started = time.monotonic()
        with pytest.raises(DatasetLockedError, match="another writer holds the lock"):
            store.write("company", companies(5), key="id")
        assert time.monotonic() - started >= 0.3
    assert store.write("company", companies(5), key="id").new == 2


def test_second_writer_waits_for_the_first(local_root: Path, companies) -> None:
    store = DatasetStore(local_root, lock_timeout=5)
    store.write("company", companies(3), key="id")
    layout = Layout.of(local_root, "company")
    release = threading.Event()

    def hold() -> None:
        with write_lock(layout.lock_path, 1, "company"):
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    threading.Timer(0.3, release.set).start()
    assert DatasetStore(local_root, lock_timeout=5).write("company", companies(4), key="id").new == 1
    holder.join()


def test_lock_of_a_killed_process_is_released(local_root: Path, companies) -> None:
    store = DatasetStore(local_root, lock_timeout=0.2)
    store.write("company", companies(1), key="id")
    lock = Layout.of(local_root, "company").lock_path
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(DatasetLockedError):
            store.write("company", companies(2), key="id")
    finally:
        proc.kill()
        proc.wait()
    assert store.write("company", companies(2), key="id").new == 1


def test_threads_sharing_a_store_serialise_their_writes(dataset_root: Path, companies) -> None:
    store = DatasetStore(dataset_root, lock_timeout=30)
    errors: list[BaseException] = []

    def writer(start: int) -> None:
        try:
            for round_ in range(3):
                store.write("company", companies(20, start=start, employees=round_), key="id")
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n * 100,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    offsets = store.changes("company", since=-1)["_offset"].to_pylist()
    assert offsets == list(range(4 * 3 * 20))  # every write appended once, no offset reused
    assert store.info("company").live == 80
