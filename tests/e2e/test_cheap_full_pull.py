"""A full SuperOffice pull lists ids and dates and fetches only what may have changed (issue 13), over real
HTTP against the simulator, into a real store; requests are counted at the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from sluice.errors import CircuitBreakerTripped
from sluice.project import Project
from tests.e2e.conftest import Systems, start_systems

DATASET = "superoffice_contact"


def gets(systems: Systems) -> int:
    """GET requests the SuperOffice simulator answered since the last reset."""
    return requests.get(f"{systems.so_server.url}/_admin/stats").json()["by_method"].get("GET", 0)


def live_ids(project: Project) -> set[int]:
    return {int(r["ContactId"]) for r in project.store.current_arrow(DATASET).select(["ContactId"]).to_pylist()}


def test_a_full_pull_of_unchanged_contacts_fetches_no_carrier(systems: Systems, project: Project):
    first = project.pull(DATASET)  # no dataset yet: every carrier
    assert first.mode == "full" and first.read == 30
    systems.reset_stats()
    again = project.pull(DATASET, full=True)
    assert gets(systems) == 1  # one list page of ids and dates, no carrier
    assert (again.mode, again.read, again.kept, again.stats.deleted) == ("full", 0, 30, 0)
    assert project.watermarks.get(DATASET) == again.watermark and again.watermark >= str(first.watermark)
    assert len(live_ids(project)) == 30


def test_a_full_pull_tombstones_deletes_and_fetches_new_and_edited_contacts(systems: Systems, project: Project):
    project.pull(DATASET)
    ids = systems.contact_ids()
    gone, edited = ids[:2], ids[5]
    for key in gone:
        systems.delete_contact(key)
    systems.edit_contact(edited, Department="Edited after the last pull")
    created = systems.create_contact(Name="Nyfirma AS")["ContactId"]
    systems.reset_stats()
    result = project.pull(DATASET, full=True)
    assert gets(systems) == 1 + 2  # the list, then the edited and the new carrier
    assert (result.stats.deleted, result.stats.new, result.stats.changed) == (2, 1, 1)
    assert live_ids(project) == (set(ids) - set(gone)) | {created}
    row = project.store.current(DATASET).filter(f'"ContactId" = {edited}').fetch_arrow_table().to_pylist()[0]
    assert row["Department"] == "Edited after the last pull"


def test_a_deep_pull_reads_every_carrier(systems: Systems, project: Project):
    project.pull(DATASET)
    systems.reset_stats()
    result = project.pull(DATASET, full=True, deep=True)
    assert gets(systems) == 1 + 30
    assert (result.mode, result.read, result.kept, result.stats.unchanged) == ("deep", 30, 0, 30)


def test_a_held_copy_older_than_its_list_date_is_fetched_again(systems: Systems, project: Project):
    """The change predates the watermark, so only the list date, days past the stored one, gives it away."""
    project.pull(DATASET)
    key = systems.contact_ids()[3]
    rows = project.store.current_arrow(DATASET).to_pylist()
    stale = next(r for r in rows if r["ContactId"] == key)
    stale = {k: v for k, v in stale.items() if not k.startswith("_")}
    real = stale["UpdatedDate"]
    stale.update(UpdatedDate="2020-01-01T00:00:00Z", Department="a copy from long ago")
    project.store.write(DATASET, [stale], key="ContactId", id_prefix="superoffice-contact")
    systems.reset_stats()
    result = project.pull(DATASET, full=True)
    assert gets(systems) == 2 and result.stats.changed == 1
    row = project.store.current(DATASET).filter(f'"ContactId" = {key}').fetch_arrow_table().to_pylist()[0]
    assert row["UpdatedDate"] == real and row["Department"] != "a copy from long ago"


def test_a_full_pull_that_lists_nothing_wipes_nothing(systems: Systems, project: Project):
    project.pull(DATASET)
    for key in systems.contact_ids():
        systems.delete_contact(key)
    with pytest.raises(CircuitBreakerTripped):
        project.pull(DATASET, full=True)
    assert len(live_ids(project)) == 30


def test_the_breaker_still_guards_a_full_pull_deleting_most_contacts(tmp_path: Path):
    systems, _ = start_systems(contacts=120, customers=0)
    try:
        with systems.project(tmp_path / "datasets") as project:
            project.pull(DATASET)
            mark = project.watermarks.get(DATASET)
            for key in systems.contact_ids()[:70]:
                systems.delete_contact(key)
            with pytest.raises(CircuitBreakerTripped):
                project.pull(DATASET, full=True)
            assert len(live_ids(project)) == 120 and project.watermarks.get(DATASET) == mark
            forced = project.pull(DATASET, full=True, force=True)
            assert forced.stats.deleted == 70 and forced.kept == 50
    finally:
        systems.stop()
