"""The CLI's pull progress bar: drawn on a terminal, absent off one."""

from __future__ import annotations

import io

from rich.console import Console

from sluice.cli.pull_progress import pull_progress


def test_a_terminal_gets_a_bar_per_pull_with_its_count() -> None:
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=120)
    with pull_progress(terminal) as watch:
        assert watch is not None
        advance = watch("superoffice_contact", 2000)
        for _ in range(4):
            advance(500)
        watch("customwebshop_customer", None)(7)
    drawn = out.getvalue()
    assert "pull superoffice_contact" in drawn and "2000/2000" in drawn
    assert "pull customwebshop_customer" in drawn


def test_off_a_terminal_there_is_no_progress_at_all() -> None:
    out = io.StringIO()
    with pull_progress(Console(file=out, force_terminal=False)) as watch:
        assert watch is None
    assert out.getvalue() == ""
