"""The shop sink against the real shop simulator over HTTP: creates that an earlier run may have made."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.sync.model import Change
from sluice.sync.targets import CustomwebshopSink
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.http import RetryPolicy


@pytest.fixture
def client() -> Iterator[CustomwebshopClient]:
    with ServerThread(CustomwebshopSimulator(customers=2, seed=1).app) as server:
        shop = CustomwebshopClient(server.url, DEMO_API_KEY, retry=RetryPolicy(attempts=2, base=0.001))
        yield shop
        shop.close()


def create(a_id: str, name: str, lookup_first: bool = True) -> Change:
    fields = {"company_name": name, "email": f"post{a_id}@adopt.example", "external_refs.superoffice_contact_id": a_id}
    return Change("create", "b", a_id, None, fields, lookup_first=lookup_first)


def test_a_pending_create_adopts_the_earlier_record_and_brings_it_up_to_date(client: CustomwebshopClient):
    # An earlier run's create landed, but its answer (and the shop's memory of its idempotency key) is gone;
    # the contact was renamed since.
    stale = {"company_name": "Old Name AS", "email": "post77@adopt.example"}
    earlier = client.create(
        "customers", stale | {"external_refs": {"superoffice_contact_id": "77"}}, idempotency_key="a forgotten key"
    )
    sink = CustomwebshopSink(client, "customers", "superoffice_contact_id")
    [outcome] = sink.push([create("77", "New Name AS")])

    assert outcome.ok and outcome.new_b_id == str(earlier["id"])  # linked to the earlier record, no duplicate
    assert client.get("customers", earlier["id"])["company_name"] == "New Name AS"  # not left stale
    twins = client.find_by_external_ref("customers", "superoffice_contact_id", "77")
    assert [c["id"] for c in twins] == [earlier["id"]]


def test_a_pending_create_that_never_landed_is_created(client: CustomwebshopClient):
    sink = CustomwebshopSink(client, "customers", "superoffice_contact_id")
    [outcome] = sink.push([create("78", "Fresh AS")])
    assert outcome.ok and client.get("customers", int(outcome.new_b_id or 0))["company_name"] == "Fresh AS"
