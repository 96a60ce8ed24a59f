"""Change-feed cursors: an opaque token for the last ``(updated_at, id)`` a page returned.

Rule: a cursor is a position in the feed's order, never an offset, so writes between pages
cannot shift a record past it.
"""

from __future__ import annotations

import base64
import binascii

PREFIX = "c1."


class BadCursor(ValueError):
    """The cursor was not issued by this shop (or was mangled)."""


def encode(updated_at: int, record_id: int) -> str:
    raw = f"{updated_at}:{record_id}".encode()
    return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[int, int]:
    if not cursor.startswith(PREFIX):
        raise BadCursor(f"unknown cursor {cursor[:40]!r}")
    body = cursor[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        updated_at, record_id = (int(part) for part in raw.split(":"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor(f"malformed cursor {cursor[:40]!r}") from exc
    if updated_at < 0 or record_id < 0 or updated_at >= 2**63 or record_id >= 2**63:
        raise BadCursor(f"cursor out of range {cursor[:40]!r}")
    return updated_at, record_id
