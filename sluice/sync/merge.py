"""Field-level three-way merge of one linked pair: pure functions over plain values.

Rule: nothing here does I/O. For each mapped field, SuperOffice's value ``a``, the shop's
value ``b`` and the last-agreed value ``base`` decide what moves:

- ``a == b``: agreed, nothing moves;
- only ``a`` differs from ``base``: SuperOffice changed it, push ``a`` to the shop;
- only ``b`` differs from ``base``: the shop changed it, push ``b`` to SuperOffice;
- both differ: a conflict, resolved by the policy (most recently updated side wins, ties go to
  a configured system) and recorded;
- a field that goes to the shop only: SuperOffice's value wins, and a shop edit it undoes is recorded
  as a conflict (reported, never lost silently).

An empty value never overwrites a filled one unless the edit itself emptied the field (the
winner's base was filled). A pair just matched on first sync has no base: neither value is an
edit, so the system of record (SuperOffice, by default) wins, filled values filling empty ones.

Texts compare trimmed, and the trimmed text is the value both sides should hold: a side
whose text has surrounding whitespace (``"  Mellomrom AS  "``) is sent the trimmed one, even
when the two sides agree on the meaning, so whitespace-only differences converge instead of
lasting for ever (the shop refuses e-mails and URLs with surrounding whitespace anyway).

Echo suppression falls out: after a push, the next pull reads the pushed value back equal to
the agreed one, so nothing is pushed back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

Side = Literal["a", "b"]
MISSING: Any = object()
"""The base of a pair that was never agreed (a fresh match): no side 'changed' anything."""


@dataclass(frozen=True)
class ConflictPolicy:
    """How a field edited on both sides is resolved."""

    tie_winner: Side = "a"
    prefer: Literal["newest", "a", "b"] = "newest"
    first_match_winner: Side = "a"
    """Who wins differing values of a pair just matched (no agreed state yet, so no edit to date)."""


@dataclass(frozen=True)
class FieldRule:
    """A mapped field: its common (shop-vocabulary) name and the directions it may move in."""

    name: str
    to_b: bool = True
    to_a: bool = True
    follows: str | None = None
    """A one-way field side a derives from this two-way one (SuperOffice keeps one country, so the shipping
    country is the billing one): a shop edit of the leader that goes to side a takes this field along to the shop
    in the same run, instead of one run later when the pull reads it back."""


@dataclass(frozen=True)
class Decision:
    """What one field's merge decided: the value both sides should hold, who must be told, and why."""

    value: Any
    push_to_a: bool = False
    push_to_b: bool = False
    conflict: bool = False
    winner: Side | None = None


@dataclass(frozen=True)
class Conflict:
    field: str
    a: Any
    b: Any
    base: Any
    winner: Side
    value: Any


@dataclass
class PairMerge:
    """The merge of one linked pair: the updates each side needs and the conflicts seen."""

    to_a: dict[str, Any] = field(default_factory=dict)
    to_b: dict[str, Any] = field(default_factory=dict)
    agreed: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


def is_empty(value: Any) -> bool:
    """None, an empty or blank string, or an empty container."""
    if value is None or value is MISSING:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, list | tuple | dict) and len(value) == 0


