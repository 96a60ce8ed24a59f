"""The change feed's building blocks: a clock that never repeats, cursors, merge patches."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.simulators.customwebshop import cursor
from sluice.simulators.customwebshop.clock import MonotonicClock, format_ts, to_micros
from sluice.simulators.customwebshop.merge import merge_patch


def test_clock_is_strictly_increasing_across_threads() -> None:
    clock = MonotonicClock()
    stamps: list[int] = []
    lock = threading.Lock()

    def tick() -> None:
        mine = [clock.now() for _ in range(2000)]
        with lock:
            stamps.extend(mine)

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(stamps)) == len(stamps) == 8000


def test_clock_never_goes_below_its_floor() -> None:
    future = to_micros(datetime.now(UTC) + timedelta(days=1))
    clock = MonotonicClock()
    clock.advance_to(future)
    assert clock.now() == future + 1


def test_timestamps_round_trip_with_microseconds() -> None:
    moment = datetime(2026, 11, 26, 7, 0, 0, 123456, tzinfo=UTC)
    assert format_ts(to_micros(moment)) == "2026-11-26T07:00:00.123456Z"
    assert to_micros(moment.astimezone(timezone(timedelta(hours=2)))) == to_micros(moment)
    assert to_micros(moment.replace(tzinfo=None)) == to_micros(moment)


@given(st.integers(0, 2**62), st.integers(0, 2**62))
def test_cursor_round_trip(updated_at: int, record_id: int) -> None:
    assert cursor.decode(cursor.encode(updated_at, record_id)) == (updated_at, record_id)


@pytest.mark.parametrize("bad", ["", "c1.", "c1.!!!", "x1.MTox", "c1.YWJj", "c1.LTE6LTE"])
def test_bad_cursors_are_refused(bad: str) -> None:
    with pytest.raises(cursor.BadCursor):
        cursor.decode(bad)


def test_merge_patch_follows_rfc_7396() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}
    patch = {"a": "z", "c": {"f": None}, "l": [3], "n": {"x": None}}
    assert merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}, "l": [3], "n": {}}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}
