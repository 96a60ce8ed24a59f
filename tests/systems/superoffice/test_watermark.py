from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sluice.systems.superoffice.watermark import ReadResult, Watermark, http_date, parse_timestamp, server_time


def test_parse_timestamp_handles_superoffice_shapes() -> None:
    expected = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    assert parse_timestamp("2024-05-01T10:00:00Z") == expected
    assert parse_timestamp("2024-05-01T10:00:00") == expected
    assert parse_timestamp("2024-05-01T12:00:00+02:00") == expected
    assert parse_timestamp("2024-05-01T10:00:00.1234567Z") == expected + timedelta(microseconds=123456)
    assert parse_timestamp("0001-01-01T00:00:00") is None
    assert parse_timestamp("") is None and parse_timestamp(None) is None and parse_timestamp("garbage") is None


def test_watermark_round_trips_through_text_and_is_utc() -> None:
    mark = Watermark(datetime(2024, 5, 1, 10, 0, 1, 5))
    assert mark.updated.tzinfo is UTC
    assert Watermark.parse(str(mark)) == mark
    assert Watermark(datetime(2024, 1, 1)) < mark
    with pytest.raises(ValueError):
        Watermark.parse("yesterday")


def test_http_dates_and_server_clock() -> None:
    moment = datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC)
    assert http_date(moment) == "Wed, 01 May 2024 10:00:01 GMT"
    assert server_time("Wed, 01 May 2024 10:00:01 GMT") == moment
    assert server_time(None) is None and server_time("soon") is None


def test_read_result_counts_and_marks_the_first_server_time_only() -> None:
    result = ReadResult(entity="contact", records=iter([{"a": 1}, {"a": 2}]))
    with pytest.raises(RuntimeError):
        _ = result.watermark
    first = datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC)
    result.mark(first)
    result.mark(first + timedelta(hours=1))
    assert list(result) == [{"a": 1}, {"a": 2}]
    assert result.count == 2
    assert result.watermark == Watermark(first - timedelta(seconds=1))
