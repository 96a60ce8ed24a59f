"""``random.Random``'s draws as plain functions, so hot seeding loops skip its per-call overhead.

Rule: each function returns exactly what the named ``random.Random`` method returns for the same generator
state and consumes the same random bits (``tests/.../test_draws.py`` checks it against the real methods), so
a seed keeps giving the same data. Pass the generator's bound ``getrandbits`` / ``random`` methods.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Bits = Callable[[int], int]
Uniform = Callable[[], float]


def below(bits: Bits, n: int) -> int:
    """``randrange(n)`` for ``n > 0`` (CPython's ``_randbelow_with_getrandbits``: rejection sampling)."""
    k = n.bit_length()
    r = bits(k)
    while r >= n:
        r = bits(k)
    return r


def pick(bits: Bits, seq: Sequence[T]) -> T:
    """``choice(seq)`` for a non-empty sequence (``below`` inlined: this is the hottest draw)."""
    n = len(seq)
    k = n.bit_length()
    r = bits(k)
    while r >= n:
        r = bits(k)
    return seq[r]


def weighted(uniform: Uniform, population: Sequence[T], cumulative: Sequence[float]) -> T:
    """``choices(population, weights)[0]`` where ``cumulative`` is ``itertools.accumulate(weights)``."""
    return population[bisect(cumulative, uniform() * (cumulative[-1] + 0.0), 0, len(population) - 1)]
