"""Watermarks and read results for SuperOffice reads.

Rule: the client never stores a watermark. A read hands back a ``ReadResult`` whose
``watermark`` is the server's clock when the read began; the caller persists it only after
it has stored every record (so a crashed run re-reads, never skips).
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sluice.errors import ApiError

EMPTY_DATE_YEAR = 1  # SuperOffice writes an empty date as 0001-01-01T00:00:00
CLOCK_MARGIN = timedelta(seconds=1)  # the Date header is truncated to the second (and may lag)

_FRACTION = re.compile(r"(\.\d{6})\d+")


@dataclass(frozen=True, order=True)
class Watermark:
    """ "Everything updated at or after ``updated`` (UTC)" — the next incremental read's start."""

    updated: datetime

    def __post_init__(self) -> None:
        if self.updated.tzinfo is None:
            object.__setattr__(self, "updated", self.updated.replace(tzinfo=UTC))

    def __str__(self) -> str:
        return self.updated.astimezone(UTC).isoformat()

    @classmethod
    def parse(cls, text: str) -> Watermark:
        """Inverse of ``str(watermark)`` (how a caller stores it)."""
        moment = parse_timestamp(text)
        if moment is None:
            raise ValueError(f"not a watermark: {text!r}")
        return cls(moment)


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 carrier/archive timestamp as an aware UTC datetime; None for empty dates.

    Accepts ``Z``, offsets, no zone (taken as UTC) and .NET's 7 fractional digits."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = _FRACTION.sub(r"\1", value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.year <= EMPTY_DATE_YEAR:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def http_date(moment: datetime) -> str:
    """An RFC 7231 HTTP-date (for If-Unmodified-Since / If-Modified-Since)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return email.utils.format_datetime(aware.astimezone(UTC), usegmt=True)


def server_time(date_header: str | None) -> datetime | None:
    """The server clock from a ``Date`` response header, if it parses."""
    if not date_header:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class ReadResult:
    """The records of one read (a lazy, single-pass stream) and the watermark to store after it.

    ``mode`` says how the rows were found: ``full`` (every record), ``dynamic``
    (``Archive/Dynamic`` ``afterTime``, exact) or ``date`` (date-only ``updatedDate``
    with the boundary day re-read and repeats dropped). ``failed`` holds the listed records whose
    carrier could not be fetched (after retries), by key: the read goes on without them."""

    entity: str
    records: Iterator[dict[str, Any]] = field(repr=False)
    since: Watermark | None = None
    mode: str = "full"
    count: int = 0
    failed: dict[int, ApiError] = field(default_factory=dict, repr=False)
    _watermark: Watermark | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for record in self.records:
            self.count += 1
            yield record

    @property
    def watermark(self) -> Watermark:
        """The start of the next incremental read; known once the first list page arrived."""
        if self._watermark is None:
            raise RuntimeError("the watermark is known once the records have been read")
        return self._watermark

    def mark(self, moment: datetime) -> None:
        """Record the server time at which the read began (minus the Date header's truncation)."""
        if self._watermark is None:
            self._watermark = Watermark(moment - CLOCK_MARGIN)
