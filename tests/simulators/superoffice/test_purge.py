"""The 14-day hard purge: only what was soft-deleted long enough ago goes, it takes dependants along, leaves no
dangling references, and a bad request purges nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from sluice.simulators.superoffice import SuperOfficeSimulator
from sluice.simulators.superoffice.purge import purge
from sluice.simulators.superoffice.store import stamp


@pytest.fixture
def sim_api(open_sim: tuple[SuperOfficeSimulator, str]) -> tuple[SuperOfficeSimulator, str, str]:
    sim, base = open_sim
    admin = base.rsplit("/", 1)[0]
    return sim, f"{base}/api/v1", admin


def new_company(api: str) -> tuple[int, int, int]:
    """(contact, person, sale) created over the REST API, the sale referencing both."""
    contact = requests.post(f"{api}/Contact", json={"Name": "Purge Co"}, timeout=10).json()["ContactId"]
    person = requests.post(f"{api}/Person", json={"Firstname": "Pia", "Contact": {"ContactId": contact}}, timeout=10)
    person_id = person.json()["PersonId"]
    sale = requests.post(
        f"{api}/Sale",
        json={"Heading": "Purge deal", "Contact": {"ContactId": contact}, "Person": {"PersonId": person_id}},
        timeout=10,
    ).json()["SaleId"]
    return contact, person_id, sale


def later(days: float) -> str:
    return (datetime.now(UTC).replace(tzinfo=None) + timedelta(days=days)).isoformat()


def status(api: str, path: str) -> int:
    return requests.get(f"{api}/{path}", timeout=10).status_code


def test_a_contact_is_purged_with_its_persons_sales_and_quote_14_days_after_the_soft_delete(sim_api) -> None:
    sim, api, admin = sim_api
    contact, person, sale = new_company(api)
    quote = requests.post(f"{api}/Agents/Quote/CreateAndSaveQuote", json={"SaleId": sale}, timeout=10).json()
    assert requests.delete(f"{api}/Contact/{contact}", timeout=10).status_code == 204
    contacts_before = sim.store.count("contact")

    fresh = requests.post(f"{admin}/_admin/purge", timeout=10).json()
    assert fresh["contacts"] == 0 and status(api, f"Contact/{contact}") == 200
    early = requests.post(f"{admin}/_admin/purge", json={"now": later(13.9)}, timeout=10).json()
    assert early["contacts"] == 0

    done = requests.post(f"{admin}/_admin/purge", json={"now": later(14.01)}, timeout=10)
    assert done.status_code == 200, done.text
    assert min(done.json()["contacts"], done.json()["persons"], done.json()["sales"]) >= 1
    assert [status(api, p) for p in (f"Contact/{contact}", f"Person/{person}", f"Sale/{sale}")] == [404, 404, 404]
    assert sim.store.count("contact") == contacts_before - 1
    assert sim.store.query("SELECT count(*) FROM quote WHERE id = ?", (quote["QuoteId"],))[0][0] == 0
    for table, parent, column in (
        ("quote_version", "quote", "quote_id"),
        ("quote_alternative", "quote_version", "version_id"),
        ("quote_line", "quote_alternative", "alternative_id"),
    ):
        sql = f"SELECT count(*) FROM {table} c LEFT JOIN {parent} p ON p.id = c.{column} WHERE p.id IS NULL"
        assert sim.store.query(sql)[0][0] == 0, table
    recycled = requests.get(f"{api}/Archive/RecycleContact", params={"$select": "contactId"}, timeout=10).json()
    assert contact not in {r["contactId"] for r in recycled["value"]}


def test_a_purged_person_leaves_its_sale_without_a_person(sim_api) -> None:
    sim, api, admin = sim_api
    contact, person, sale = new_company(api)
    before = requests.get(f"{api}/Sale/{sale}", timeout=10).json()
    assert requests.delete(f"{api}/Person/{person}", timeout=10).status_code == 204
    sim.store.query("UPDATE person SET deleted_date = ? WHERE id = ?", (stamp(datetime(2020, 1, 1)), person))

    result = requests.post(f"{admin}/_admin/purge", timeout=10).json()
    assert result["persons"] >= 1 and result["orphaned_sales"] >= 1
    after = requests.get(f"{api}/Sale/{sale}", timeout=10).json()
    assert status(api, f"Person/{person}") == 404 and status(api, f"Contact/{contact}") == 200
    assert not (after.get("Person") or {}).get("PersonId")
    assert after["UpdatedDate"] >= before["UpdatedDate"]
    assert sim.store.query("SELECT person_id FROM sale WHERE id = ?", (sale,))[0][0] is None


@pytest.mark.parametrize(
    "body", [b"{not json", b"[0]", b'{"days": "0"}', b'{"days": -1}', b'{"days": false}', b'{"days": 0, "now": "soon"}']
)
def test_bad_purge_requests_are_400_and_purge_nothing(sim_api, body: bytes) -> None:
    _, api, admin = sim_api
    contact, _, _ = new_company(api)
    requests.delete(f"{api}/Contact/{contact}", timeout=10)
    response = requests.post(
        f"{admin}/_admin/purge", data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400 and response.json()["Error"] is True
    assert status(api, f"Contact/{contact}") == 200


def test_purge_on_a_seeded_store_keeps_every_live_row() -> None:
    sim = SuperOfficeSimulator(seed=1, contacts=30, auth="none")
    counts = {t: sim.store.count(t) for t in ("contact", "person", "sale", "quote", "quote_line")}
    result = purge(sim.store, datetime(2100, 1, 1), days=0)
    assert (result.contacts, result.persons, result.sales, result.orphaned_sales) == (0, 0, 0, 0)
    assert {t: sim.store.count(t) for t in counts} == counts
