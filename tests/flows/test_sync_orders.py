"""The ``sync`` flow with the order flow, under the Prefect test harness, against both simulators over real HTTP.

One sync flow runs every flow in dependency order (the order flow's pipes after the contact and product
flows commit their links), its artifacts say what moved per flow, and the orders that wait on a link are
listed (table and summary) until the run that links their contacts sends them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from flows.demo import DemoSystems, simulators
from tests.flows.test_sync import artifacts, rows, run_sync

pytestmark = pytest.mark.slow

ORDERS = ["sale_order"]
ALL = ["contact_customer", "product_product", "sale_order", "quoteline_orderline"]


@pytest.fixture
def systems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[DemoSystems]:
    """The demo's simulators (30 contacts, their sales and quotes), configured through the environment."""
    with simulators(contacts=30, customers=8, seed=7) as demo:
        for key, value in demo.env(tmp_path / "datasets").items():
            monkeypatch.setenv(key, value)
        yield demo


def task_runs(flow_run_id: UUID) -> list[Any]:
    """The task runs of the flow run and of its child runs (each dataflow's ``push <flow>``), by start time."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterParentFlowRunId

    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id]))
        )
        ids = [flow_run_id, *(child.id for child in children)]
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
    return sorted(runs, key=lambda r: r.start_time)


def test_orders_wait_on_contact_links_are_listed_then_go_out_in_dependency_order(
    prefect_server: str, systems: DemoSystems
) -> None:
    # the order flow alone: no contact is linked yet, so every order waits (never sent, never dead-lettered)
    first, summary = run_sync(flows=ORDERS)
    (orders,) = summary["flows"]
    assert orders["waiting"] > 0 and orders["creates"] == 0 and orders["writes"] == 0
    found = {a.key: a for a in artifacts(first)}
    waiting = rows(found["sync-waiting"])
    assert len(waiting) == orders["waiting"]
    assert {w["flow"] for w in waiting} == {"sale_order"}
    assert all(w["record"].startswith("sale:") and "not linked to a shop customer" in w["reason"] for w in waiting)
    assert f"{orders['waiting']} records waiting on a link" in found["sync-waiting"].description
    text = found["sync-summary"].data
    assert f"- waiting on a link {orders['waiting']} " in text
    assert "## Records waiting on a link (" in text and f"| sale_order | {waiting[0]['record']} |" in text
    assert rows(found["sync-flow-counts"]) == [
        {"flow": "sale_order", "creates": 0, "updates_to_shop": 0, "updates_to_superoffice": 0, "deactivations": 0,
         "waiting": orders["waiting"], "conflicts": 0, "dead_letters": 0, "writes": 0},
    ]  # fmt: skip

    # all four: the contacts are linked first, the waiting orders go out in the same run, then their lines
    second, summary = run_sync(flows=ALL)
    assert [f["flow"] for f in summary["flows"]] == ALL
    by_flow = {f["flow"]: f for f in summary["flows"]}
    assert by_flow["contact_customer"]["creates"] > 0
    assert by_flow["sale_order"]["waiting"] == 0 and by_flow["sale_order"]["creates"] == orders["waiting"]
    names = [r.name for r in task_runs(second)]
    order_pipes = next(i for i, n in enumerate(names) if n.startswith("run pipes") and "sale_order_superoffice" in n)
    assert names.index("commit contact_customer") < order_pipes < names.index("plan sale_order")
    assert names.index("commit product_product") < order_pipes
    assert names.index("plan sale_order") < names.index("commit sale_order")
    line_pipes = next(i for i, n in enumerate(names) if n.startswith("run pipes") and "quoteline_orderline" in n)
    assert names.index("commit sale_order") < line_pipes < names.index("plan quoteline_orderline")
    assert by_flow["quoteline_orderline"]["creates"] > 0  # the new orders' lines, in the same run
    found = {a.key: a for a in artifacts(second)}
    assert [r["flow"] for r in rows(found["sync-flow-counts"])] == ALL
    counts = {r["flow"]: r for r in rows(found["sync-flow-counts"])}
    assert counts["sale_order"]["creates"] == orders["waiting"] and counts["sale_order"]["waiting"] == 0
    assert rows(found["sync-waiting"]) == []
    sinks = {(r["flow"], r["sink"]): r for r in rows(found["sync-sink-counts"])}
    assert sinks[("sale_order", "customwebshop.orders")]["created"] == orders["waiting"]
    text = found["sync-summary"].data
    assert "## sale_order" in text and "- waiting on a link 0 " in text
    assert "Records waiting on a link" not in text
