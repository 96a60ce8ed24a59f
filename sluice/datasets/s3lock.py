"""The one-writer-per-dataset lock on S3: a lease object taken and renewed with conditional puts.

Rule: S3 has no ``flock`` and a holder on another machine may die without a word, so the lock is a small
JSON object ``{"owner", "host", "pid", "expires"}``: taken with ``If-None-Match: *`` (new) or
``If-Match`` on the ETag of an expired or released lease (take-over), renewed by a heartbeat thread
with ``If-Match`` on its own ETag, and released the same way. A killed holder blocks others for at most
one lease. The lease only saves wasted work: the manifest commit (``If-Match``) is what keeps a writer
whose lease was taken over from publishing over the new holder.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sluice.datasets.s3client import S3Client
from sluice.errors import DatasetError, DatasetLockedError

POLL_SECONDS = 0.1


@contextmanager
def s3_lease(client: S3Client, key: str, timeout: float, lease: float, dataset: str) -> Iterator[None]:
    """Hold the lease on ``key``, waiting at most ``timeout`` seconds for another holder to finish."""
    owner = uuid.uuid4().hex
    etag = _acquire(client, key, owner, timeout, lease, dataset)
    heartbeat = Heartbeat(client, key, owner, etag, lease)
    heartbeat.start()
    try:
        yield
    finally:
        heartbeat.stop()
        _release(client, key, owner, heartbeat.etag)


def _release(client: S3Client, key: str, owner: str, etag: str) -> None:
    """Mark the lease free (only if it is still ours); if S3 is unreachable it simply runs out."""
    with suppress(DatasetError):
        client.put(key, _body(owner, expires=0.0), if_match=etag)  # None: it was taken over already


def _acquire(client: S3Client, key: str, owner: str, timeout: float, lease: float, dataset: str) -> str:
    deadline = time.monotonic() + timeout
    while True:
        found = client.get(key)
        body = _body(owner, expires=time.time() + lease)
        if found is None:
            etag = client.put(key, body, if_absent=True)
        elif _free(found[0]):
            etag = client.put(key, body, if_match=found[1])
        else:
            etag = None
        if etag is not None:
            return etag
        if time.monotonic() >= deadline:
            raise DatasetLockedError(
                f"another writer holds the lock (waited {timeout:g}s); retry when it has finished", dataset
            )
        time.sleep(POLL_SECONDS)


def _body(owner: str, expires: float) -> bytes:
    return json.dumps({"owner": owner, "host": socket.gethostname(), "pid": os.getpid(), "expires": expires}).encode()


def _free(body: bytes) -> bool:
    """Released or expired; an unreadable lease object counts as free (no writer of ours makes one)."""
    try:
        return float(json.loads(body)["expires"]) < time.time()
    except (ValueError, KeyError, TypeError):
        return True


class Heartbeat(threading.Thread):
    """Renews the lease every third of its length; stops renewing once it was taken over."""

    def __init__(self, client: S3Client, key: str, owner: str, etag: str, lease: float) -> None:
        super().__init__(name=f"sluice-lease-{key}", daemon=True)
        self.client, self.key, self.owner, self.etag, self.lease = client, key, owner, etag, lease
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.lease / 3):
            try:
                etag = self.client.put(self.key, _body(self.owner, time.time() + self.lease), if_match=self.etag)
            except DatasetError:
                continue  # S3 unreachable for a moment: try again next beat, the lease is not over yet
            if etag is None:
                return  # taken over: the commit's If-Match will refuse our write
            self.etag = etag

    def stop(self) -> None:
        self._stopped.set()
        self.join()
