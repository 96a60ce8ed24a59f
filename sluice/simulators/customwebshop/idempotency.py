"""``Idempotency-Key`` for writes: the same key within 24 h gets the first answer, status included.

Rule: the answer is remembered in the same transaction as the write, so a client that lost the answer
(a dropped connection) and retries gets exactly what it missed, and never a second record. Reusing a key
for a different request (another method, path or body) is refused with 422: the key names one request.
Error answers (4xx) are remembered too, as the contract's "first response".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sluice.simulators.customwebshop.problems import PROBLEM_TYPE, ProblemError
from sluice.simulators.customwebshop.store import ShopStore, StoredResponse

Answer = tuple[int, Any, dict[str, str]]
"""(status, JSON-able body or None for no body, headers)."""


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(store: ShopStore, key: str | None, print_: str, produce: Callable[[], Answer]) -> StoredResponse:
    """Run ``produce`` (the write) unless ``key`` already has an answer; return the answer either way."""
    with store.transaction():
        if key is not None:
            earlier = store.recall(key)
            if earlier is not None:
                if earlier.fingerprint != print_:
                    raise _reused(earlier)
                return earlier
        try:
            status, body, headers = produce()
        except ProblemError as exc:
            status, body, headers = exc.status, exc.body(), {"content-type": PROBLEM_TYPE}
        text = "" if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        answer = StoredResponse(print_, status, text, headers)
        if key is not None:
            store.remember(key, answer)
        return answer


def _reused(earlier: StoredResponse) -> ProblemError:
    """The 422 for a reused key; ``existing_id`` names the record the first request created, so a client
    whose body changed since (a retry in a later run) can update that record instead of creating another."""
    location = earlier.headers.get("Location", "")
    existing = {"existing_id": int(location.rsplit("/", 1)[1])} if earlier.status == 201 and location else {}
    return ProblemError(
        422,
        "this Idempotency-Key was already used for a different request",
        errors=[{"field": "Idempotency-Key", "message": "reused with a different request"}],
        title="Idempotency key reused",
        **existing,
    )
