"""``sluice deploy`` and ``sluice serve``: put the ``sync`` flow on its schedules.

Rule: both build the deployments in the project's ``flows/deployments.py`` (schedules from
``sluice.toml``), so what ``deploy`` registers and what ``serve`` runs are the same two deployments.
``flows/`` is project content beside ``sluice.toml`` (the wheel does not ship it): it is loaded from
``--project`` when a command runs, never imported by the package, and the rest of the CLI starts
without Prefect.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import typer
from rich.console import Console

from sluice.cli.console import console
from sluice.config import Schedules, load_config
from sluice.errors import SluiceError

PROJECT = typer.Option(Path("."), "--project", envvar="SLUICE_PROJECT", help="Folder holding sluice.toml and pipes/.")


def deploy(
    work_pool: str = typer.Option("sluice", "--work-pool", help="Process work pool (created when missing)."),
    project_dir: Path = PROJECT,
) -> None:
    """Register the incremental and nightly full sync deployments with the configured Prefect server."""
    import httpx
    from prefect.exceptions import PrefectException
    from prefect.settings import PREFECT_API_URL

    console = Console()
    schedules = _schedules(project_dir)
    register = _deployments(project_dir).register
    api = PREFECT_API_URL.value()
    if not api:
        _fail(
            "no Prefect server configured: set PREFECT_API_URL (e.g. `prefect config set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api`), or run `make serve` for a local one"
        )
    try:
        names = register(project_dir, work_pool)
    except (httpx.HTTPError, PrefectException) as exc:
        _fail(f"could not register with the Prefect server at {api}: {type(exc).__name__}: {exc}")
    for name in names:
        console.print(f"registered [bold]{name}[/bold] on work pool {work_pool!r}", highlight=False)
    console.print(
        f"incremental every {schedules.incremental_seconds} s, full at cron {schedules.full_cron!r} "
        f"({schedules.timezone}); start a worker with `prefect worker start --pool {work_pool}`",
        highlight=False,
    )


def serve(
    limit: int | None = typer.Option(None, "--limit", help="At most this many runs at once."),
    project_dir: Path = PROJECT,
) -> None:
    """Run the scheduled sync deployments from this process until Ctrl-C (Prefect's serve)."""
    _schedules(project_dir)
    serve_deployments = _deployments(project_dir).serve
    serve_deployments(project_dir, limit)


def _deployments(project_dir: Path) -> ModuleType:
    """The project's ``flows/deployments.py``, with the project folder first on ``sys.path`` so its
    ``flows`` package (``flows.sync``) is the one that runs."""
    folder = project_dir.resolve()
    if not (folder / "flows" / "deployments.py").exists():
        _fail(f"no Prefect deployments in {folder / 'flows'} (the project folder holds flows/deployments.py)")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module("flows.deployments")


def _schedules(project_dir: Path) -> Schedules:
    """The schedules, read first so a broken sluice.toml is a one-line error, not a traceback."""
    try:
        return load_config(project_dir).schedules
    except SluiceError as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(1)
