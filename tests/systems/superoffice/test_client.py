"""The client against the SuperOffice simulator over real HTTP: reads, faults, auth, errors."""

from __future__ import annotations

import pytest

from sluice.errors import AuthError, NotFoundError, PermanentError
from sluice.secrets import Secret
from sluice.simulators.superoffice import DEMO
from sluice.systems.superoffice import SuperOfficeClient, SuperOfficeSettings, SystemUserAuth, TicketAuth

from .conftest import FAST_RETRY, Running, start


def test_full_read_returns_every_contact_once_without_noise(so: SuperOfficeClient, running: Running) -> None:
    seen: list[int] = []
    result = so.read("contact", progress=seen.append)
    records = list(result)
    ids = [r["ContactId"] for r in records]
    assert len(ids) == len(set(ids)) == 120
    assert set(ids) == so.ids("contact")
    assert sum(seen) == 120
    assert result.mode == "full" and result.count == 120
    assert all("TableRight" not in r and "_Links" not in r and "FieldProperties" not in r for r in records)
    assert records[0]["Name"]


def test_small_pages_and_other_entities(running: Running) -> None:
    so = running.client(page_size=7)
    sales = list(so.read("sale"))
    products = list(so.read("product"))
    assert sales and products
    assert {s["SaleId"] for s in sales} == so.ids("sale")
    assert {p["ProductId"] for p in products} == so.ids("product")
    assert len({s["SaleId"] for s in sales}) == len(sales)


def test_read_survives_token_expiry_mid_read(so: SuperOfficeClient, running: Running) -> None:
    result = so.read("contact")
    got = []
    for n, record in enumerate(result, 1):
        got.append(record["ContactId"])
        if n == 30:
            running.sim.faults.configure(expire_tokens=True)
    assert len(set(got)) == len(got) == 120
    assert so.stats.by_method.get("GET", 0) > 120
    # one token at the start, one after the expiry: the concurrent 401s collapsed into a single refresh
    assert so.login.stats.requests == 2


def test_permanent_error_is_readable_and_carries_no_secret(so: SuperOfficeClient) -> None:
    with pytest.raises(NotFoundError) as info:
        so.request("GET", "Contact/987654321")
    message = str(info.value)
    assert "404" in message and "SoNotFoundException" in message
    with pytest.raises(PermanentError) as bad:
        list(so.list_rows("Contact", "contactId", ("contactId",), filter="nosuchcolumn eq 1"))
    for error in (info.value, bad.value):
        text = f"{error} {error!r} {error.url} {error.body}"
        assert DEMO.client_secret not in text
        assert so.auth is not None and so.auth._value.reveal() not in text  # type: ignore[attr-defined]


def test_wrong_refresh_token_raises_auth_error_without_the_token(running: Running) -> None:
    settings = SuperOfficeSettings(
        url=running.tenant_url,
        auth="oauth",
        client_id=DEMO.client_id,
        client_secret=Secret(DEMO.client_secret),
        refresh_token=Secret("not-the-real-refresh-token"),
    )
    so = SuperOfficeClient.from_settings(settings, retry=FAST_RETRY)
    with pytest.raises(AuthError) as info:
        so.get_carrier("contact", 1)
    assert "invalid_grant" in str(info.value)
    assert "not-the-real-refresh-token" not in str(info.value) + repr(so)


def test_system_user_signs_in_and_reads(running: Running) -> None:
    settings = SuperOfficeSettings(
        url=running.tenant_url,
        auth="system_user",
        client_secret=Secret(DEMO.client_secret),
        system_user_token=Secret(DEMO.system_user_token),
        private_key=Secret(DEMO.private_key_pem),
    )
    so = SuperOfficeClient.from_settings(settings, retry=FAST_RETRY)
    assert isinstance(so.auth, SystemUserAuth)
    first = min(so.ids("contact"))
    assert so.get_carrier("contact", first)["ContactId"] == first  # type: ignore[index]
    running.sim.faults.configure(expire_tokens=True)
    assert so.get_carrier("contact", first) is not None  # the ticket was renewed after a 401
    running.sim.faults.reset()


def test_a_refused_static_ticket_is_an_auth_error(running: Running) -> None:
    so = SuperOfficeClient(running.tenant_url, TicketAuth(Secret("7T:bogus"), Secret(DEMO.client_secret)))
    with pytest.raises(AuthError) as info:
        so.get_carrier("contact", 1)
    assert "bogus" not in str(info.value)


@pytest.mark.slow
def test_full_read_of_10k_contacts_under_20_percent_faults() -> None:
    for running in start(seed=1, contacts=10_000):
        so = running.client(workers=16)
        running.sim.faults.configure(rate_429=0.1, rate_503=0.1, retry_after=0, seed=3)
        ids = [record["ContactId"] for record in so.read("contact")]
        assert len(ids) == 10_000
        assert len(set(ids)) == 10_000
        assert so.stats.retries > 0
        stats = running.sim.faults.traffic.snapshot()
        assert stats["faults"].get("429", 0) > 0 and stats["faults"].get("503", 0) > 0


def test_a_tenant_move_mid_read_is_followed_via_the_state_api() -> None:
    for running in start(seed=2, contacts=80):
        so = running.client(page_size=20)
        got = []
        for n, record in enumerate(so.read("contact"), 1):
            got.append(record["ContactId"])
            if n == 25:
                running.sim.relocate("online2")
        assert len(got) == len(set(got)) == 80
        assert so.base_url == f"{running.server.url}/online2/{running.sim.tenant}/api/v1"
        assert so.update("contact", got[0], {"Department": "after the move"})["Department"] == "after the move"


def test_basic_auth_against_an_onsite_tenant() -> None:
    for running in start(seed=3, contacts=5, auth="basic"):
        settings = SuperOfficeSettings(
            url=running.tenant_url, auth="basic", username=DEMO.username, password=Secret(DEMO.password)
        )
        so = SuperOfficeClient.from_settings(settings, retry=FAST_RETRY)
        assert len(so.ids("contact")) == 5
        wrong = SuperOfficeSettings(url=running.tenant_url, auth="basic", username="x", password=Secret("nope-pw"))
        with pytest.raises(AuthError) as info:
            SuperOfficeClient.from_settings(wrong, retry=FAST_RETRY).ids("contact")
        assert "nope-pw" not in str(info.value)
