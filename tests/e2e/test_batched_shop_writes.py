"""Shop creates go through ``POST /customers/batch``: each item keeps its own outcome, its idempotency key and
its look-up, so one bad record is a dead letter, a retried or lost batch makes no duplicate.

Faults are switched on at the shop only, for POSTs (creates and batches); requests are counted there.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from sluice.project import Project
from sluice.simulators.customwebshop import DEMO_API_KEY
from tests.e2e.conftest import FAST_RETRY, Systems
from tests.e2e.observe import customers_per_contact, linked_pairs

pytestmark = pytest.mark.slow


def shop_faults(systems: Systems, **settings: Any) -> None:
    requests.put(f"{systems.shop_server.url}/_admin/faults", json=settings).raise_for_status()


def shop_stats(systems: Systems) -> dict[str, Any]:
    return requests.get(f"{systems.shop_server.url}/_admin/stats").json()


def test_one_bad_record_in_a_batch_is_its_dead_letter_and_the_others_are_created_and_linked(
    systems: Systems, project: Project
) -> None:
    bad = systems.create_contact(Name="Broken Mail AS", Emails=[{"Value": "not an e-mail address"}])
    systems.reset_stats()
    [flow] = project.sync().flows
    shop = flow.sinks[0]

    assert flow.creates > 10 and shop.created == flow.creates - 1 and shop.dead_lettered == 1
    assert systems.writes()[1] == 1 + shop.updated  # every create shared one batch; updates are single PATCHes
    [letter] = project.dead_letters()
    assert (letter.a_id, letter.op, letter.status) == (str(bad["ContactId"]), "create", 422)
    assert letter.request["path"] == "/api/v1/customers/batch"
    assert letter.request["body"]["company_name"] == "Broken Mail AS"
    assert "email" in letter.response and "email" in letter.reason
    assert DEMO_API_KEY not in json.dumps(letter.request) + letter.response + letter.reason

    links = linked_pairs(project)
    assert str(bad["ContactId"]) not in links
    assert set(links) == {str(i) for i in systems.contact_ids()} - {str(bad["ContactId"])}
    assert all(n == 1 for n in customers_per_contact(systems).values())


def test_a_batch_whose_answer_is_lost_after_the_shop_applied_it_makes_no_duplicate(
    systems: Systems, project: Project
) -> None:
    shop_faults(systems, drop_rate=1.0, methods=["POST"])  # every POST is applied, its answer never arrives
    [flow] = project.sync().flows
    assert flow.sinks[0].created == 0 and flow.sinks[0].failed == flow.creates and flow.dead_letters == 0
    assert shop_stats(systems)["by_method"]["POST"] <= FAST_RETRY.attempts  # one batch, retried: not one per record
    landed = customers_per_contact(systems)
    assert landed == {str(i): 1 for i in systems.contact_ids()}  # every create landed once: retries replayed it

    systems.clear_faults()
    project.sync()
    assert customers_per_contact(systems) == landed  # the rerun adopted what landed: no duplicate
    assert set(linked_pairs(project)) == {str(i) for i in systems.contact_ids()}
    assert project.dead_letters() == []


def test_a_batch_answer_lost_now_and_then_is_replayed_within_the_run(systems: Systems, project: Project) -> None:
    shop_faults(systems, drop_rate=0.5, methods=["POST"], seed=11)
    [flow] = project.sync().flows
    stats = shop_stats(systems)
    assert stats["faults"].get("drop", 0) > 0 and stats["by_method"]["POST"] < flow.creates  # retried batches
    assert flow.sinks[0].created == flow.creates and flow.dead_letters == 0
    assert set(linked_pairs(project)) == {str(i) for i in systems.contact_ids()}
    assert all(n == 1 for n in customers_per_contact(systems).values())


def test_a_503_on_the_batch_endpoint_is_retried(systems: Systems, project: Project) -> None:
    shop_faults(systems, rate_503=0.6, retry_after=0, methods=["POST"], seed=3)
    [flow] = project.sync().flows
    stats = shop_stats(systems)
    assert stats["faults"].get("503", 0) > 0 and stats["by_method"]["POST"] <= FAST_RETRY.attempts
    assert flow.sinks[0].created == flow.creates and flow.sinks[0].failed == 0 and flow.dead_letters == 0
    assert set(linked_pairs(project)) == {str(i) for i in systems.contact_ids()}
    assert all(n == 1 for n in customers_per_contact(systems).values())
