"""Reading the shop's change feeds: the watermark a caller keeps, and the streamed result of one read.

Rule: a list is ordered by ``(updated_at, id)`` ascending, so the ``updated_at`` of the last record seen
is a safe place to resume at any moment (everything before it was seen). The next read asks for
``updated_since`` = that value (inclusive), so the boundary record comes once more; change detection
downstream drops the repeat. A record edited while we page moves behind the cursor and comes again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Watermark:
    """Where the next incremental read of one resource starts: ``updated_since``, exactly as the shop wrote it
    (RFC 3339, microseconds, UTC), so no precision is lost on the way round."""

    updated_since: str

    def __str__(self) -> str:
        return self.updated_since

    @classmethod
    def parse(cls, text: str) -> Watermark:
        """Inverse of ``str(watermark)`` (how a caller stores it)."""
        if not text or "T" not in text:
            raise ValueError(f"not a watermark: {text!r}")
        return cls(text)


Page = list[dict[str, Any]]


class ReadResult:
    """The records of one read, streamed page by page (iterate once); ``watermark`` follows the stream.

    ``watermark`` is the input watermark until a record arrives, then the last record's ``updated_at``;
    after a full iteration it is where the next incremental read starts. ``count`` and ``pages`` say
    how much came.
    """

    def __init__(self, pages: Callable[[], Iterator[Page]], since: Watermark | None) -> None:
        self._pages = pages
        self._started = False
        self.watermark: Watermark | None = since
        self.count = 0
        self.pages = 0
        self.exhausted = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._started:
            raise RuntimeError("a ReadResult streams once; call read() again for a new pass")
        self._started = True
        for page in self._pages():
            self.pages += 1
            for record in page:
                self.count += 1
                stamp = record.get("updated_at")
                if isinstance(stamp, str):
                    self.watermark = Watermark(stamp)
                yield record
        self.exhausted = True

    def to_list(self) -> list[dict[str, Any]]:
        return list(self)
