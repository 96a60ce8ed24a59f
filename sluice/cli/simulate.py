"""``sluice simulate ...``: run the SuperOffice and Customwebshop simulators on 127.0.0.1."""

from __future__ import annotations

import typer

from sluice.cli import simulate_customwebshop, simulate_superoffice

app = typer.Typer(
    help="Run a simulator of a system Sluice syncs (a real HTTP server on 127.0.0.1).", no_args_is_help=True
)
app.command("superoffice")(simulate_superoffice.command)
app.command("customwebshop")(simulate_customwebshop.command)
