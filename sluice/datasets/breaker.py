"""The write circuit breaker: refuse a write that would delete or change too much of a dataset.

Rule: a pure decision over counts, taken before anything is written. A source that suddenly returns
nothing (or a tenth of itself) must not wipe its dataset, and every dataset downstream of it. Only the
live entities count: those a pull already saw go (a feed's deletes, earlier tombstones) are no longer
live, so a dataset emptied by observed deletes trips nothing. A tiny dataset (fewer than
``min_live_empty`` live entities) may go empty in a full write: a tenant deleting its last quote is far
likelier than an outage that answers with an empty list, and refusing it would stop every nightly run
until someone forces one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.errors import CircuitBreakerTripped


@dataclass(frozen=True)
class BreakerLimits:
    """Trip when more than ``max_delete_share`` (or ``max_change_share``) of the live entities would be
    deleted (changed), once at least ``min_live`` entities are live; and when a full write of an empty
    batch would delete every live entity, once at least ``min_live_empty`` are live. None disables a
    share limit."""

    max_delete_share: float | None = 0.5
    max_change_share: float | None = None
    min_live: int = 100
    min_live_empty: int = 10


def check_breaker(
    dataset: str, limits: BreakerLimits, *, live: int, batch_size: int, full: bool, changed: int, deleted: int
) -> None:
    """Raise ``CircuitBreakerTripped`` (with the counts) when the write exceeds a limit."""
    counts = {"live": live, "batch": batch_size, "changed": changed, "deleted": deleted}
    if full and batch_size == 0 and live >= max(limits.min_live_empty, 1):
        raise CircuitBreakerTripped(
            f"dataset {dataset!r}: a full write of an empty batch would delete all {live} live entities; "
            "nothing was written (pass force=True if the source really is empty)",
            counts,
            dataset,
        )
    if live < limits.min_live:
        return
    for what, count, share in (
        ("delete", deleted, limits.max_delete_share),
        ("change", changed, limits.max_change_share),
    ):
        if share is not None and count > share * live:
            raise CircuitBreakerTripped(
                f"dataset {dataset!r}: the write would {what} {count} of {live} live entities "
                f"(more than {share:.0%}); nothing was written (pass force=True if this is intended)",
                counts,
                dataset,
            )
