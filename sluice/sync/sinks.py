"""Sinks push a flow's changes to one system: the loop is fixed, a system supplies small hooks.

Rule: ``Sink.push`` is final. It sends changes concurrently (bounded), lets the client's
retry loop ride out transient failures, and sorts every outcome by what to do next:
confirmed (the caller advances the agreed state), transient or 412 (retried on the next run,
never overwritten), permanent (a dead letter with the request, the response and the reason).
An authentication failure stops the run: nothing else could succeed either. A sink may send
some changes ``batch_size`` at a time (``batchable``, ``apply_batch``); each still gets its own outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, final

from sluice.errors import ApiError, AuthError, NotFoundError, PermanentError, PreconditionFailed, SluiceError
from sluice.sync.model import Change, PushOutcome, SinkResult

OnConfirmed = Callable[[list[PushOutcome]], None]
"""Called with the changes confirmed together (one single write, or a batch's successes) as soon as they are."""


class Sink:
    """Base class: subclasses implement ``apply`` (one change -> the record the target answered)
    and ``describe`` (the request, without secrets, for dead letters)."""

    name = "sink"
    batch_size = 1
    """How many ``batchable`` changes share one ``apply_batch`` call."""

    def __init__(self, concurrency: int = 4) -> None:
        self.concurrency = max(1, concurrency)

    def apply(self, change: Change) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def batchable(self, change: Change) -> bool:
        """True for a change ``apply_batch`` may send together with others (none by default)."""
        return False

    def apply_batch(self, changes: list[Change]) -> list[dict[str, Any] | Exception]:  # pragma: no cover
        """One answer per change, in order: the record, or the error a single ``apply`` would have raised."""
        raise NotImplementedError

    def describe(self, change: Change) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def new_id(self, change: Change, record: dict[str, Any]) -> str | None:
        """The target's id of a record a create made (for the link)."""
        return None

    @final
    def push(self, changes: list[Change], on_confirmed: OnConfirmed | None = None) -> list[PushOutcome]:
        """Send every change; ``on_confirmed`` runs as soon as a request's successes are known (links are made
        durable there, a batch's in one journal write)."""
        if not changes:
            return []
        batched = [i for i, c in enumerate(changes) if self.batch_size > 1 and self.batchable(c)]
        in_batch = set(batched)
        groups = [[i] for i in range(len(changes)) if i not in in_batch]
        groups += [batched[n : n + self.batch_size] for n in range(0, len(batched), self.batch_size)]

        def send(group: list[int]) -> list[PushOutcome]:
            batch = [changes[i] for i in group]
            outcomes = self._send_batch(batch) if group[0] in in_batch else [self._send(batch[0])]
            confirmed = [o for o in outcomes if o.ok]
            if confirmed and on_confirmed is not None:
                on_confirmed(confirmed)
            return outcomes

        if self.concurrency == 1 or len(groups) == 1:
            done = [send(g) for g in groups]
        else:
            with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix=f"sink-{self.name}") as pool:
                done = list(pool.map(send, groups))
        by_index = {i: o for g, outcomes in zip(groups, done, strict=True) for i, o in zip(g, outcomes, strict=True)}
        return [by_index[i] for i in range(len(changes))]

    @final
    def _send(self, change: Change) -> PushOutcome:
        try:
            return self._settle(change, self.apply(change))
        except SluiceError as exc:
            return self._settle(change, exc)

    @final
    def _send_batch(self, changes: list[Change]) -> list[PushOutcome]:
        try:
            answers = self.apply_batch(changes)
        except SluiceError as exc:  # the whole request failed: so did each of its changes
            answers = [exc] * len(changes)
        return [self._settle(c, a) for c, a in zip(changes, answers, strict=True)]

    @final
    def _settle(self, change: Change, answer: dict[str, Any] | Exception) -> PushOutcome:
        """Sort one change's answer: confirmed, retry next run (transient, 412, gone), or dead letter."""
        if not isinstance(answer, Exception):
            return PushOutcome(change, ok=True, record=answer, new_b_id=self.new_id(change, answer))
        exc = answer
        if isinstance(exc, AuthError):
            raise exc
        if isinstance(exc, PreconditionFailed):
            return PushOutcome(change, ok=False, error=f"changed since it was read: {exc}", status=exc.status)
        if isinstance(exc, NotFoundError):
            return PushOutcome(change, ok=False, error=f"gone: {exc}", status=exc.status)
        if isinstance(exc, PermanentError):
            return PushOutcome(
                change, ok=False, error=str(exc), status=exc.status, permanent=True, response=exc.body or ""
            )
        if isinstance(exc, ApiError):  # transient, retries exhausted: the next run tries again
            return PushOutcome(change, ok=False, error=str(exc), status=exc.status)
        if isinstance(exc, SluiceError):
            return PushOutcome(change, ok=False, error=str(exc), permanent=True)
        raise exc


def summarize(sink: str, outcomes: list[PushOutcome], seconds: float = 0.0) -> SinkResult:
    result = SinkResult(sink, seconds=seconds)
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
