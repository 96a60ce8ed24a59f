"""Sinks push a flow's changes to one system: the loop is fixed, a system supplies small hooks.

Rule: ``Sink.push`` is final. It sends changes concurrently (bounded), lets the client's
retry loop ride out transient failures, and sorts every outcome by what to do next:
confirmed (the caller advances the agreed state), transient or 412 (retried on the next run,
never overwritten), permanent (a dead letter with the request, the response and the reason).
An authentication failure stops the run: nothing else could succeed either.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, final

from sluice.errors import ApiError, AuthError, NotFoundError, PermanentError, PreconditionFailed, SluiceError
from sluice.sync.model import Change, PushOutcome, SinkResult

OnConfirmed = Callable[[PushOutcome], None]


class Sink:
    """Base class: subclasses implement ``apply`` (one change -> the record the target answered)
    and ``describe`` (the request, without secrets, for dead letters)."""

    name = "sink"

    def __init__(self, concurrency: int = 4) -> None:
        self.concurrency = max(1, concurrency)

    def apply(self, change: Change) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self, change: Change) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def new_id(self, change: Change, record: dict[str, Any]) -> str | None:
        """The target's id of a record a create made (for the link)."""
        return None

    @final
    def push(self, changes: list[Change], on_confirmed: OnConfirmed | None = None) -> list[PushOutcome]:
        """Send every change; ``on_confirmed`` runs as soon as each one succeeds (links are made durable there)."""
        if not changes:
            return []

        def one(change: Change) -> PushOutcome:
            outcome = self._send(change)
            if outcome.ok and on_confirmed is not None:
                on_confirmed(outcome)
            return outcome

        if self.concurrency == 1 or len(changes) == 1:
            return [one(c) for c in changes]
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix=f"sink-{self.name}") as pool:
            return list(pool.map(one, changes))

    @final
    def _send(self, change: Change) -> PushOutcome:
        try:
            record = self.apply(change)
        except AuthError:
            raise
        except PreconditionFailed as exc:
            return PushOutcome(change, ok=False, error=f"changed since it was read: {exc}", status=exc.status)
        except NotFoundError as exc:
            return PushOutcome(change, ok=False, error=f"gone: {exc}", status=exc.status)
        except PermanentError as exc:
            return PushOutcome(
                change, ok=False, error=str(exc), status=exc.status, permanent=True, response=exc.body or ""
            )
        except ApiError as exc:  # transient, retries exhausted: the next run tries again
            return PushOutcome(change, ok=False, error=str(exc), status=exc.status)
        except SluiceError as exc:
            return PushOutcome(change, ok=False, error=str(exc), permanent=True)
        return PushOutcome(change, ok=True, record=record, new_b_id=self.new_id(change, record))


def summarize(sink: str, outcomes: list[PushOutcome]) -> SinkResult:
    result = SinkResult(sink)
    for o in outcomes:
        if not o.ok:
            result.failed += 1
            result.dead_lettered += int(o.permanent)
        elif o.change.op == "create":
            result.created += 1
        elif o.change.op == "update":
            result.updated += 1
        else:
            result.deactivated += 1
    return result
