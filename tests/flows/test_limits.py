"""The global concurrency limits: which a sync takes, created idempotently, and strict when missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import limits
from flows.demo import DEMO_FLOWS
from flows.sync import step_limits
from sluice.project import Project

REPO = Path(__file__).resolve().parents[2]
SOME_FLOWS = [f for f in DEMO_FLOWS if f not in ("sale_order", "quoteline_orderline")]
"""A run of some dataflows: it takes none of the others' limits."""


def test_a_sync_takes_a_limit_per_pulled_and_piped_dataset_and_per_dataflow(dataset_root: Path) -> None:
    with Project.open(REPO, datasets=dataset_root) as project:
        taken = step_limits(project.steps(SOME_FLOWS))
        every = limits.project_limits(str(REPO))
    assert {"sluice-dataset-superoffice_contact", "sluice-dataset-customwebshop_customer",
            "sluice-dataset-contact_customer_customwebshop", "sluice-flow-contact_customer",
            "sluice-flow-product_product"} <= set(taken)  # fmt: skip
    assert "sluice-flow-sale_order" not in taken  # not part of this run
    assert set(taken) <= set(every) and "sluice-flow-sale_order" in every


@pytest.mark.slow
def test_ensure_creates_once_and_reactivates_a_disabled_limit(prefect_server: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

    names = [limits.dataset_limit("ensure_a"), limits.flow_limit("ensure_b")]
    assert limits.ensure(names) == names
    assert limits.ensure(names) == []
    with get_client(sync_client=True) as client:
        client.update_global_concurrency_limit(names[0], GlobalConcurrencyLimitUpdate(active=False, limit=3))
        assert limits.ensure(names) == [names[0]]
        limit = client.read_global_concurrency_limit_by_name(names[0])
    assert (limit.limit, limit.active) == (1, True)


@pytest.mark.slow
def test_a_missing_limit_is_an_error_not_a_free_pass(prefect_server: str) -> None:
    missing = limits.dataset_limit("never_created")
    with pytest.raises(Exception, match="must be created before acquiring slots"), limits.held([missing], timeout=5):
        pass  # Prefect's error class is private


@pytest.mark.slow
def test_a_held_limit_makes_the_next_holder_wait(prefect_server: str) -> None:
    name = limits.flow_limit("held_twice")
    limits.ensure([name])
    with limits.held([name]), pytest.raises(TimeoutError, match="timed out"), limits.held([name], timeout=2):
        pass
    with limits.held([name], timeout=5):  # released: free again
        pass
