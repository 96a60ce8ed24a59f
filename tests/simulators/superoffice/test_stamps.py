"""Integer timestamps format exactly as ``datetime`` does and stay before the anchor."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sluice.simulators.superoffice.stamps import ANCHOR, ANCHOR_SECONDS, EPOCH, iso_micro, iso_seconds, later, seconds


@given(st.integers(0, ANCHOR_SECONDS + 10 * 365 * 86400))
def test_text_matches_datetime_and_parses_back(moment: int) -> None:
    as_datetime = EPOCH + timedelta(seconds=moment)
    assert iso_seconds(moment) == as_datetime.isoformat()
    assert iso_micro(moment) == as_datetime.strftime("%Y-%m-%dT%H:%M:%S.%f")
    assert seconds(iso_seconds(moment)) == seconds(iso_micro(moment)) == moment


@given(seed=st.integers(0, 2**32), start=st.integers(0, ANCHOR_SECONDS + 5))
def test_later_lies_between_start_and_anchor(seed: int, start: int) -> None:
    moment = later(random.Random(seed).getrandbits, start)
    assert start <= moment < max(ANCHOR_SECONDS, start + 1)


def test_anchor_seconds() -> None:
    assert datetime.fromisoformat(iso_seconds(ANCHOR_SECONDS)) == ANCHOR
