"""The breaker decision is pure: counts in, trip or not."""

from __future__ import annotations

import pickle

import pytest

from sluice.datasets.breaker import BreakerLimits, check_breaker
from sluice.errors import CircuitBreakerTripped

LIMITS = BreakerLimits()


def test_more_than_half_deleted_trips() -> None:
    with pytest.raises(CircuitBreakerTripped) as caught:
        check_breaker("d", LIMITS, live=100, batch_size=49, full=True, changed=0, deleted=51)
    assert caught.value.counts == {"live": 100, "batch": 49, "changed": 0, "deleted": 51}
    assert caught.value.target == "d"
    assert pickle.loads(pickle.dumps(caught.value)).counts["deleted"] == 51


def test_exactly_half_or_small_datasets_pass() -> None:
    check_breaker("d", LIMITS, live=100, batch_size=50, full=True, changed=0, deleted=50)
    check_breaker("d", LIMITS, live=99, batch_size=1, full=True, changed=0, deleted=98)


def test_empty_full_batch_trips_below_the_share_limits_size_but_not_for_a_tiny_dataset() -> None:
    """Ten live entities and an empty full read: stop. Nine (a tenant deleting its last quotes): go, or every
    nightly run stops until forced. Nothing live (all gone through observed deletes): nothing to guard."""
    for live in (10, 99, 5000):
        with pytest.raises(CircuitBreakerTripped, match="empty batch"):
            check_breaker("d", LIMITS, live=live, batch_size=0, full=True, changed=0, deleted=live)
    for live in (0, 1, 9):
        check_breaker("d", LIMITS, live=live, batch_size=0, full=True, changed=0, deleted=live)
    with pytest.raises(CircuitBreakerTripped, match="empty batch"):
        check_breaker("d", BreakerLimits(min_live_empty=0), live=1, batch_size=0, full=True, changed=0, deleted=1)
    check_breaker("d", LIMITS, live=50, batch_size=0, full=False, changed=0, deleted=0)  # an incremental read


def test_change_share_is_off_by_default_and_configurable() -> None:
    check_breaker("d", LIMITS, live=100, batch_size=100, full=False, changed=100, deleted=0)
    with pytest.raises(CircuitBreakerTripped, match="change 31 of 100"):
        check_breaker(
            "d", BreakerLimits(max_change_share=0.3), live=100, batch_size=100, full=False, changed=31, deleted=0
        )
