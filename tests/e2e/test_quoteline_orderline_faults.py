"""Order lines under 20 % transient faults (429, 503, and answers lost after the work was done), and under a sync
killed at random points and rerun: no duplicate line on either side, no lost edit, and the clean run after
sends nothing."""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sluice.project import Project
from sluice.secrets import Secret
from sluice.simulators.customwebshop import DEMO_API_KEY
from sluice.simulators.superoffice import DEMO
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.http import RetryPolicy
from sluice.systems.superoffice import BasicAuth, SuperOfficeClient
from tests.e2e.conftest import Systems
from tests.e2e.drive import kill_after, run_cli_sync
from tests.e2e.test_quoteline_orderline_sync import (
    assert_lines_equal,
    assert_no_op,
    edit_lines,
    lines_project,
    quote_lines,
    strict_systems,
    with_lines,
)
from tests.e2e.test_sale_order_sync import active_alternatives, agent, synced_orders
from tests.e2e.test_sync_under_faults import fault_count, sync_until_settled

pytestmark = pytest.mark.slow
systems = pytest.fixture(strict_systems, name="systems")

FAULTS = {"rate_429": 0.08, "rate_503": 0.07, "drop_rate": 0.05, "retry_after": 0, "seed": 3}
IMPATIENT = RetryPolicy(attempts=3, base=0.001, cap=0.005, max_retry_after=0.01)


def assert_no_duplicate_lines(systems: Systems) -> None:
    """Each shop order names each quote line once; each alternative holds each shop-born line once."""
    for key, order in synced_orders(systems).items():
        refs = Counter(x["external_refs"].get("superoffice_quoteline_id") or f"cws:{x['id']}" for x in order["lines"])
        assert not [r for r, n in refs.items() if n > 1], (key, refs)
        for alternative in active_alternatives(systems, int(key.split(":")[1])):
            keys = Counter(x["ERPQuoteLineKey"] for x in quote_lines(systems, alternative) if x.get("ERPQuoteLineKey"))
            assert not [k for k, n in keys.items() if n > 1], (alternative, keys)


def story(systems: Systems, settle: Any) -> None:
    """Edits on both sides between syncs: SuperOffice saves, adds and deletes lines; the shop edits, adds and
    removes lines, on several orders at once."""
    rng = random.Random(5)
    for round_ in range(3):
        for key, order, alternative in with_lines(systems)[:4]:
            lines = quote_lines(systems, alternative)
            line = rng.choice(lines)
            agent(systems, "SaveQuoteLine", {"QuoteLine": {**line, "Quantity": float(rng.randint(1, 50))}})
            agent(systems, "SaveQuoteLine", {"QuoteLine": {"QuoteLineId": 0, "QuoteAlternativeId": alternative,
                                                           "Code": f"CRM-{round_}", "Quantity": 1.0,
                                                           "UnitListPrice": 3.0, "Rank": 50}})  # fmt: skip
            agent(systems, "RecalculateQuoteAlternative", {"QuoteAlternative": alternative})
            order = synced_orders(systems)[key]
            keep = order["lines"][1:] if len(order["lines"]) > 2 else order["lines"]
            elements = [{"id": x["id"]} for x in keep]
            elements[0]["unit_price"] = str(rng.randint(10, 900))
            elements.append({"sku": f"SHOP-{round_}", "quantity": "2", "unit_price": "4"})
            edit_lines(systems, order, elements)
        settle()


def test_transient_faults_make_no_duplicate_line_and_lose_no_edit(systems: Systems, tmp_path: Path) -> None:
    with lines_project(systems, tmp_path) as project:
        project.sync()
    with Project(project.config, clients=impatient(systems)) as faulty:
        trouble: list[str] = []

        def settle() -> None:  # faults hit the syncs only; the users' edits go through
            systems.faults(**FAULTS)
            trouble.extend(sync_until_settled(faulty))
            systems.clear_faults()

        story(systems, settle)
        assert fault_count(systems) > 20, "the faults were real"
        assert_no_duplicate_lines(systems)
        assert_lines_equal(systems)
        for key, order in synced_orders(systems).items():
            skus = [x["sku"] for x in order["lines"]]
            assert all(skus.count(f"{side}-{n}") <= 1 for side in ("SHOP", "CRM") for n in range(3)), key
        assert_no_op(systems, faulty)


def test_a_sync_killed_at_random_points_and_rerun_makes_no_duplicate_line(systems: Systems, tmp_path: Path) -> None:
    root = tmp_path / "project"
    with lines_project(systems, root) as project:
        project.sync()
    env = {**os.environ, **systems.env(root / "datasets"), "SLUICE_PROJECT": str(root)}
    rng = random.Random(8)

    def settle() -> None:
        for _ in range(2):
            kill_after(env, rng.uniform(0.3, 2.5))
        done = run_cli_sync(env)
        assert done.returncode == 0, done.stderr[-2000:]

    story(systems, settle)
    with lines_project(systems, root) as project:
        project.sync()
        assert_no_duplicate_lines(systems)
        assert_lines_equal(systems)
        assert_no_op(systems, project)


def impatient(systems: Systems) -> dict[str, Any]:
    """Clients that give up after three attempts: at 20 % faults some requests fail for good, so runs really break."""
    so = SuperOfficeClient(systems.tenant_url, BasicAuth(DEMO.username, Secret(DEMO.password)), retry=IMPATIENT)
    shop = CustomwebshopClient(systems.shop_server.url, DEMO_API_KEY, retry=IMPATIENT)
    return {"superoffice": so, "customwebshop": shop}
