"""Simulator fixtures: a seeded SuperOffice simulator on 127.0.0.1 per module, a refresh token
obtained through its real code flow, and a client with a fast retry policy."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sluice.secrets import Secret
from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator
from sluice.systems.http import RetryPolicy
from sluice.systems.superoffice import SuperOfficeClient, SuperOfficeSettings

FAST_RETRY = RetryPolicy(attempts=10, base=0.002, cap=0.05)


def oauth_refresh_token(server_url: str) -> str:
    """Walk the simulator's authorization-code flow once, as an administrator would."""
    redirect = DEMO.redirect_uri
    answer = requests.get(
        f"{server_url}/login/common/oauth/authorize",
        params={"client_id": DEMO.client_id, "redirect_uri": redirect, "response_type": "code", "scope": "openid"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        f"{server_url}/login/common/oauth/tokens",
        data={
            "grant_type": "authorization_code",
            "client_id": DEMO.client_id,
            "client_secret": DEMO.client_secret,
            "code": code,
            "redirect_uri": redirect,
        },
        timeout=10,
    )
    tokens.raise_for_status()
    return tokens.json()["refresh_token"]


def oauth_settings(tenant_url: str, refresh_token: str) -> SuperOfficeSettings:
    return SuperOfficeSettings(
        url=tenant_url,
        auth="oauth",
        client_id=DEMO.client_id,
        client_secret=Secret(DEMO.client_secret),
        refresh_token=Secret(refresh_token),
    )


class Running:
    """A simulator, its server and a refresh token for it."""

    def __init__(self, sim: SuperOfficeSimulator, server: ServerThread) -> None:
        self.sim = sim
        self.server = server
        self.tenant_url = f"{server.url}/{sim.tenant}"
        self.refresh_token = oauth_refresh_token(server.url)

    def client(self, **kwargs: object) -> SuperOfficeClient:
        kwargs.setdefault("retry", FAST_RETRY)
        return SuperOfficeClient.from_settings(oauth_settings(self.tenant_url, self.refresh_token), **kwargs)


def start(**sim_kwargs: object) -> Iterator[Running]:
    sim = SuperOfficeSimulator(**sim_kwargs)
    with ServerThread(sim.app) as server:
        yield Running(sim, server)


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    yield from start(seed=0, contacts=120)


@pytest.fixture
def so(running: Running) -> Iterator[SuperOfficeClient]:
    running.sim.faults.reset()
    client = running.client()
    yield client
    client.close()
    running.sim.faults.reset()
