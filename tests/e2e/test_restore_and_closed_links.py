"""Closed links over real HTTP: a contact restored from SuperOffice's recycle bin gets its shop customer back
(reactivated, never duplicated) and syncs both ways again; an edit after the shop customer was deleted is
reported (``on_target_deleted = "close"``) or makes a new customer exactly once (``"recreate"``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from sluice.cli.main import app
from sluice.config import load_config
from sluice.errors import ConfigError
from sluice.project import Project
from sluice.secrets import Secret
from sluice.simulators.customwebshop import DEMO_API_KEY
from sluice.simulators.superoffice import DEMO
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.superoffice import BasicAuth, SuperOfficeClient
from tests.e2e.conftest import FAST_RETRY, REPO, Systems
from tests.e2e.observe import customers_per_contact, differences, linked_pairs

pytestmark = pytest.mark.slow


def delete_customer(systems: Systems, customer_id: str) -> None:
    systems.shop_session().delete(f"{systems.shop_api}/customers/{customer_id}").raise_for_status()


def assert_restored_and_syncing(systems: Systems, project: Project, customer_id: str, live_customers: int) -> None:
    """The customer is active again under the same link, edits cross both ways, nothing was duplicated."""
    assert systems.customer(customer_id)["active"] is True
    assert linked_pairs(project)["7"] == customer_id
    systems.edit_contact(7, Name="Gjenopprettet AS")
    project.sync()
    assert systems.customer(customer_id)["company_name"] == "Gjenopprettet AS"
    systems.edit_customer(customer_id, note="Skrevet i butikken")
    project.sync()
    assert systems.contact(7)["Description"] == "Skrevet i butikken"
    assert len(systems.customers()) == live_customers and customers_per_contact(systems)["7"] == 1
    assert differences(project) == []
    systems.reset_stats()
    project.sync()
    assert systems.writes() == (0, 0)


def test_a_restored_contact_reactivates_its_customer_and_syncs_again(systems: Systems, project: Project):
    project.sync()
    customer_id = linked_pairs(project)["7"]
    live = len(systems.customers())
    systems.delete_contact(7)
    project.sync()
    assert systems.customer(customer_id)["active"] is False and "7" not in linked_pairs(project)

    systems.superoffice.restore_contact(7)
    [flow] = project.sync().flows  # incremental: the restore counts as a change of the contact
    assert systems.customer(customer_id)["active"] is True
    assert (flow.reopened_links, flow.creates) == (1, 0)
    project.sync(full=True)
    assert systems.customer(customer_id)["active"] is True
    assert_restored_and_syncing(systems, project, customer_id, live)


def test_a_restore_seen_only_by_full_syncs_reactivates_too(systems: Systems, project: Project):
    """A full read does not list a deleted contact at all (its record is tombstoned), then lists it again."""
    project.sync()
    customer_id = linked_pairs(project)["7"]
    live = len(systems.customers())
    systems.delete_contact(7)
    project.sync(full=True)
    assert systems.customer(customer_id)["active"] is False

    requests.post(f"{systems.so_server.url}/_admin/restore", json={"contact_id": 7}, timeout=10).raise_for_status()
    project.sync(full=True)
    assert_restored_and_syncing(systems, project, customer_id, live)


def test_an_edit_after_the_shop_customer_was_deleted_is_reported_once(systems: Systems, project: Project):
    project.sync()
    customer_id = linked_pairs(project)["7"]
    delete_customer(systems, customer_id)
    project.sync()
    assert "7" not in linked_pairs(project)

    systems.edit_contact(7, Name="Endret etter sletting AS")
    systems.reset_stats()
    [flow] = project.sync().flows
    assert flow.stranded_edits == 1
    [stranded] = flow.stranded
    assert (stranded["a_id"], stranded["b_id"]) == ("7", customer_id) and "company_name" in stranded["fields"]
    assert systems.writes() == (0, 0) and "7" not in customers_per_contact(systems)  # the policy: nothing sent
    [flow] = project.sync().flows
    assert flow.stranded_edits == 0  # reported in the run that saw it, not on every run


def test_sluice_sync_lists_the_edits_that_went_nowhere(
    systems: Systems, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in systems.env(tmp_path / "datasets").items():
        monkeypatch.setenv(key, value)
    cli = CliRunner()
    assert cli.invoke(app, ["sync"]).exit_code == 0
    with Project.open(REPO, datasets=tmp_path / "datasets") as project:
        customer_id = linked_pairs(project)["7"]
    delete_customer(systems, customer_id)
    assert cli.invoke(app, ["sync"]).exit_code == 0
    systems.edit_contact(7, Name="Endret etter sletting AS")

    result = cli.invoke(app, ["sync"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "1 edits went nowhere" in output and "superoffice 7 (shop" in output
    systems.edit_contact(7, Department="Ny avdeling")
    result = cli.invoke(app, ["sync", "--json"])
    [flow] = json.loads(result.output)["flows"]
    assert flow["stranded_edits"] == 1 and flow["stranded"][0]["fields"] == ["department"]


@pytest.fixture
def recreating(systems: Systems, tmp_path: Path) -> Iterator[Project]:
    """A project whose sluice.toml says ``on_target_deleted = "recreate"`` (the repository's pipes)."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "sluice.toml").write_text(
        f'[paths]\npipes = "{REPO / "pipes"}"\n\n[flows.contact_customer]\non_target_deleted = "recreate"\n'
    )
    so = SuperOfficeClient(
        systems.tenant_url, BasicAuth(DEMO.username, Secret(DEMO.password)), retry=FAST_RETRY, workers=4
    )
    shop = CustomwebshopClient(systems.shop_server.url, DEMO_API_KEY, retry=FAST_RETRY)
    config = load_config(folder, datasets=tmp_path / "datasets")
    with Project(config, clients={"superoffice": so, "customwebshop": shop}) as project:
        yield project


