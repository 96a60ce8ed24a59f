"""``sluice datasets ...``: list, show, load and compact datasets."""

from __future__ import annotations

import typer

app = typer.Typer(help="Inspect and load datasets (append-only entity logs in Parquet).", no_args_is_help=True)
