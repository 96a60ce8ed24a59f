"""The Prefect count tables carry each step's seconds and rows/s; a deep run names itself."""

from __future__ import annotations

from flows.sync import render_summary, run_mode, summary_rows

PULL = {"dataset": "superoffice_contact", "mode": "full", "new": 1, "changed": 0, "deleted": 2, "unchanged": 0,
        "failed": 0, "kept": 97, "seconds": 0.5, "rows_per_second": 196.0}  # fmt: skip
PIPE = {"pipe": "contact_mapped", "skipped": False, "rows": 98, "seconds": 0.25, "rows_per_second": 392.0, "new": 1}
SINK = {"sink": "customwebshop", "created": 1, "updated": 0, "deactivated": 2, "failed": 0, "dead_lettered": 0}
FLOW = {"flow": "contact_customer", "sinks": [SINK], "rows": 196, "seconds": 0.1, "rows_per_second": 1960.0}


def test_every_step_row_has_its_seconds_and_rows_per_second() -> None:
    datasets, sinks = summary_rows({"pulls": [PULL], "pipes": [PIPE], "flows": [FLOW]})
    pulled, piped = datasets
    assert (pulled["step"], pulled["kept"]) == ("pull (full)", 97)
    assert (pulled["seconds"], pulled["rows_per_second"]) == (0.5, 196.0)
    assert (piped["seconds"], piped["rows_per_second"]) == (0.25, 392.0)
    [sink] = sinks
    assert (sink["reconciled"], sink["reconcile_seconds"], sink["reconcile_rows_per_second"]) == (196, 0.1, 1960.0)


def test_rows_from_an_older_run_without_timings_still_render() -> None:
    old = {k: v for k, v in PULL.items() if k not in ("kept", "seconds", "rows_per_second")}
    datasets, _ = summary_rows({"pulls": [old], "pipes": [], "flows": []})
    assert datasets[0]["rows_per_second"] == 0.0 and datasets[0]["kept"] == 0


def test_a_deep_run_says_so() -> None:
    assert run_mode({"full": True, "deep": True, "dry_run": False}) == "Deep sync"
    assert run_mode({"full": True, "dry_run": True}) == "Full sync, dry run"
    assert render_summary({"full": True, "deep": True, "dry_run": False, "flows": []}).startswith("# Deep sync\n")
