"""``sluice docs``: generate ``docs/dataflow.md`` from the pipes, or check that it is up to date."""

from __future__ import annotations

from pathlib import Path

import typer

from sluice.cli.console import console
from sluice.cli.pipes import PIPES_DIR, PROJECT, ROOT, engine

DEFAULT_OUT = Path("docs") / "dataflow.md"


def docs(
    pipes_dir: Path | None = PIPES_DIR,
    root: Path | None = ROOT,
    project_dir: Path = PROJECT,
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="The document to write."),
    check: bool = typer.Option(False, "--check", help="Write nothing; fail when the document is out of date."),
) -> None:
    """Generate the dataflow document (one section per flow) from the pipe headers and column lineage."""
    with engine(pipes_dir, root, project_dir) as eng:
        text = eng.docs()
    err = console(stderr=True)
    current = out.read_text(encoding="utf-8") if out.exists() else None
    if check:
        if current != text:
            err.print(f"[red]{out} is out of date:[/red] run `sluice docs` and commit the result")
            raise typer.Exit(1)
        err.print(f"{out} is up to date")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    err.print(f"wrote {out}" + (" (unchanged)" if current == text else ""))
