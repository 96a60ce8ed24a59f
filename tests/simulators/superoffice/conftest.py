"""Fixtures: one seeded SuperOffice simulator per module on 127.0.0.1, and helpers to sign in with requests."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator

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


def oauth_tokens(root: str) -> dict:
    """The authorization-code flow as a client runs it: authorize (auto-consent) -> code -> tokens."""
    consent = requests.get(
        f"{root}/login/common/oauth/authorize",
        params={"client_id": DEMO.client_id, "redirect_uri": DEMO.redirect_uri, "response_type": "code"},
        allow_redirects=False,
        timeout=10,
    )
    assert consent.status_code == 302
    code = parse_qs(urlparse(consent.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": DEMO.redirect_uri}
    form |= {"client_id": DEMO.client_id, "client_secret": DEMO.client_secret}
    response = requests.post(f"{root}/login/common/oauth/tokens", data=form, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()
