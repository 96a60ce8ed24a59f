"""``sluice simulate superoffice``: the superoffice simulator in the foreground."""

from __future__ import annotations

import typer


def command() -> None:
    """Run the superoffice simulator (being built)."""
    raise typer.Exit(code=2)
