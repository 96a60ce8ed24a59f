"""``sluice simulate ...``: run the SuperOffice and Customwebshop simulators on 127.0.0.1."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Run a simulator of a system Sluice syncs (a real HTTP server on 127.0.0.1).", no_args_is_help=True
)
