"""Seeded timestamps as integer seconds since 1970 (UTC) and their text forms, without a datetime per row.

Rule: seeded moments lie before ``ANCHOR`` (so a seed gives the same data on any day); text is exactly what
``datetime.isoformat`` writes for a whole second, and the store's fixed-width form adds ``.000000``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sluice.simulators.superoffice.draws import Bits, below

ANCHOR = datetime(2025, 6, 1, 12, 0, 0)
"""Seeded timestamps lie before this fixed moment, so a seed gives the same data on any day."""

EPOCH = datetime(1970, 1, 1)
ANCHOR_SECONDS = int((ANCHOR - EPOCH).total_seconds())


def iso_seconds(moment: int) -> str:
    """Epoch seconds -> ``YYYY-MM-DDTHH:MM:SS``."""
    day, clock = divmod(moment, 86400)
    return f"{_day_text(day)}T{_clock_text(clock)}"


def iso_micro(moment: int) -> str:
    """Epoch seconds -> the store's ``YYYY-MM-DDTHH:MM:SS.000000``."""
    day, clock = divmod(moment, 86400)
    return f"{_day_text(day)}T{_clock_text(clock)}.000000"


def seconds(text: str) -> int:
    """``YYYY-MM-DDTHH:MM:SS[...]`` -> epoch seconds (the day part is cached; only the clock is parsed)."""
    return _day_number(text[:10]) * 86400 + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])


def later(bits: Bits, start: int) -> int:
    """A moment in [start, ANCHOR) drawn as ``randrange(max(ANCHOR - start, 1))`` seconds after ``start``."""
    return start + below(bits, max(ANCHOR_SECONDS - start, 1))


@cache
def _day_text(day: int) -> str:
    return (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")


@cache
def _clock_text(clock: int) -> str:
    return f"{clock // 3600:02d}:{clock // 60 % 60:02d}:{clock % 60:02d}"


@cache
def _day_number(text: str) -> int:
    return (datetime.fromisoformat(text) - EPOCH).days
