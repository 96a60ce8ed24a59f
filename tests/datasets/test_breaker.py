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


def test_empty_full_batch_trips_even_when_small() -> None:
    with pytest.raises(CircuitBreakerTripped, match="empty batch"):
        check_breaker("d", LIMITS, live=3, batch_size=0, full=True, changed=0, deleted=3)
    check_breaker("d", LIMITS, live=0, batch_size=0, full=True, changed=0, deleted=0)


def test_change_share_is_off_by_default_and_configurable() -> None:
    check_breaker("d", LIMITS, live=100, batch_size=100, full=False, changed=100, deleted=0)
    with pytest.raises(CircuitBreakerTripped, match="change 31 of 100"):
        check_breaker(
            "d", BreakerLimits(max_change_share=0.3), live=100, batch_size=100, full=False, changed=31, deleted=0
        )
