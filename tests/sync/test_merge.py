"""The three-way merge: examples for each rule, and hypothesis properties over random values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sluice.sync.merge import (
    MISSING,
    ConflictPolicy,
    FieldRule,
    flatten,
    is_empty,
    merge_field,
    merge_pair,
    same,
    unflatten,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
POLICY = ConflictPolicy(tie_winner="a")


def merge(a, b, base, a_updated=T0, b_updated=T0, policy=POLICY, rule=None):
    return merge_field(a, b, base, a_updated=a_updated, b_updated=b_updated, policy=policy, rule=rule)


def test_agreed_values_move_nowhere() -> None:
    d = merge("x", "x", "old")
    assert (d.push_to_a, d.push_to_b, d.conflict) == (False, False, False)


def test_one_sided_change_moves_to_the_other_side() -> None:
    assert merge("new", "old", "old").push_to_b
    d = merge("old", "new", "old")
    assert d.push_to_a and d.value == "new" and not d.conflict


def test_both_changed_is_a_conflict_won_by_the_newest_edit() -> None:
    d = merge("from-a", "from-b", "old", a_updated=T0, b_updated=T1)
    assert d.conflict and d.winner == "b" and d.value == "from-b" and d.push_to_a


def test_ties_go_to_the_configured_system() -> None:
    d = merge("from-a", "from-b", "old", policy=ConflictPolicy(tie_winner="b"))
    assert d.winner == "b"


def test_an_empty_value_never_overwrites_a_filled_one_it_did_not_empty() -> None:
    # Fresh match (no base): the shop has a phone, SuperOffice has none and is newer.
    d = merge(None, "+47 1234", MISSING, a_updated=T1, b_updated=T0)
    assert d.value == "+47 1234" and d.push_to_a and not d.conflict


def test_an_edit_that_empties_a_field_wins() -> None:
    d = merge("", "old", "old")
    assert d.push_to_b and d.value == ""


def test_one_way_fields_always_follow_superoffice() -> None:
    rule = FieldRule("external_refs.superoffice_contact_id", to_a=False)
    d = merge("42", "41", "41", a_updated=T0, b_updated=T1, rule=rule)
    assert d.push_to_b and not d.push_to_a and d.value == "42"


def test_numbers_and_blanks_compare_by_meaning() -> None:
    assert same(1, 1.0) and same("1.50", "1.50") and same(None, "") and same("a ", "a")
    assert not same(1, 2) and not same(True, 1.5)


def test_flatten_round_trips_nested_records() -> None:
    record = {"a": 1, "b": {"c": 2, "d": {"e": None}}, "l": [1, 2]}
    assert unflatten(flatten(record)) == record
    assert flatten(record) == {"a": 1, "b.c": 2, "b.d.e": None, "l": [1, 2]}


values = st.one_of(st.none(), st.sampled_from(["", "x", "y", "z"]), st.integers(0, 3))
stamps = st.one_of(st.none(), st.sampled_from([T0, T1]))


@given(a=values, b=values, base=st.one_of(values, st.just(MISSING)), at=stamps, bt=stamps)
def test_applying_a_decision_converges(a, b, base, at, bt) -> None:
    """After each side receives what the merge sends it, both hold the same value: no ping-pong."""
    d = merge(a, b, base, a_updated=at, b_updated=bt)
    new_a = d.value if d.push_to_a else a
    new_b = d.value if d.push_to_b else b
    assert same(new_a, new_b)
    again = merge(new_a, new_b, d.value)
    assert not again.push_to_a and not again.push_to_b


@given(a=values, b=values, base=values, at=stamps, bt=stamps)
def test_a_one_sided_edit_is_never_lost(a, b, base, at, bt) -> None:
    d = merge(a, b, base, a_updated=at, b_updated=bt)
    if not same(a, base) and same(b, base):
        assert same(d.value, a)
    if not same(b, base) and same(a, base):
        assert same(d.value, b)


@given(a=values, b=values, at=stamps, bt=stamps)
def test_a_fresh_match_never_empties_a_filled_field(a, b, at, bt) -> None:
    d = merge(a, b, MISSING, a_updated=at, b_updated=bt)
    if not is_empty(a) or not is_empty(b):
        assert not is_empty(d.value)


def test_merge_pair_collects_pushes_and_conflicts() -> None:
    rules = [FieldRule("name"), FieldRule("email"), FieldRule("phone")]
    a = {"name": "Acme AS", "email": "a@acme.no", "phone": "1"}
    b = {"name": "Acme", "email": "b@acme.no", "phone": "1"}
    base = {"name": "Acme", "email": "old@acme.no", "phone": "1"}
    result = merge_pair(a, b, base, rules, a_updated=T1, b_updated=T0, policy=POLICY)
    assert result.to_b == {"name": "Acme AS", "email": "a@acme.no"}
    assert result.to_a == {}
    assert [c.field for c in result.conflicts] == ["email"]
