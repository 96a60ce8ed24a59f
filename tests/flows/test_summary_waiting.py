"""The records waiting on a link, in the summary artifact and its tables: listed with why, cut at a limit."""

from __future__ import annotations

from typing import Any

from flows.sync import ISSUE_ROWS, flow_rows, render_summary, waiting_rows

BASE = {"creates": 0, "updates_to_shop": 0, "updates_to_superoffice": 0, "deactivations": 0, "matched": 0,
        "conflicts": 0, "new_conflicts": 0, "dead_letters": 0, "ambiguous": 0}  # fmt: skip


def orders(waiting: int) -> dict[str, Any]:
    waits = [{"a_id": f"sale:{n}:1", "reason": f"contact {n} is not linked to a shop customer yet"}
             for n in range(1, waiting + 1)]  # fmt: skip
    return {**BASE, "flow": "sale_order", "creates": 2, "waiting": waiting, "waits": waits, "writes": 2}


def test_waiting_records_are_listed_with_why_and_cut_at_the_limit() -> None:
    summary = {"full": False, "dry_run": False, "flows": [{**BASE, "flow": "contact_customer"}, orders(25)]}
    text = render_summary(summary)
    assert "- waiting on a link 25 (not sent, not dead-lettered; sent in the run that links them)" in text
    assert f"## Records waiting on a link (the first {ISSUE_ROWS} of 25; all: the `sync-waiting` artifact" in text
    assert "| sale_order | sale:1:1 | contact 1 is not linked to a shop customer yet |" in text
    assert text.count("| sale_order | sale:") == ISSUE_ROWS
    assert len(waiting_rows(summary)) == 25  # the table artifact has them all
    assert [(r["flow"], r["waiting"], r["writes"]) for r in flow_rows(summary)] == [
        ("contact_customer", 0, 0), ("sale_order", 25, 2),
    ]  # fmt: skip


def test_nothing_waiting_adds_no_table() -> None:
    text = render_summary({"full": False, "dry_run": False, "flows": [orders(0)]})
    assert "- waiting on a link 0 " in text and "Records waiting on a link" not in text
