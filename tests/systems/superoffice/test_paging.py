from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from sluice.errors import ApiError
from sluice.systems.superoffice.paging import ListQuery, all_of, date_after, quote, row_key, time_after


def test_seek_paging_filters_on_the_key_and_keeps_the_callers_filter() -> None:
    query = ListQuery("Contact", "contactId", ("updatedDate",), filter="name begins 'A'", page_size=500)
    first = query.params(None, 0)
    assert first == {
        "$select": "contactId,updatedDate",
        "$orderBy": "contactId",
        "$top": "500",
        "$filter": "name begins 'A'",
    }
    later = query.params(1234, 500)
    assert later["$filter"] == "name begins 'A' and contactId gt 1234"
    assert "$skip" not in later


def test_offset_paging_uses_skip() -> None:
    query = ListQuery("Archive/X", "id", ("id",), seek=False, page_size=10)
    assert "$skip" not in query.params(None, 0) and "$filter" not in query.params(None, 0)
    assert query.params(10, 10)["$skip"] == "10"


def test_filter_literals_are_quoted_and_times_are_utc() -> None:
    assert quote("O'Brien") == "'O''Brien'"
    assert all_of(None, "a eq 1", "", "b eq 2") == "a eq 1 and b eq 2"
    assert all_of(None) is None
    assert date_after("updatedDate", date(2024, 5, 1)) == "updatedDate after '2024-05-01'"
    oslo = timezone(timedelta(hours=2))
    moment = datetime(2024, 5, 1, 12, 30, 15, 999_000, tzinfo=oslo)
    assert time_after("contact.updated", moment) == "contact.updated afterTime '2024-05-01T10:30:15'"
    assert time_after("x", datetime(2024, 5, 1, 10, 0)) == "x afterTime '2024-05-01T10:00:00'"
    assert datetime(2024, 5, 1, tzinfo=UTC)  # naive input above was taken as UTC


def test_row_key_reads_the_key_column_or_primary_key() -> None:
    assert row_key({"contactId": 7}, "contactId") == 7
    assert row_key({"PrimaryKey": "25"}, "contactId") == 25
    with pytest.raises(ApiError, match="contactId"):
        row_key({"name": "x"}, "contactId")
