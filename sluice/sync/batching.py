"""Shop creates in batches: up to 100 records per ``POST /{resource}/batch``, each item on its own.

Rule: batching changes how creates share a request, never what one create means. Each item keeps the
idempotency key its single ``POST`` would have carried, a create an earlier run may have made is looked
up by its external reference first (and adopted), and each item gets the answer the single call would
have had: its record, or the error it would have raised, so ``Sink.push`` sorts them the same way (one
bad record is that record's dead letter). Updates and deactivations are not batched: the batch contract
has no per-item ``If-Match``, and an update without it could overwrite an edit made since the pull.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sluice.errors import SluiceError
from sluice.sync.merge import unflatten
from sluice.sync.model import Change
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.customwebshop.batch import BatchItemResult
from sluice.systems.customwebshop.client import REUSED_KEY_TITLE

Answer = dict[str, Any] | Exception
"""What one change came to: the record the shop answered, or the error its write raised."""


def create_many(
    client: CustomwebshopClient,
    resource: str,
    ref_key: str,
    changes: list[Change],
    key_of: Callable[[Change], str],
    body_of: Callable[[Change], dict[str, Any]] | None = None,
) -> list[Answer]:
    """Create ``changes`` (at most one batch's worth) and answer each, in order.

    ``key_of`` gives a change's idempotency key; ``ref_key`` the external reference a pending create is
    looked up by; ``body_of`` a change's request body (default: its fields, un-flattened). A failure of the
    whole request (retries exhausted) is every item's answer: the next run looks those creates up first, so
    an answer lost after the shop applied the batch makes no duplicate.
    """
    body = body_of or _fields
    answers: list[Answer | None] = [adopt_earlier(client, resource, ref_key, c, body) for c in changes]
    fresh = [i for i, answer in enumerate(answers) if answer is None]
    if fresh:
        bodies = [body(changes[i]) for i in fresh]
        items = [{**body, "idempotency_key": key_of(changes[i])} for i, body in zip(fresh, bodies, strict=True)]
        try:
            results = client.batch(resource, items)
        except SluiceError as exc:
            results = [exc] * len(items)
        for i, body, result in zip(fresh, bodies, results, strict=True):
            answers[i] = result if isinstance(result, Exception) else item_answer(client, resource, body, result)
    return cast(list[Answer], answers)  # every slot is filled: adopted, or answered by the batch


def _fields(change: Change) -> dict[str, Any]:
    return unflatten(change.fields)


def adopt_earlier(
    client: CustomwebshopClient,
    resource: str,
    ref_key: str,
    change: Change,
    body: Callable[[Change], dict[str, Any]] = _fields,
) -> Answer | None:
    """For a create an earlier run may have made: the record it made, brought up to today's values, or the
    error of trying; None when there is none (or the change is not pending), so it is created."""
    if not change.lookup_first:
        return None
    try:
        found = client.find_by_external_ref(resource, ref_key, change.a_id)
        if not found:
            return None
        return client.update(resource, int(found[0]["id"]), body(change))
    except SluiceError as exc:
        return exc


def item_answer(client: CustomwebshopClient, resource: str, body: dict[str, Any], result: BatchItemResult) -> Answer:
    """One item's answer. An idempotency key the shop remembers for another body (the source changed between
    a lost answer and this retry) names the record the first create made: that record is updated instead."""
    if result.ok and result.record is not None:
        return result.record
    problem = result.problem or {}
    existing = problem.get("existing_id")
    if result.status == 422 and problem.get("title") == REUSED_KEY_TITLE and isinstance(existing, int):
        try:
            return client.update(resource, existing, body)
        except SluiceError as exc:
            return exc
    return result.error(resource)
