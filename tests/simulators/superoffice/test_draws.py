"""The inlined draws give exactly what ``random.Random`` gives and leave the generator in the same state."""

from __future__ import annotations

import random
from itertools import accumulate

from hypothesis import given
from hypothesis import strategies as st

from sluice.simulators.superoffice.draws import below, pick, weighted


@given(seed=st.integers(0, 2**32), n=st.integers(1, 2**40))
def test_below_is_randrange(seed: int, n: int) -> None:
    ours, theirs = random.Random(seed), random.Random(seed)
    assert [below(ours.getrandbits, n) for _ in range(20)] == [theirs.randrange(n) for _ in range(20)]
    assert ours.getstate() == theirs.getstate()


@given(seed=st.integers(0, 2**32), size=st.integers(1, 70))
def test_pick_is_choice(seed: int, size: int) -> None:
    items = tuple(f"item{i}" for i in range(size))
    ours, theirs = random.Random(seed), random.Random(seed)
    assert [pick(ours.getrandbits, items) for _ in range(20)] == [theirs.choice(items) for _ in range(20)]
    assert ours.getstate() == theirs.getstate()


@given(seed=st.integers(0, 2**32), weights=st.lists(st.floats(0.01, 10), min_size=1, max_size=8))
def test_weighted_is_choices(seed: int, weights: list[float]) -> None:
    population = list(range(len(weights)))
    cumulative = tuple(accumulate(weights))
    ours, theirs = random.Random(seed), random.Random(seed)
    drawn = [weighted(ours.random, population, cumulative) for _ in range(20)]
    assert drawn == [theirs.choices(population, weights)[0] for _ in range(20)]
    assert ours.getstate() == theirs.getstate()
