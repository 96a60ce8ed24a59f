"""Restoring a soft-deleted contact from the recycle bin, as a SuperOffice user does in Personal settings >
Recycle bin (``learn/basics/deleting-elements``: "Restoring a company will also restore all contacts
associated with this company"); the WebAPI documents no restore call, so the simulator offers it as an admin
action, ``POST /_admin/restore`` or ``SuperOfficeSimulator.restore_contact``.

Rule: a restore is one transaction: the contact leaves the recycle bin (``Deleted`` 0, no ``deletedDate``)
with its soft-deleted persons, and each counts as changed (``updated`` is bumped), so an incremental read sees
the restore. [I] Whether a real tenant bumps ``updated`` is not documented; if it does not, a full read finds it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Request

from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.store import Store, utc_now


@dataclass(frozen=True)
class Restored:
    """What a restore brought back."""

    contact_id: int
    persons: int
    restored_at: str


def restore_contact(store: Store, contact_id: int) -> Restored:
    """Take a soft-deleted contact (and its soft-deleted persons) out of the recycle bin.

    404 when the contact does not exist (never, or purged), 409 when it is not deleted."""
    now = utc_now()
    with store.transaction() as conn:
        row = conn.execute("SELECT deleted FROM contact WHERE id = ?", (contact_id,)).fetchone()
        if row is None:
            raise SoError(404, f"Contact id {contact_id} not found (never created, or purged from the recycle bin)")
        if not row["deleted"]:
            raise SoError(409, f"Contact id {contact_id} is not in the recycle bin")
        conn.execute("UPDATE contact SET deleted = 0, deleted_date = NULL, updated = ? WHERE id = ?", (now, contact_id))
        persons = conn.execute(
            "UPDATE person SET deleted_date = NULL, updated = ? WHERE contact_id = ? AND deleted_date IS NOT NULL",
            (now, contact_id),
        ).rowcount
    return Restored(contact_id, persons, now)


def restore_router(store: Store) -> APIRouter:
    router = APIRouter()

    @router.post("/_admin/restore")
    async def post_restore(request: Request) -> dict[str, Any]:
        """Body: ``{"contact_id": 42}``; answers what was restored (404 unknown, 409 not deleted)."""
        return asdict(restore_contact(store, _contact_id(await request.body())))

    return router


def _contact_id(raw: bytes) -> int:
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise SoError(400, f"restore: body is not JSON ({exc})") from exc
    value = body.get("contact_id") if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SoError(400, f'restore: body must be an object like {{"contact_id": 42}}, not {body!r}')
    return value
