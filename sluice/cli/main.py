"""The ``sluice`` console script: one typer app, a sub-app per area.

Rule: a command parses its options, makes one engine call and renders the result
(a rich table, or JSON with ``--json``). Logic lives in the engine, never here. Any exception a
command lets escape becomes one line on stderr and a log file (``failures``), never a traceback.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from sluice.cli import datasets, failures, simulate
from sluice.cli import deploy as deploy_cli
from sluice.cli import docs as docs_cli
from sluice.cli import pipes as pipes_cli
from sluice.cli import sync as sync_cli

ARGV, DEBUG = "sluice.argv", "sluice.debug"


class SluiceGroup(TyperGroup):
    """The root command: it keeps the command line and turns an escaping exception into ``failures.report``."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        ctx.meta[ARGV] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:
        with failures.command_scope():
            try:
                return super().invoke(ctx)
            except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
                raise  # typer's own (usage errors, --help, a chosen exit code), and `| head` closing the pipe
            except Exception as exc:
                code = failures.report(exc, ctx.meta.get(ARGV, []), debug=bool(ctx.meta.get(DEBUG)))
                raise typer.Exit(code) from None


app = typer.Typer(
    name="sluice",
    cls=SluiceGroup,
    help="Sluice: keep business systems in sync with Parquet datasets and SQL pipes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", envvar="SLUICE_DEBUG", help="On an error, print the traceback too."),
) -> None:
    ctx.meta[DEBUG] = debug


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