def test_recreate_makes_one_new_customer_even_when_its_answer_is_lost(systems: Systems, recreating: Project):
    project = recreating
    assert project.flow("contact_customer").on_target_deleted == "recreate"
    project.sync()
    old_id = linked_pairs(project)["7"]
    delete_customer(systems, old_id)
    project.sync()
    assert "7" not in customers_per_contact(systems)

    systems.edit_contact(7, Name="Gjenskapt AS")
    shop_faults = f"{systems.shop_server.url}/_admin/faults"
    requests.put(shop_faults, json={"drop_rate": 1.0, "methods": ["POST"]}, timeout=10).raise_for_status()
    project.sync()  # the shop creates the customer, every answer is lost
    requests.delete(shop_faults, timeout=10).raise_for_status()
    assert customers_per_contact(systems)["7"] == 1 and "7" not in linked_pairs(project)
    [flow] = project.sync().flows
    assert flow.stranded_edits == 0
    assert customers_per_contact(systems)["7"] == 1
    new_id = linked_pairs(project)["7"]
    assert new_id != old_id and systems.customer(new_id)["company_name"] == "Gjenskapt AS"
    assert differences(project) == []
    systems.edit_customer(new_id, note="Etter gjenskaping")
    project.sync()
    assert systems.contact(7)["Description"] == "Etter gjenskaping"
    systems.reset_stats()
    project.sync()
    assert systems.writes() == (0, 0) and customers_per_contact(systems)["7"] == 1


def test_a_bad_on_target_deleted_value_is_a_one_line_config_error(tmp_path: Path) -> None:
    (tmp_path / "sluice.toml").write_text('[flows.contact_customer]\non_target_deleted = "delete"\n')
    with pytest.raises(ConfigError, match=r"on_target_deleted must be one of \['close', 'recreate'\], not 'delete'"):
        load_config(tmp_path)
