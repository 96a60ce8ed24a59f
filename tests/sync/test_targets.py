"""The shop sink against the real shop simulator over HTTP: creates that an earlier run may have made, and
creates sent through the batch endpoint (each item with its own key and outcome; updates keep If-Match)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.sync.merge import unflatten
from sluice.sync.model import Change, PushOutcome
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


def posts(client: CustomwebshopClient) -> int:
    """POSTs the client sent (its own counter: the server's is bumped only after the answer went out)."""
    return client.stats.by_method.get("POST", 0)


def test_creates_share_batches_and_each_is_confirmed_on_its_own_in_order(client: CustomwebshopClient):
    changes = [create(str(1000 + i), f"Batch {i} AS", lookup_first=False) for i in range(250)]
    confirmed: list[list[PushOutcome]] = []
    before = posts(client)
    outcomes = CustomwebshopSink(client, "customers", "superoffice_contact_id").push(changes, confirmed.append)

    assert posts(client) - before == 3  # 100 + 100 + 50
    assert [o.change for o in outcomes] == changes and all(o.ok for o in outcomes)
    assert sorted(len(batch) for batch in confirmed) == [50, 100, 100]  # each batch's links in one journal write
    assert sorted(o.change.a_id for batch in confirmed for o in batch) == sorted(c.a_id for c in changes)
    for outcome in outcomes[::50]:
        record = client.get("customers", int(outcome.new_b_id or 0))
        assert record["external_refs"]["superoffice_contact_id"] == outcome.change.a_id
    assert len({o.new_b_id for o in outcomes}) == 250


def test_batch_size_1_sends_one_request_per_create(client: CustomwebshopClient):
    before = posts(client)
    sink = CustomwebshopSink(client, "customers", "superoffice_contact_id", batch_size=1)
    outcomes = sink.push([create(str(2000 + i), f"Single {i} AS", lookup_first=False) for i in range(5)])
    assert all(o.ok for o in outcomes) and posts(client) - before == 5


def test_a_batched_create_whose_key_was_used_for_another_body_updates_the_first_record(client: CustomwebshopClient):
    # The answer to the first create was lost and the contact was renamed before this retry; its intent (and so
    # the look-up) is gone too: the shop's memory of the key names the record the first create made.
    sink = CustomwebshopSink(client, "customers", "superoffice_contact_id")
    first = create("79", "Before AS", lookup_first=False)
    earlier = client.create("customers", unflatten(first.fields), idempotency_key=sink.idempotency_key(first))
    outcomes = sink.push([create("79", "After AS", lookup_first=False), create("80", "Other AS", lookup_first=False)])

    assert all(o.ok for o in outcomes) and outcomes[0].new_b_id == str(earlier["id"])
    assert client.get("customers", earlier["id"])["company_name"] == "After AS"
    twins = client.find_by_external_ref("customers", "superoffice_contact_id", "79")
    assert [c["id"] for c in twins] == [earlier["id"]]


def test_an_update_next_to_batched_creates_keeps_its_if_match_and_never_overwrites(client: CustomwebshopClient):
    record = client.create("customers", {"company_name": "Seen AS"})
    client.update("customers", record["id"], {"company_name": "Edited in the shop AS"})  # after our pull
    stale = Change("update", "b", "90", str(record["id"]), {"company_name": "From the CRM AS"}, str(record["version"]))
    outcomes = CustomwebshopSink(client, "customers", "superoffice_contact_id").push(
        [create("91", "New AS", lookup_first=False), stale, create("92", "Newer AS", lookup_first=False)]
    )

    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].status == 412 and not outcomes[1].permanent  # the next run re-reads and merges
    assert client.get("customers", record["id"])["company_name"] == "Edited in the shop AS"
