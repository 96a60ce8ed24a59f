"""Fixtures for the shop simulator's tests: a fresh shop per test, served on 127.0.0.1, and a session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread


@pytest.fixture
def shop() -> Iterator[tuple[CustomwebshopSimulator, str]]:
    """An empty shop and its API base URL."""
    sim = CustomwebshopSimulator()
    with ServerThread(sim.app) as server:
        yield sim, f"{server.url}/api/v1"
    sim.close()


@pytest.fixture
def api(shop: tuple[CustomwebshopSimulator, str]) -> Iterator[requests.Session]:
    """A session with the demo key; ``api.base`` is the API URL."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {DEMO_API_KEY}"
    session.base = shop[1]  # type: ignore[attr-defined]
    yield session
    session.close()
