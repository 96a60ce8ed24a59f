"""The merge's whitespace rule: texts compare trimmed, and a side holding surrounding whitespace is
sent the trimmed text, so both sides end up with the same characters and nothing moves afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sluice.sync.merge import MISSING, ConflictPolicy, FieldRule, merge_field, tidy

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
POLICY = ConflictPolicy(tie_winner="a")


def merge(a, b, base, a_updated=T0, b_updated=T0, rule=None):
    return merge_field(a, b, base, a_updated=a_updated, b_updated=b_updated, policy=POLICY, rule=rule)


def test_spaces_on_one_side_are_trimmed_there_and_nothing_else_moves() -> None:
    d = merge("  Mellomrom AS  ", "Mellomrom AS", "Mellomrom AS")
    assert (d.value, d.push_to_a, d.push_to_b, d.conflict) == ("Mellomrom AS", True, False, False)


def test_an_edit_typed_with_spaces_moves_trimmed_and_is_trimmed_where_it_was_typed() -> None:
    d = merge("old", " new ", "old")
    assert (d.value, d.push_to_a, d.push_to_b) == ("new", True, True)


def test_a_text_of_only_spaces_becomes_empty() -> None:
    d = merge("   ", None, None)
    assert d.value is None and d.push_to_a and not d.push_to_b


def test_a_one_way_field_is_never_written_to_superoffice() -> None:
    d = merge(" 42 ", "42", "42", rule=FieldRule("external_refs.superoffice_contact_id", to_a=False))
    assert d.value == "42" and not d.push_to_a and not d.push_to_b


def test_tidy_leaves_everything_but_padded_texts_alone() -> None:
    assert [tidy(v) for v in ("", "x", " x", "\t", 1, None, True)] == ["", "x", "x", None, 1, None, True]


texts = st.sampled_from([None, "", "x", " x", "x ", "  x\t", "   ", "y", " y"])
stamps = st.sampled_from([T0, T1])


@given(a=texts, b=texts, base=st.one_of(texts, st.just(MISSING)), at=stamps, bt=stamps)
def test_after_one_merge_both_sides_hold_the_same_characters_and_the_next_moves_nothing(a, b, base, at, bt) -> None:
    d = merge(a, b, base, a_updated=at, b_updated=bt)
    new_a = d.value if d.push_to_a else a
    new_b = d.value if d.push_to_b else b
    assert (new_a or None) == (new_b or None)  # exactly equal, not just equal once trimmed
    again = merge(new_a, new_b, d.value, a_updated=at, b_updated=bt)
    assert not again.push_to_a and not again.push_to_b
