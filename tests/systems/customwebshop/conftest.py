"""Fixtures for the shop client's tests: a real shop on 127.0.0.1 and a client with quick retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.http import RetryPolicy

QUICK = RetryPolicy(attempts=12, base=0.005, cap=0.05)


@pytest.fixture
def sim() -> Iterator[CustomwebshopSimulator]:
    simulator = CustomwebshopSimulator()
    yield simulator
    simulator.close()


@pytest.fixture
def server(sim: CustomwebshopSimulator) -> Iterator[ServerThread]:
    with ServerThread(sim.app) as running:
        yield running


@pytest.fixture
def client(server: ServerThread) -> Iterator[CustomwebshopClient]:
    with CustomwebshopClient(server.url, DEMO_API_KEY, retry=QUICK) as shop:
        yield shop
