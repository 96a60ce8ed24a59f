"""Entity writes: create, update (merge-PATCH or read-modify-PUT), replace and delete.

Rule: updates are optimistic. They send ``If-Unmodified-Since`` (the ``UpdatedDate`` the
caller read, or the one read just before a PUT), so a record someone else changed in
between is never overwritten: the server answers 412 and ``PreconditionFailed`` is raised.
Entities without a carrier timestamp (Product, Pricelist) have no such guard: asking for one
is a ``ValueError``, not a header the service silently ignores (``products.update_if_unchanged``
is their compare-and-set).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sluice.errors import NotFoundError

from .entities import Entity, json_object
from .watermark import http_date, parse_timestamp

if TYPE_CHECKING:
    from .transport import SuperOfficeTransport

MERGE_PATCH = "application/merge-patch+json"


def create(client: SuperOfficeTransport, e: Entity, values: dict[str, Any]) -> dict[str, Any]:
    """``GET {path}/default`` (server defaults), overlay ``values``, ``POST``; the saved carrier."""
    default = json_object(client.request("GET", f"{e.path}/default"), f"GET {e.path}/default")
    body = merge(default, values)
    body[e.carrier_key] = 0  # 0 means insert
    return json_object(client.request("POST", e.path, json=body), f"POST {e.path}")


def update(
    client: SuperOfficeTransport,
    e: Entity,
    key: int,
    changes: dict[str, Any],
    *,
    unmodified_since: datetime | None = None,
    method: str | None = None,
) -> dict[str, Any]:
    """Apply ``changes`` (a merge patch) to one record; PATCH where allowed, else GET-modify-PUT."""
    _guardable(e, unmodified_since)
    method = (method or ("PATCH" if e.patchable else "PUT")).upper()
    if method == "PATCH":
        if not e.patchable:
            raise ValueError(f"SuperOffice {e.name} cannot be PATCHed; use method='PUT'")
        headers = {"Content-Type": MERGE_PATCH, **_precondition(unmodified_since)}
        response = client.request("PATCH", e.carrier_path(key), json=changes, headers=headers)
        return json_object(response, f"PATCH {e.carrier_path(key)}")
    current = client.get_carrier(e, key)
    if current is None:
        raise NotFoundError(f"SuperOffice {e.name} {key} not found", status=404, method="GET")
    read_at = parse_timestamp(current.get(e.carrier_updated)) if e.carrier_updated else None
    return replace(client, e, merge(current, changes), unmodified_since=unmodified_since or read_at)


def replace(
    client: SuperOfficeTransport, e: Entity, record: dict[str, Any], *, unmodified_since: datetime | None = None
) -> dict[str, Any]:
    """``PUT {path}/{id}``: the whole record replaces what is stored."""
    _guardable(e, unmodified_since)
    key = record.get(e.carrier_key)
    if not key:
        raise ValueError(f"a {e.name} to replace needs its {e.carrier_key}")
    response = client.request("PUT", e.carrier_path(int(key)), json=record, headers=_precondition(unmodified_since))
    return json_object(response, f"PUT {e.carrier_path(int(key))}")


def delete(client: SuperOfficeTransport, e: Entity, key: int, *, unmodified_since: datetime | None = None) -> bool:
    """``DELETE {path}/{id}``; False when it was already gone (deletes are idempotent)."""
    _guardable(e, unmodified_since)
    response = client.request("DELETE", e.carrier_path(key), headers=_precondition(unmodified_since), accept=(404,))
    return response.status_code != 404


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Overlay ``changes`` on ``base``: nested objects merge, anything else (``None`` too:
    a PUT must send the cleared field) replaces."""
    result = dict(base)
    for name, value in changes.items():
        if isinstance(value, dict) and isinstance(result.get(name), dict):
            result[name] = merge(result[name], value)
        else:
            result[name] = value
    return result


def _guardable(e: Entity, unmodified_since: datetime | None) -> None:
    if unmodified_since is not None and not e.carrier_updated:
        raise ValueError(
            f"SuperOffice {e.name} has no timestamps and its writes declare no 412: If-Unmodified-Since would be "
            "ignored; re-read and compare instead (products.update_if_unchanged)"
        )


def _precondition(unmodified_since: datetime | None) -> dict[str, str]:
    """HTTP dates carry whole seconds: round a fractional read time up, so the record we read
    does not count as modified after it (a truncated date would make our own read look stale)."""
    if not unmodified_since:
        return {}
    whole = unmodified_since.replace(microsecond=0)
    if whole != unmodified_since:
        whole += timedelta(seconds=1)
    return {"If-Unmodified-Since": http_date(whole)}
