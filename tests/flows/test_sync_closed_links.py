"""The ``sync`` flow's summary artifact lists the edits that went nowhere because their link is closed."""

from __future__ import annotations

import os

import pytest
import requests

from sluice.project import Project
from sluice.simulators.customwebshop import DEMO_API_KEY
from sluice.simulators.superoffice import DEMO
from tests.flows.test_sync import REPO, artifacts, basic_auth_systems, run_sync

__all__ = ["basic_auth_systems"]  # the fixture, shared with test_sync


@pytest.mark.slow
def test_the_summary_lists_an_edit_whose_shop_customer_was_deleted(
    prefect_server: str, basic_auth_systems: tuple[str, str]
) -> None:
    _, shop_url = basic_auth_systems
    run_sync()
    with Project.open(REPO, datasets=os.environ["SLUICE_DATASETS"]) as project:
        customer_id = next(r["b_id"] for r in project.links("contact_customer").to_pylist() if r["a_id"] == "7")
    shop = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    requests.delete(f"{shop_url}/api/v1/customers/{customer_id}", headers=shop, timeout=10).raise_for_status()
    run_sync()
    contact = f"{os.environ['SLUICE_SUPEROFFICE_URL']}/api/v1/Contact/7"
    requests.patch(
        contact, json={"Name": "Endret AS"}, auth=(DEMO.username, DEMO.password), timeout=10
    ).raise_for_status()

    run_id, summary = run_sync()
    assert summary["flows"][0]["stranded_edits"] == 1
    text = next(a for a in artifacts(run_id) if a.key == "sync-summary").data
    assert "edits that went nowhere (link closed) 1" in text
    assert f"SuperOffice 7 (shop {customer_id}; fields: company_name): edited, but its shop record was deleted" in text
