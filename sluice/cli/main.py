"""The ``sluice`` console script: one typer app, a sub-app per area.

Rule: a command parses its options, makes one engine call and renders the result
(a rich table, or JSON with ``--json``). Logic lives in the engine, never here.
"""

from __future__ import annotations

import typer

from sluice.cli import datasets, simulate
from sluice.cli import deploy as deploy_cli
from sluice.cli import docs as docs_cli
from sluice.cli import pipes as pipes_cli
from sluice.cli import sync as sync_cli

app = typer.Typer(
    name="sluice",
    help="Sluice: keep business systems in sync with Parquet datasets and SQL pipes.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(datasets.app, name="datasets")
app.add_typer(simulate.app, name="simulate")
app.add_typer(pipes_cli.app, name="pipes")
app.command("docs")(docs_cli.docs)
app.command("sync")(sync_cli.sync)
app.add_typer(sync_cli.deadletters_app, name="deadletters")
app.command("deploy")(deploy_cli.deploy)
app.command("serve")(deploy_cli.serve)


if __name__ == "__main__":  # pragma: no cover
    app()
