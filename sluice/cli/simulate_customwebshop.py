"""``sluice simulate customwebshop``: the customwebshop simulator in the foreground."""

from __future__ import annotations

import typer


def command() -> None:
    """Run the customwebshop simulator (being built)."""
    raise typer.Exit(code=2)
