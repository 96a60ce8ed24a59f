"""The hard purge of soft-deleted contacts and persons, which SuperOffice runs 14 days after the soft delete
(api-notes, Deletions); the simulator has no background jobs, so ``POST /_admin/purge`` runs it on demand,
optionally "as of" a later moment so tests and demos need not wait two weeks.

Rule: a purge is one transaction and leaves nothing pointing at a missing row: a purged contact takes its
persons and its sales (with their quote trees) along, as deleting a company does in SuperOffice; a sale whose
person is purged stays, loses its person reference and counts as changed (``updated`` is bumped).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from sluice.simulators.superoffice.carriers import parse_datetime
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.store import Store, stamp

RETENTION_DAYS = 14

_CONTACTS = "SELECT id FROM contact WHERE deleted != 0 AND deleted_date <= :cutoff"
_PERSONS = f"SELECT id FROM person WHERE deleted_date <= :cutoff OR contact_id IN ({_CONTACTS})"
_SALES = f"SELECT id FROM sale WHERE contact_id IN ({_CONTACTS})"
_QUOTES = f"SELECT id FROM quote WHERE sale_id IN ({_SALES})"
_VERSIONS = f"SELECT id FROM quote_version WHERE quote_id IN ({_QUOTES})"
_ALTERNATIVES = f"SELECT id FROM quote_alternative WHERE version_id IN ({_VERSIONS})"


@dataclass(frozen=True)
class Purged:
    """How many rows a purge removed (sales: removed with their contact; orphaned: kept, person reference cut)."""

    cutoff: str
    contacts: int
    persons: int
    sales: int
    orphaned_sales: int


def purge(store: Store, now: datetime | None = None, days: float = RETENTION_DAYS) -> Purged:
    """Hard-delete what was soft-deleted at least ``days`` before ``now`` (naive UTC; default: the clock)."""
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    params = {"cutoff": stamp(moment - timedelta(days=days)), "now": stamp(datetime.now(UTC).replace(tzinfo=None))}
    with store.transaction() as conn:
        for table, parent, ids in (
            ("quote_line", "alternative_id", _ALTERNATIVES),
            ("quote_alternative", "version_id", _VERSIONS),
            ("quote_version", "quote_id", _QUOTES),
            ("quote", "sale_id", _SALES),
        ):
            conn.execute(f"DELETE FROM {table} WHERE {parent} IN ({ids})", params)
        sales = conn.execute(f"DELETE FROM sale WHERE id IN ({_SALES})", params).rowcount
        orphaned = conn.execute(
            "UPDATE sale SET person_id = NULL, data = json_remove(data, '$.Person'), updated = :now "
            f"WHERE person_id IN ({_PERSONS})",
            params,
        ).rowcount
        persons = conn.execute(f"DELETE FROM person WHERE id IN ({_PERSONS})", params).rowcount
        contacts = conn.execute(f"DELETE FROM contact WHERE id IN ({_CONTACTS})", params).rowcount
    return Purged(params["cutoff"], contacts, persons, sales, orphaned)


def purge_router(store: Store) -> APIRouter:
    router = APIRouter()

    @router.post("/_admin/purge")
    async def post_purge(request: Request) -> dict[str, Any]:
        """Body (optional): ``{"now": "2025-07-01T00:00:00", "days": 14}``; answers what was removed."""
        now, days = _purge_args(await request.body())
        return asdict(purge(store, now, days))

    return router


def _purge_args(raw: bytes) -> tuple[datetime | None, float]:
    """Read and validate the optional body (-> 400 with the reason, before anything is deleted)."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise SoError(400, f"purge: body is not JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise SoError(400, 'purge: body must be an object like {"now": "2025-07-01T00:00:00", "days": 14}')
    days = body.get("days", RETENTION_DAYS)
    if isinstance(days, bool) or not isinstance(days, int | float) or not 0 <= days <= 36500:
        raise SoError(400, f"purge: days must be a number of days from 0 to 36500, not {days!r}")
    now = body.get("now")
    if now is None:
        return None, float(days)
    parsed = parse_datetime(now) if isinstance(now, str) else None
    if parsed is None:
        raise SoError(400, f"purge: now must be an ISO 8601 date-time, not {now!r}")
    return parsed, float(days)
