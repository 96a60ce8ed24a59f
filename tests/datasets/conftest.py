"""Fixtures for the dataset tests: a store on the per-test root, and company-shaped rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.datasets import DatasetStore


@pytest.fixture
def store(dataset_root: Path) -> Iterator[DatasetStore]:
    with DatasetStore(dataset_root, lock_timeout=2.0) as store:
        yield store


def make_company(i: int, **changes: Any) -> dict[str, Any]:
    row = {
        "id": i,
        "name": f"Company {i}",
        "address": {"street": f"Storgata {i % 50}", "city": "Oslo"},
        "emails": [f"post{i}@example.com"],
        "employees": i % 40,
    }
    return {**row, **changes}


@pytest.fixture
def companies() -> Callable[..., list[dict[str, Any]]]:
    def build(n: int, start: int = 0, **changes: Any) -> list[dict[str, Any]]:
        return [make_company(i, **changes) for i in range(start, start + n)]

    return build
