"""The cheap full read: which listed rows may have changed (any time zone, the same-day edge), and the scan
against the simulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from sluice.systems.superoffice import Watermark
from sluice.systems.superoffice.full_scan import list_day, may_have_changed

from .conftest import Running, start

MOMENTS = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
OFFSETS = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m))
"""Every UTC offset a tenant can show its dates in."""


def listed(moment: datetime, offset: timedelta) -> str:
    """The list row's ``updatedDate`` for a change at ``moment``, shown in a zone ``offset`` from UTC."""
    return (moment + offset).replace(tzinfo=None).isoformat(timespec="seconds")


@given(mark=MOMENTS, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)), offset=OFFSETS)
def test_a_change_at_or_after_the_watermark_is_never_skipped(mark: datetime, later: timedelta, offset: timedelta):
    """Whatever the zone, and whatever the stored copy says (it is the one from before the change)."""
    changed = mark + later
    stored = (mark - timedelta(days=400)).isoformat()
    assert may_have_changed(listed(changed, offset), stored, Watermark(mark))
    assert may_have_changed(listed(changed, offset), stored, Watermark(mark), compare_stored=False)


@given(mark=MOMENTS, earlier=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=23)))
def test_an_edit_earlier_on_the_watermarks_day_is_fetched(mark: datetime, earlier: timedelta):
    """The list date cannot tell it from one after the watermark: it is re-read (change detection drops it)."""
    changed = max(mark - earlier, mark.replace(hour=0, minute=0, second=0, microsecond=0))
    assert may_have_changed(listed(changed, timedelta(0)), changed.isoformat(), Watermark(mark))


@given(mark=MOMENTS, age=st.integers(min_value=3, max_value=3000), offset=OFFSETS)
def test_a_row_unchanged_for_days_whose_list_date_matches_the_stored_copy_is_kept(
    mark: datetime, age: int, offset: timedelta
):
    changed = mark - timedelta(days=age)
    assert not may_have_changed(listed(changed, offset), changed.isoformat(), Watermark(mark))


def test_a_list_date_days_away_from_the_stored_copy_is_fetched():
    mark = Watermark(datetime(2026, 12, 1, 10, tzinfo=UTC))
    assert may_have_changed("2025-06-01T00:00:00", "2025-05-20T08:00:00Z", mark)  # the held copy is older
    assert may_have_changed("2025-05-20T00:00:00", "2025-06-01T08:00:00Z", mark)  # the list went back
    assert not may_have_changed("2025-05-20T00:00:00", "2025-05-20T23:59:00Z", mark)
    assert not may_have_changed("2025-05-20T00:00:00", "2025-05-19T23:00:00Z", mark)  # a zone apart
    assert not may_have_changed("2025-05-20", None, mark, compare_stored=False)  # no carrier timestamp


def test_empty_and_unreadable_list_dates():
    mark = Watermark(datetime(2026, 12, 1, 10, tzinfo=UTC))
    assert list_day("0001-01-01T00:00:00") is None and list_day("") is None
    assert not may_have_changed("0001-01-01T00:00:00", None, mark)  # never updated, nothing stored: the same
    assert may_have_changed("0001-01-01T00:00:00", "2025-05-20T08:00:00Z", mark)
    assert may_have_changed("2025-05-20T00:00:00", None, mark)
    assert may_have_changed("yesterday", "2025-05-20T08:00:00Z", mark)


@pytest.fixture
def fresh() -> Iterator[Running]:
    yield from start(seed=7, contacts=2500)


def test_a_scan_lists_every_page_and_fetches_only_what_it_cannot_vouch_for(fresh: Running):
    so = fresh.client()
    full = so.read("contact")
    held = {r["ContactId"]: r["UpdatedDate"] for r in full}
    assert len(held) == 2500
    keys = sorted(held)
    del held[keys[10]]  # not held: fetched whatever its date
    so.update("contact", keys[20], {"Department": "after the watermark"})
    requests.delete(f"{fresh.server.url}/_admin/stats")
    pages = []
    scan = so.scan("contact", full.watermark, held, progress=pages.append)
    fetched = sorted(r["ContactId"] for r in scan)
    assert fetched == [keys[10], keys[20]]
    assert scan.mode == "scan" and scan.kept == set(keys) - {keys[10], keys[20]}
    assert pages == [1000, 1000, 500]
    assert requests.get(f"{fresh.server.url}/_admin/stats").json()["by_method"]["GET"] == 3 + 2
    assert scan.watermark >= full.watermark
