"""Contact ↔ Customer under transient faults: two identically seeded worlds live the same story, one with
20 % of all requests failing (429/503) and clients that give up early; after repeated syncs both worlds
must hold the same data (ids and timestamps aside), and a permanent 422 must be a dead letter in both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from sluice.errors import SluiceError
from sluice.project import Project
from sluice.systems.http import RetryPolicy
from tests.e2e.conftest import Systems, start_systems
from tests.e2e.observe import customers_per_contact, differences, linked_pairs, shop_snapshot, superoffice_snapshot

pytestmark = pytest.mark.slow

FAULTS = {"rate_429": 0.1, "rate_503": 0.1, "retry_after": 0, "seed": 7}
IMPATIENT = RetryPolicy(attempts=3, base=0.001, cap=0.005, max_retry_after=0.01)
"""Three attempts: at a 20 % fault rate about one request in 125 fails for good, so runs really break."""


def sync_until_settled(project: Project, *, full: bool = False, max_runs: int = 20) -> list[str]:
    """Sync again and again, as a scheduler would, until a run completes with no transient failure.

    Returns what went wrong on the way (aborted runs, failed pushes), so the test can show faults did bite."""
    trouble: list[str] = []
    for _ in range(max_runs):
        try:
            report = project.sync(full=full)
        except SluiceError as exc:
            trouble.append(f"aborted: {exc}")
            continue
        if report.pull_errors:  # a listing that ran out of retries: its flows waited for the next run
            trouble.append(f"pull failed: {sorted(report.pull_errors)}")
            continue
        unread = sum(p.failed for p in report.pulls)  # records a pull could not read: the next run re-reads them
        transient = sum(s.failed - s.dead_lettered for f in report.flows for s in f.sinks)
        if transient == 0 and unread == 0:
            return trouble
        trouble.append(f"{transient} failed pushes, {unread} unread records")
    raise AssertionError(f"no clean run after {max_runs} syncs: {trouble}")


def shop_id(project: Project, contact_id: int) -> str:
    return linked_pairs(project)[str(contact_id)]


def live_story(systems: Systems, project: Project, settle: Any) -> dict[str, Any]:
    """The same user actions in every world; ``settle`` runs the syncs (once, or until they stick)."""
    bad = systems.create_contact(Name="Broken Mail AS", Emails=[{"Value": "not an e-mail address"}])
    settle()
    systems.edit_contact(3, Name="Renamed in the CRM AS")
    systems.edit_contact(7, Department="Logistikk", Description="Ring før levering")
    systems.edit_customer(shop_id(project, 4), phone="+47 11 22 33 44")
    systems.edit_customer(shop_id(project, 5), note="Kun fakturakunde", website="https://five.example")
    systems.edit_customer(shop_id(project, 8), company_name="Renamed in the shop AS")
    new = systems.create_contact(Name="Ny Kunde AS", Emails=[{"Value": "post@ny-kunde.example"}])
    systems.delete_contact(9)
    settle()
    systems.edit_contact(new["ContactId"], Department="Salg")
    systems.edit_customer(shop_id(project, 3), department="Fra nettbutikken")
    settle()
    settle(full=True)  # incremental reads never see a SuperOffice delete: the nightly full run does
    return {"bad": bad["ContactId"], "new": new["ContactId"]}


def run_world(tmp: Path, *, faulty: bool) -> dict[str, Any]:
    systems, _ = start_systems(contacts=40, customers=8, seed=11)
    try:
        with systems.project(tmp, retry=IMPATIENT if faulty else RetryPolicy(attempts=3, base=0.001)) as project:
            trouble: list[str] = []
            if faulty:

                def settle(full: bool = False) -> None:  # faults hit the syncs only; the users' edits go through
                    systems.faults(**FAULTS)
                    trouble.extend(sync_until_settled(project, full=full))
                    systems.clear_faults()

                ids = live_story(systems, project, settle)
            else:
                ids = live_story(systems, project, project.sync)
            contact_ids = list(range(1, ids["new"] + 1))
            return {
                "ids": ids,
                "trouble": trouble,
                "superoffice": superoffice_snapshot(systems, contact_ids),
                "shop": shop_snapshot(systems),
                "dead_letters": [(d.a_id, d.op, d.status) for d in project.dead_letters()],
                "differences": differences(project),
                "per_contact": customers_per_contact(systems),
                "faults": fault_count(systems),
            }
    finally:
        systems.stop()


def fault_count(systems: Systems) -> int:
    """Faults both simulators injected (the admin endpoints are never faulted)."""
    return sum(
        sum(requests.get(f"{server.url}/_admin/stats").json()["faults"].values())
        for server in (systems.so_server, systems.shop_server)
    )


def test_transient_faults_change_nothing_but_the_number_of_runs(tmp_path: Path):
    clean = run_world(tmp_path / "clean", faulty=False)
    faulty = run_world(tmp_path / "faulty", faulty=True)

    assert clean["faults"] == 0 and faulty["faults"] > 50  # the faults were real...
    assert faulty["trouble"], "...and some runs or pushes did fail"
    assert faulty["ids"] == clean["ids"]
    assert faulty["superoffice"] == clean["superoffice"]
    assert faulty["shop"] == clean["shop"]
    assert faulty["differences"] == [] and clean["differences"] == []
    assert set(faulty["per_contact"].values()) == {1}  # no retry made a duplicate
    bad = str(clean["ids"]["bad"])
    assert clean["dead_letters"] == faulty["dead_letters"] == [(bad, "create", 422)]
    # The story's edits are what both worlds hold (not merely equal to each other).
    shop = clean["shop"]
    assert shop["contact:3"]["company_name"] == "Renamed in the CRM AS"
    assert shop["contact:3"]["department"] == "Fra nettbutikken"
    assert clean["superoffice"][3]["Department"] == "Fra nettbutikken"
    assert shop["contact:7"]["note"] == "Ring før levering"
    assert clean["superoffice"][4]["Phone"] == "+47 11 22 33 44"
    assert clean["superoffice"][5]["Url"] == "https://five.example"
    assert clean["superoffice"][8]["Name"] == "Renamed in the shop AS"
    assert shop[f"contact:{clean['ids']['new']}"]["department"] == "Salg"
    assert shop["contact:9"]["active"] is False
