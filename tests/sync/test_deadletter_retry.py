"""The back-off of an unchanged dead letter: doubling from 5 minutes, capped at a day."""

from __future__ import annotations

from datetime import timedelta

from sluice.sync.state import fingerprint, retry_delay


def test_the_back_off_doubles_from_five_minutes_up_to_a_day() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert retry_delay(9) == timedelta(minutes=1280)  # 21 h 20 min
    assert retry_delay(10) == retry_delay(10_000) == timedelta(days=1)


def test_the_fingerprint_changes_with_what_would_be_sent() -> None:
    same = fingerprint("b", "update", {"company_name": "A", "phone": None})
    assert same == fingerprint("b", "update", {"phone": None, "company_name": "A"})
    assert same != fingerprint("b", "update", {"company_name": "B", "phone": None})
    assert same != fingerprint("b", "create", {"company_name": "A", "phone": None})
