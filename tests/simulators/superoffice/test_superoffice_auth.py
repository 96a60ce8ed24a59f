"""Sign-in as the real service does it: OAuth code + refresh, expiry, system-user tickets, Basic; and faults."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator, sign_system_token


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


@pytest.fixture(scope="module")
def oauth_sim():
    sim = SuperOfficeSimulator(contacts=5, auth="oauth", token_ttl=1)
    with ServerThread(sim.app) as server:
        yield sim, server.url


def test_no_credentials_is_401_with_error_body(oauth_sim) -> None:
    sim, root = oauth_sim
    response = requests.get(f"{root}/{sim.tenant}/api/v1/Contact/1", timeout=10)
    assert response.status_code == 401 and response.json()["ErrorType"] == "SoAuthenticationException"


def test_tokens_expire_and_refresh_grant_renews(oauth_sim) -> None:
    sim, root = oauth_sim
    tokens = oauth_tokens(root)
    url = f"{root}/{sim.tenant}/api/v1/Contact/1"
    assert requests.get(url, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10).ok
    time.sleep(1.1)  # token_ttl=1
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10).status_code == 401
    )
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    form |= {"client_id": DEMO.client_id, "client_secret": DEMO.client_secret}
    renewed = requests.post(f"{root}/login/common/oauth/tokens", data=form, timeout=10).json()
    assert "refresh_token" not in renewed
    assert requests.get(url, headers={"Authorization": f"Bearer {renewed['access_token']}"}, timeout=10).ok
    bad = requests.post(f"{root}/login/common/oauth/tokens", data={**form, "client_secret": "wrong"}, timeout=10)
    assert bad.status_code == 401 and DEMO.client_secret not in bad.text


def test_expire_tokens_fault_revokes_current_tokens(oauth_sim) -> None:
    sim, root = oauth_sim
    sim.sessions.token_ttl = 3600
    tokens = oauth_tokens(root)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    url = f"{root}/{sim.tenant}/api/v1/Contact/1"
    requests.put(f"{root}/_admin/faults", json={"expire_tokens": True}, timeout=10)
    assert requests.get(url, headers=headers, timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": f"Bearer {oauth_tokens(root)['access_token']}"}, timeout=10).ok


def test_system_user_ticket_needs_a_valid_signature_and_app_token(oauth_sim) -> None:
    sim, root = oauth_sim
    body = {"ApplicationToken": DEMO.client_secret, "ContextIdentifier": sim.tenant, "ReturnTokenType": "JWT"}
    signed = sign_system_token(DEMO.system_user_token, DEMO.private_key_pem)
    ok = requests.post(
        f"{root}/Login/api/PartnerSystemUser/Authenticate", json={**body, "SignedSystemToken": signed}, timeout=10
    )
    assert ok.json()["IsSuccessful"] is True
    payload = ok.json()["Token"].split(".")[1]
    claims = __import__("json").loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    ticket = claims["http://schemes.superoffice.net/identity/ticket"]
    url = f"{root}/{sim.tenant}/api/v1/Contact/1"
    assert requests.get(
        url, headers={"Authorization": f"SOTicket {ticket}", "SO-AppToken": DEMO.client_secret}, timeout=10
    ).ok
    assert requests.get(url, headers={"Authorization": f"SOTicket {ticket}"}, timeout=10).status_code == 401
    forged = signed[:-8] + "AAAAAAA="
    bad = requests.post(
        f"{root}/Login/api/PartnerSystemUser/Authenticate", json={**body, "SignedSystemToken": forged}, timeout=10
    )
    assert bad.status_code == 401 and bad.json()["IsSuccessful"] is False


def test_basic_onsite_mode() -> None:
    sim = SuperOfficeSimulator(contacts=3, auth="basic")
    with ServerThread(sim.app) as server:
        url = f"{server.url}/{sim.tenant}/api/v1/Contact/1"
        assert requests.get(url, auth=(DEMO.username, DEMO.password), timeout=10).ok
        assert requests.get(url, auth=(DEMO.username, "wrong"), timeout=10).status_code == 401


def test_faults_429_503_and_drop(open_sim, api: str) -> None:
    sim, _ = open_sim
    sim.faults.configure(rate_429=1.0, retry_after=2)
    throttled = requests.get(f"{api}/Contact/1", timeout=10)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2" and throttled.json()["Error"]
    sim.faults.configure(rate_429=0.0, rate_503=1.0)
    assert requests.get(f"{api}/Contact/1", timeout=10).status_code == 503
    sim.faults.configure(rate_503=0.0, drop_rate=1.0)
    with pytest.raises(requests.exceptions.RequestException):
        requests.post(f"{api}/Contact", json={"Name": "Dropped Co"}, timeout=10)
    sim.faults.reset()
    found = requests.get(f"{api}/Contact", params={"$filter": "name eq 'Dropped Co'"}, timeout=10).json()["value"]
    assert len(found) == 1  # the work was done although the answer was lost


def test_relocated_tenant_answers_421_and_state_names_the_new_place(open_sim, api: str) -> None:
    sim, base = open_sim
    root = base.rsplit("/", 1)[0]
    try:
        requests.put(f"{root}/_admin/tenant", json={"subdomain": "online2"}, timeout=10)
        assert requests.get(f"{api}/Contact/1", timeout=10).status_code == 421
        state = requests.get(f"{root}/api/state/{sim.tenant}", timeout=10).json()
        assert state["Endpoint"] == f"{root}/online2/{sim.tenant}" and state["IsRunning"] is True
        assert requests.get(f"{state['Endpoint']}/api/v1/Contact/1", timeout=10).ok
    finally:
        requests.put(f"{root}/_admin/tenant", json={"subdomain": ""}, timeout=10)
