"""Batch writes: the per-item answer of ``POST /{resource}/batch`` and how items are chunked.

Rule: one item's failure never hides another's result: every item gets a ``BatchItemResult`` with the
status the single-record call would have answered, and a failed item becomes the same error class the
single call would have raised (``error``), so callers sort batch and single outcomes alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sluice.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    PermanentError,
    PreconditionFailed,
    TransientError,
)
from sluice.systems.http import TRANSIENT_STATUS

MAX_BATCH = 100
ITEM_ERRORS: dict[int, type[ApiError]] = {
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailed,
}


@dataclass(frozen=True)
class BatchItemResult:
    """``index`` is the item's position in the caller's list (across chunks)."""

    index: int
    status: int
    record: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def created(self) -> bool:
        return self.status == 201

    @property
    def message(self) -> str:
        """A short human reason for a failed item (title, detail and field errors of the problem)."""
        if self.problem is None:
            return ""
        return problem_message(self.problem)

    def error(self, resource: str) -> ApiError:
        """The error a failed item stands for, classified as ``HttpClient.classify`` does a response."""
        url = f"{resource}/batch"
        message = f"POST {url} item {self.index} -> {self.status}: {self.message or 'no problem details'}"
        body = json.dumps(self.problem)[:2000] if self.problem is not None else None
        kind = TransientError if self.status in TRANSIENT_STATUS else ITEM_ERRORS.get(self.status, PermanentError)
        return kind(message, status=self.status, method="POST", url=url, body=body)


def problem_message(problem: dict[str, Any]) -> str:
    """``"Validation failed: 1 invalid field(s) (email: value is not a valid email)"``"""
    text = str(problem.get("title") or "error")
    if problem.get("detail"):
        text += f": {problem['detail']}"
    errors = problem.get("errors") or []
    if errors and isinstance(errors, list):
        text += (
            " (" + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors[:5] if isinstance(e, dict)) + ")"
        )
    return text


def chunks(items: Sequence[dict[str, Any]], size: int = MAX_BATCH) -> Iterator[tuple[int, Sequence[dict[str, Any]]]]:
    """``(offset, chunk)`` pairs of at most ``size`` items."""
    for offset in range(0, len(items), size):
        yield offset, items[offset : offset + size]
