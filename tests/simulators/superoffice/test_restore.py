"""The recycle bin's restore: a soft-deleted contact (with its persons) comes back, counts as changed, and a bad
request restores nothing."""

from __future__ import annotations

import time

import pytest
import requests

from sluice.simulators.superoffice import SuperOfficeSimulator


@pytest.fixture
def sim_api(open_sim: tuple[SuperOfficeSimulator, str]) -> tuple[SuperOfficeSimulator, str, str]:
    sim, base = open_sim
    sim.faults.reset()
    return sim, f"{base}/api/v1", base.rsplit("/", 1)[0]


def deleted_company(api: str) -> tuple[int, int, str]:
    """(contact, person, the contact's UpdatedDate when deleted), both soft-deleted over the REST API."""
    contact = requests.post(f"{api}/Contact", json={"Name": "Restore Co"}, timeout=10).json()["ContactId"]
    person = requests.post(f"{api}/Person", json={"Firstname": "Rita", "Contact": {"ContactId": contact}}, timeout=10)
    person_id = person.json()["PersonId"]
    assert requests.delete(f"{api}/Person/{person_id}", timeout=10).status_code == 204
    assert requests.delete(f"{api}/Contact/{contact}", timeout=10).status_code == 204
    return contact, person_id, requests.get(f"{api}/Contact/{contact}", timeout=10).json()["UpdatedDate"]


def ids(api: str, provider: str, key: str) -> set[int]:
    rows = requests.get(f"{api}/Archive/{provider}", params={"$select": key, "$top": 100000}, timeout=10).json()
    return {int(r[key]) for r in rows["value"]}


def test_a_restored_contact_leaves_the_recycle_bin_with_its_persons(sim_api) -> None:
    _, api, admin = sim_api
    contact, person, deleted_at = deleted_company(api)
    assert contact in ids(api, "RecycleContact", "contactId") and contact not in ids(api, "SimpleContact", "contactId")
    time.sleep(1.1)  # UpdatedDate has second precision

    response = requests.post(f"{admin}/_admin/restore", json={"contact_id": contact}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["contact_id"] == contact and response.json()["persons"] == 1

    carrier = requests.get(f"{api}/Contact/{contact}", timeout=10).json()
    assert carrier["Deleted"] == 0 and carrier["Name"] == "Restore Co"
    assert carrier["UpdatedDate"] > deleted_at  # a change: incremental reads see the restore
    assert contact in ids(api, "SimpleContact", "contactId") and contact not in ids(api, "RecycleContact", "contactId")
    assert person in ids(api, "Person", "personId") and person not in ids(api, "RecyclePerson", "personId")


def test_the_python_method_restores_and_a_second_restore_is_a_409(sim_api) -> None:
    sim, api, admin = sim_api
    contact, _, _ = deleted_company(api)
    assert sim.restore_contact(contact).contact_id == contact
    assert requests.get(f"{api}/Contact/{contact}", timeout=10).json()["Deleted"] == 0
    again = requests.post(f"{admin}/_admin/restore", json={"contact_id": contact}, timeout=10)
    assert again.status_code == 409 and again.json()["Error"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b"[0]", 400), (b'{"contact_id": "7"}', 400), (b'{"contact_id": true}', 400),
     (b"{}", 400), (b'{"contact_id": 999999}', 404)],
)  # fmt: skip
def test_bad_restore_requests_restore_nothing(sim_api, body: bytes, status: int) -> None:
    _, api, admin = sim_api
    contact, _, _ = deleted_company(api)
    response = requests.post(
        f"{admin}/_admin/restore", data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == status and response.json()["Error"] is True
    assert requests.get(f"{api}/Contact/{contact}", timeout=10).json()["Deleted"] != 0
