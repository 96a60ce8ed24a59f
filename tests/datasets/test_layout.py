"""Covered parts (left behind by a compaction that died before deleting them) are ignored."""

from __future__ import annotations

from pathlib import Path

from sluice.datasets.layout import Part, effective_parts


def part(first: int, last: int) -> Part:
    return Part(Path(f"p{first}-{last}"), first, last)


def test_covered_parts_are_ignored() -> None:
    parts = [part(0, 9), part(10, 19), part(0, 19), part(20, 29), part(20, 24)]
    assert [(p.first, p.last) for p in effective_parts(parts)] == [(0, 19), (20, 29)]


def test_disjoint_parts_are_all_kept_in_order() -> None:
    parts = [part(10, 19), part(0, 9)]
    assert [(p.first, p.last) for p in effective_parts(parts)] == [(0, 9), (10, 19)]
