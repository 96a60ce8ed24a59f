"""The ``sync`` flow's ``full`` and ``deep`` parameters under the Prefect harness, against both simulators:
what each pull reads, counted at the simulator, and the rows/s the count tables show."""

from __future__ import annotations

import pytest
import requests

from tests.flows.test_sync import artifacts, basic_auth_systems, rows, run_sync

__all__ = ["basic_auth_systems"]  # the fixture, shared with test_sync

pytestmark = pytest.mark.slow


def so_gets(so_url: str) -> int:
    return requests.get(f"{so_url}/_admin/stats").json()["by_method"].get("GET", 0)


def contact_row(run_id: object) -> dict:
    counts = next(a for a in artifacts(run_id) if a.key == "sync-dataset-counts")
    return next(r for r in rows(counts) if r["dataset"] == "superoffice_contact")


def test_full_lists_and_deep_rereads_and_the_tables_show_rows_per_second(
    prefect_server: str, basic_auth_systems: tuple[str, str]
) -> None:
    so_url, _ = basic_auth_systems
    run_sync()
    requests.delete(f"{so_url}/_admin/stats")
    full, _ = run_sync(full=True)
    listed = so_gets(so_url)
    row = contact_row(full)
    assert (row["step"], row["kept"]) == ("pull (full)", 30) and row["rows_per_second"] > 0
    assert listed < 30  # a list page and the flow's look-ups, no carrier re-read

    requests.delete(f"{so_url}/_admin/stats")
    deep, summary = run_sync(deep=True)
    assert so_gets(so_url) >= 30 + 1  # the list, then every carrier
    row = contact_row(deep)
    assert (row["step"], row["kept"]) == ("pull (deep)", 0) and row["rows_per_second"] > 0
    found = {a.key: a for a in artifacts(deep)}
    assert found["sync-summary"].data.startswith("# Deep sync\n") and summary["deep"] is True
    sinks = rows(found["sync-sink-counts"])
    assert sinks and all(s["reconciled"] > 0 and s["reconcile_rows_per_second"] > 0 for s in sinks)
