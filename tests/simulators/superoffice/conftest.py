"""Fixtures: one seeded SuperOffice simulator (no auth) per module on 127.0.0.1, and the official spec."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import SuperOfficeSimulator

SHARED = Path(os.environ.get("SLUICE_SHARED", Path(__file__).resolve().parents[3].parent / "shared"))


@pytest.fixture(scope="module")
def spec() -> dict:
    path = Path(os.environ.get("SLUICE_SUPEROFFICE_SPEC") or SHARED / "superoffice" / "openapi-subset.json")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def open_sim() -> Iterator[tuple[SuperOfficeSimulator, str]]:
    """A simulator without auth (``--auth none``): (sim, tenant base URL)."""
    sim = SuperOfficeSimulator(seed=3, contacts=40, auth="none")
    with ServerThread(sim.app) as server:
        yield sim, f"{server.url}/{sim.tenant}"


@pytest.fixture
def api(open_sim: tuple[SuperOfficeSimulator, str]) -> str:
    sim, base = open_sim
    sim.faults.reset()
    return f"{base}/api/v1"
