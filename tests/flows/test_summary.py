"""The markdown summary artifact: counts per flow, then the conflicts and dead letters that need a person."""

from __future__ import annotations

from typing import Any

from flows.sync import ISSUE_ROWS, render_summary

FLOW = {
    "flow": "contact_customer", "creates": 3, "updates_to_shop": 2, "updates_to_superoffice": 1, "deactivations": 0,
    "matched": 4, "conflicts": 1, "new_conflicts": 1, "dead_letters": 25, "ambiguous": 0,
}  # fmt: skip


def letter(i: int) -> dict[str, Any]:
    return {"flow": "contact_customer", "target": "b", "op": "update", "a_id": str(i), "b_id": str(100 + i),
            "status": 422, "attempts": 1, "first_failed": "2026-12-01T09:00:00+00:00",
            "next_retry": "2026-12-01T09:05:00+00:00", "reason": "email: not | valid\nat all"}  # fmt: skip


def test_counts_and_the_commands_that_inspect_them() -> None:
    text = render_summary({"full": False, "dry_run": True, "flows": [FLOW]})
    assert text.startswith("# Incremental sync, dry run\n\nDry run: every delta was computed, no write was sent.")
    assert "creates 3, updates to shop 2, updates to SuperOffice 1" in text
    assert "`sluice datasets show sync_conflicts`" in text
    assert "`sluice deadletters list`, replay with `sluice deadletters retry`" in text
    assert "Dead letters (" not in text  # no issues listed, no empty tables


def test_issues_are_listed_in_tables_cut_at_a_limit() -> None:
    conflict = {"flow": "contact_customer", "a_id": "5", "b_id": "248", "field": "company_name",
                "superoffice_value": '"CRM AS"', "customwebshop_value": '"Shop AS"',
                "winner": "customwebshop"}  # fmt: skip
    issues = {"conflicts": [conflict], "conflicts_total": 1,
              "dead_letters": [letter(i) for i in range(ISSUE_ROWS)], "dead_letters_total": 25}  # fmt: skip
    text = render_summary({"full": True, "dry_run": False, "flows": [FLOW], "issues": issues})
    assert text.startswith("# Full sync\n\nThe writes were sent.") and "dry run" not in text.lower()
    assert "## Conflicts detected in this run (1; all: `sluice datasets show sync_conflicts`)" in text
    assert '| contact_customer | 5 | 248 | company_name | "CRM AS" | "Shop AS" | customwebshop |' in text
    assert f"## Dead letters (the first {ISSUE_ROWS} of 25; all: `sluice deadletters list`" in text
    assert "email: not \\| valid at all" in text  # a cell never breaks the table
    assert text.count("| contact_customer | b | update |") == ISSUE_ROWS
    assert "| 422 | 1 | 2026-12-01T09:00:00+00:00 | 2026-12-01T09:05:00+00:00 |" in text  # when it goes out again
