"""OData list paging and filter building for SuperOffice archive lists.

Rule: a list is always read ordered by its primary key, one page at a time, through
``HttpClient.request``; nothing here holds more than one page. The default is *seek* paging
(``key gt <last key>`` + ``$top``): unlike ``$skip`` it neither skips nor repeats rows when
records are created or deleted during the scan, and it costs the server the same on page
10,000 as on page 1. ``$skip`` paging is kept for providers that cannot filter on their key.

Wire format (``ODataSlimResponse``)::

    {"odata.metadata": "...", "odata.nextLink": null,
     "value": [{"PrimaryKey": "25", "EntityName": "contact", "contactId": 25, "updatedDate": "..."}]}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

import requests

from sluice.errors import ApiError

Progress = Callable[[int], None]


class Requester(Protocol):
    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response: ...


OnResponse = Callable[[requests.Response], None]


def quote(value: object) -> str:
    """An OData string literal: single quotes, embedded quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def all_of(*clauses: str | None) -> str | None:
    """Clauses joined with ``and`` (the only combinator SuperOffice documents); None when empty."""
    present = [c for c in clauses if c]
    return " and ".join(present) if present else None


def date_after(column: str, day: date) -> str:
    """``col after 'yyyy-mm-dd'``: strictly after that date ('date' columns ignore the time)."""
    return f"{column} after {quote(day.isoformat())}"


def time_after(column: str, moment: datetime) -> str:
    """``col afterTime 'yyyy-mm-ddTHH:MM:SS'`` (UTC; afterTime is inclusive, to the second)."""
    return f"{column} afterTime {quote(to_utc(moment).strftime('%Y-%m-%dT%H:%M:%S'))}"


def key_after(column: str, last: int) -> str:
    return f"{column} gt {int(last)}"


def to_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC (SuperOffice documents carrier timestamps as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class ListQuery:
    """One archive list read: which endpoint, which columns, which rows, ordered by ``key``."""

    path: str
    key: str
    select: tuple[str, ...]
    filter: str | None = None
    page_size: int = 1000
    seek: bool = True

    def params(self, last_key: int | None, skip: int) -> dict[str, str]:
        columns = self.select if self.key in self.select else (self.key, *self.select)
        params = {"$select": ",".join(columns), "$orderBy": self.key, "$top": str(self.page_size)}
        if self.seek:
            where = all_of(self.filter, None if last_key is None else key_after(self.key, last_key))
        else:
            where = self.filter
            if skip:
                params["$skip"] = str(skip)
        if where:
            params["$filter"] = where
        return params


def row_key(row: dict[str, Any], key: str) -> int:
    """The row's primary key as an int (from the key column, else ``PrimaryKey``)."""
    value = row[key] if key in row else row.get("PrimaryKey")
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ApiError(f"list row has no integer {key!r}: {str(row)[:200]}") from None


def iter_pages(
    http: Requester, query: ListQuery, on_response: OnResponse | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Yield the rows of each page until a short page. A page that does not move the key
    forward raises instead of looping forever (a server ignoring the filter or ``$skip``).
    ``on_response`` sees each raw response (the client reads the server clock from it)."""
    last_key: int | None = None
    skip = 0
    while True:
        response = http.request("GET", query.path, params=query.params(last_key, skip))
        if on_response:
            on_response(response)
        try:
            body = response.json()
        except ValueError:
            raise ApiError(f"GET {query.path}: the list answer is not JSON", status=response.status_code) from None
        rows = body.get("value") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise ApiError(f"GET {query.path}: expected an OData body with a 'value' list")
        if not rows:
            return
        first, last = row_key(rows[0], query.key), row_key(rows[-1], query.key)
        if last_key is not None and (first <= last_key or last < first):
            raise ApiError(f"GET {query.path}: paging did not advance past {query.key}={last_key}")
        yield rows
        if len(rows) < query.page_size:
            return
        last_key = last
        skip += len(rows)


def iter_rows(
    http: Requester, query: ListQuery, progress: Progress | None = None, on_response: OnResponse | None = None
) -> Iterator[dict[str, Any]]:
    """Every row of the list, page by page; ``progress(n)`` after each page."""
    for rows in iter_pages(http, query, on_response):
        yield from rows
        if progress:
            progress(len(rows))