def normalize(value: Any) -> Any:
    """The comparable form of a value: empties become None, numbers compare by value, strings are stripped."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        normal = number.normalize()
        return normal.to_integral_value() if normal == normal.to_integral_value() else normal
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def same(x: Any, y: Any) -> bool:
    return normalize(x) == normalize(y)


def untidy(value: Any) -> bool:
    """A text with surrounding whitespace: the side holding it is sent the trimmed text."""
    return isinstance(value, str) and value != value.strip()


def tidy(value: Any) -> Any:
    """The form a side should hold: a text trimmed (only whitespace: none at all); anything else as it is."""
    return (value.strip() or None) if untidy(value) else value


def merge_field(
    a: Any,
    b: Any,
    base: Any,
    *,
    a_updated: datetime | None,
    b_updated: datetime | None,
    policy: ConflictPolicy,
    rule: FieldRule | None = None,
) -> Decision:
    """Merge one field. Pure, so hypothesis can throw a million cases at it."""
    rule = rule or FieldRule("field")
    if same(a, b):
        return _settle(a if not is_empty(a) else b, a, b, rule)
    if not rule.to_a:  # one-way field: SuperOffice (a) is the source of truth; a shop edit is undone, as a conflict
        edited = base is not MISSING and not same(b, base)
        return _settle(a, a, b, rule, push_to_b=True, conflict=edited, winner="a")
    if not rule.to_b:
        return _settle(b, a, b, rule, push_to_a=True, winner="b")
    known_base = base is not MISSING
    a_changed = not known_base or not same(a, base)
    b_changed = not known_base or not same(b, base)
    if a_changed and not b_changed:
        return _settle(a, a, b, rule, push_to_b=True, winner="a")
    if b_changed and not a_changed:
        return _settle(b, a, b, rule, push_to_a=True, winner="b")
    winner = _winner(a_updated, b_updated, policy) if known_base else policy.first_match_winner
    value, loser_value = (a, b) if winner == "a" else (b, a)
    if is_empty(value) and not is_empty(loser_value) and not (known_base and not is_empty(base)):
        # The winner holds an empty value its own edit did not make: never let it wipe a filled one.
        winner = "b" if winner == "a" else "a"
        value = loser_value
    return _settle(
        value, a, b, rule, push_to_a=winner == "b", push_to_b=winner == "a", conflict=known_base, winner=winner
    )


def _settle(
    value: Any,
    a: Any,
    b: Any,
    rule: FieldRule,
    *,
    push_to_a: bool = False,
    push_to_b: bool = False,
    conflict: bool = False,
    winner: Side | None = None,
) -> Decision:
    """The decision for ``value``, trimmed, also sent to any side that holds it with surrounding whitespace."""
    return Decision(
        tidy(value),
        push_to_a=push_to_a or (rule.to_a and untidy(a)),
        push_to_b=push_to_b or (rule.to_b and untidy(b)),
        conflict=conflict,
        winner=winner,
    )


def _winner(a_updated: datetime | None, b_updated: datetime | None, policy: ConflictPolicy) -> Side:
    if policy.prefer != "newest":
        return policy.prefer
    if a_updated is not None and b_updated is not None and a_updated != b_updated:
        return "a" if a_updated > b_updated else "b"
    if a_updated is not None and b_updated is None:
        return "a"
    if b_updated is not None and a_updated is None:
        return "b"
    return policy.tie_winner


def merge_pair(
    a: dict[str, Any],
    b: dict[str, Any],
    base: dict[str, Any] | None,
    rules: list[FieldRule],
    *,
    a_updated: datetime | None,
    b_updated: datetime | None,
    policy: ConflictPolicy,
) -> PairMerge:
    """Merge every mapped field of a linked pair (flat dicts keyed by dotted field names).

    ``base`` None means the pair was never agreed (a fresh match): differing fields go by the policy
    without counting as conflicts.
    """
    result = PairMerge()
    for rule in rules:
        name = rule.name
        base_value = MISSING if base is None else base.get(name)
        decision = merge_field(
            a.get(name),
            b.get(name),
            base_value,
            a_updated=a_updated,
            b_updated=b_updated,
            policy=policy,
            rule=rule,
        )
        result.agreed[name] = decision.value
        if decision.push_to_a:
            result.to_a[name] = decision.value
        if decision.push_to_b:
            result.to_b[name] = decision.value
        if decision.conflict:
            assert decision.winner is not None
            result.conflicts.append(
                Conflict(name, a.get(name), b.get(name), base_value, decision.winner, decision.value)
            )
    return result


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists stay values)."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys back to nested dicts (the shape of a JSON merge patch)."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested
