"""``sluice docs``: generate ``docs/dataflow.md`` from the pipes, or check that it is up to date."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from sluice.cli.pipes import PIPES_DIR, ROOT, engine

DEFAULT_OUT = Path("docs") / "dataflow.md"


def docs(
    pipes_dir: Path = PIPES_DIR,
    root: Path | None = ROOT,
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="The document to write."),
    check: bool = typer.Option(False, "--check", help="Write nothing; fail when the document is out of date."),
) -> None:
    """Generate the dataflow document (one section per flow) from the pipe headers and column lineage."""
    with engine(pipes_dir, root) as eng:
        text = eng.docs()
    console = Console(stderr=True)
    current = out.read_text(encoding="utf-8") if out.exists() else None
    if check:
        if current != text:
            console.print(f"[red]{out} is out of date:[/red] run `sluice docs` and commit the result")
            raise typer.Exit(1)
        console.print(f"{out} is up to date")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out}" + (" (unchanged)" if current == text else ""))
