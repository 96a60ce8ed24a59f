"""Cheap full reads: list every key with its date-only ``updatedDate``, fetch only what may have changed.

Rule: a scan never skips a change. It fetches the carrier of every listed key the caller does not
hold (new, or back from deletion) and of every key whose list row says it may have changed since
the caller's watermark (the watermark of its last successful read); the keys it lists and vouches
for without fetching are ``ReadResult.kept``, so the caller keeps them and tombstones only what the
list no longer has. ``updatedDate`` is a 'date' column: it carries no usable time and may be in the
tenant's time zone (UTC-12 to UTC+14), so a day of slack is allowed on every comparison. It
assumes what incremental reads already assume: SuperOffice moves ``updated`` on every change
(``--deep`` re-reads every carrier for the change that does not).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .entities import Entity
from .paging import row_key
from .reads import clock
from .watermark import ReadResult, Watermark, parse_timestamp

if TYPE_CHECKING:
    from sluice.systems.http import Progress

    from .transport import SuperOfficeTransport

SLACK = timedelta(days=1)
"""A list date is a local date: any UTC offset from -24 h to +24 h moves it by at most one day."""


def list_day(value: Any) -> date | None:
    """The date part of a list row's ``updatedDate``; None for SuperOffice's empty date (the time part
    is ignored: a 'date' column's time is not to be trusted). ValueError when it is not a date."""
    if value is None or value == "":
        return None
    day = date.fromisoformat(str(value)[:10])
    return None if day.year <= 1 else day


def may_have_changed(listed: Any, stored: Any, since: Watermark, *, compare_stored: bool = True) -> bool:
    """Whether a held record's list row says it may have changed since ``since``.

    ``listed``: the row's ``updatedDate``; ``stored``: the held carrier's UTC change timestamp. True when
    the list date is on or after the watermark's date less a day (a change at or after the watermark
    shows, in any time zone, on that date or later: the same-day edit before the watermark is fetched
    too, it cannot be told apart), or when it differs from the stored timestamp's date by more than a
    day (the held copy is not the one the list describes), or when it does not parse."""
    try:
        day = list_day(listed)
    except ValueError:
        return True
    if day is not None and day >= since.updated.date() - SLACK:
        return True
    if not compare_stored:
        return False
    held = parse_timestamp(stored)
    if day is None or held is None:
        return (day is None) != (held is None)
    return abs(day - held.date()) > SLACK


def scan(
    client: SuperOfficeTransport,
    e: Entity,
    since: Watermark,
    held: Mapping[int, Any],
    progress: Progress | None = None,
) -> ReadResult:
    """A lazy full ``ReadResult`` (mode ``scan``): the carriers of new and maybe-changed keys; ``kept``
    the other listed keys. ``held`` maps each key the caller holds to its stored ``carrier_updated``
    value; ``progress(n)`` after each list page (the list is the scan's work)."""
    result = ReadResult(entity=e.name, records=iter(()), since=since, mode="scan")
    keys = _to_fetch(client, e, since, held, result, progress)
    result.records = client.carriers(e, keys, failed=result.failed)
    return result


def _to_fetch(
    client: SuperOfficeTransport,
    e: Entity,
    since: Watermark,
    held: Mapping[int, Any],
    result: ReadResult,
    progress: Progress | None,
) -> Iterator[int]:
    """Listed keys to fetch, in key order; the others go to ``result.kept``."""
    rows = client.list_rows(
        e.path,
        e.list_key,
        (e.list_key, e.updated_column),
        filter=e.list_filter,
        progress=progress,
        on_response=clock(result),
    )
    compare = e.carrier_updated is not None
    for row in rows:
        key = row_key(row, e.list_key)
        if key in held and not may_have_changed(row.get(e.updated_column), held[key], since, compare_stored=compare):
            result.kept.add(key)
        else:
            yield key
