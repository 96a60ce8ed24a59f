"""A Prefect progress artifact for a long pull: how many records have arrived, updated as pages come in.

Rule: progress is decoration. It is throttled (at most one API call a second) and a failure to
update it is logged once and never fails or slows the pull it describes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

MIN_INTERVAL = 1.0
"""Seconds between two updates of the artifact."""


def progress_key(dataset: str) -> str:
    """The artifact key for one dataset's pulls (Prefect keys allow lowercase letters, digits and dashes)."""
    return "pull-" + "".join(c if c.isalnum() else "-" for c in dataset.lower())


def estimate_percent(read: int, expected: int | None) -> float:
    """Percent done: read / expected, held below 100 until the pull ends (a source may have grown);
    0 when there is nothing to compare with (the description still shows the count)."""
    if not expected:
        return 0.0
    return min(99.0, 100.0 * read / expected)


class PullProgress:
    """The ``progress(n)`` callback the clients call per page; keeps one progress artifact current.

    ``expected`` is the number of records the pull will probably read (the dataset's live count for a
    full pull), or None when unknown (an incremental pull).
    """

    def __init__(
        self,
        dataset: str,
        expected: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        min_interval: float = MIN_INTERVAL,
    ) -> None:
        self.dataset = dataset
        self.expected = expected
        self.read = 0
        self._clock = clock
        self._min_interval = min_interval
        self._last = clock()
        self._lock = threading.Lock()
        self._failed = False
        self.artifact_id: UUID | None = self._safely(
            lambda: create_progress_artifact(0.0, key=progress_key(dataset), description=self._describe())
        )

    def __call__(self, n: int) -> None:
        with self._lock:
            self.read += n
            now = self._clock()
            if now - self._last < self._min_interval:
                return
            self._last = now
        self._update(estimate_percent(self.read, self.expected))

    def finish(self, failed: int = 0) -> None:
        """Mark the pull done (100%) with its final count and the records it could not read or store."""
        self._update(100.0, done=True, failed=failed)

    def _update(self, percent: float, done: bool = False, failed: int = 0) -> None:
        if self.artifact_id is None:
            return
        artifact_id = self.artifact_id
        description = self._describe(done, failed)
        self._safely(lambda: update_progress_artifact(artifact_id, percent, description=description))

    def _describe(self, done: bool = False, failed: int = 0) -> str:
        of = f" of about {self.expected}" if self.expected and not done else ""
        text = f"{self.dataset}: {'read' if done else 'reading'} {self.read}{of} records"
        if failed:
            text += f"; {failed} failed, read again next run (`sluice deadletters list --flow pull`)"
        return text

    def _safely(self, call: Callable[[], UUID]) -> UUID | None:
        if self._failed:
            return None
        try:
            return call()
        except Exception as exc:  # progress must never fail the pull
            self._failed = True
            get_run_logger().warning("progress artifact for %s disabled: %s", self.dataset, exc)
            return None
