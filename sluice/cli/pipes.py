"""``sluice pipes ...``: list, dag, preview, diff, run, test and lineage of the SQL pipes.

Rule: each command makes one ``PipeEngine`` call (the project's, so ``sluice.toml [paths]`` and the
declared datasets apply) and renders what it returns; an error escapes to the root command, which
prints it as one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from sluice.cli.console import console
from sluice.cli.failures import remember_root
from sluice.config import load_config
from sluice.pipes import PipeEngine, PipeRun, PipeTestResult, to_dot, to_mermaid
from sluice.project import Project

app = typer.Typer(help="Author and run SQL pipes (DuckDB queries that write derived datasets).", no_args_is_help=True)

PIPES_DIR = typer.Option(
    None, "--pipes", envvar="SLUICE_PIPES", help="Folder holding the .sql pipes (default: sluice.toml [paths] pipes)."
)
ROOT = typer.Option(None, "--root", help="Dataset root (default: $SLUICE_DATASETS, else sluice.toml [paths]).")
PROJECT = typer.Option(Path("."), "--project", envvar="SLUICE_PROJECT", help="Folder holding sluice.toml.")
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of tables.")
HOW_TO_PULL = "`sluice sync --dry-run` pulls the sources (and sends nothing to either system)"


@contextmanager
def engine(pipes_dir: Path | None, root: Path | None, project_dir: Path = Path(".")) -> Iterator[PipeEngine]:
    """The project's engine for one command; ``--pipes`` and ``--root`` override ``sluice.toml [paths]``."""
    config = load_config(project_dir, root)
    if pipes_dir is not None:
        config = replace(config, pipes=pipes_dir)
    remember_root(config.datasets)
    with Project(config) as project:
        yield project.pipes


@app.command("list")
def list_pipes(
    pipes_dir: Path | None = PIPES_DIR, root: Path | None = ROOT, project_dir: Path = PROJECT, as_json: bool = AS_JSON
) -> None:
    """Every pipe in run order, its inputs and whether a run would skip it."""
    with engine(pipes_dir, root, project_dir) as eng:
        infos = eng.list()
    if as_json:
        typer.echo(json.dumps([info.__dict__ for info in infos], indent=2, default=str))
        return
    table = Table("output", "file", "inputs", "state", "description")
    for info in infos:
        state = "[green]up to date[/green]" if info.up_to_date else "[yellow]will run[/yellow]"
        if info.absent:
            state += f" [dim](not pulled yet: {', '.join(info.absent)})[/dim]"
        table.add_row(info.name, info.file, ", ".join(info.inputs), state, _short(info.description, 60))
    console().print(table)


@app.command()
def dag(
    pipes_dir: Path | None = PIPES_DIR,
    root: Path | None = ROOT,
    project_dir: Path = PROJECT,
    mermaid: Path | None = typer.Option(None, "--mermaid", help="Also write a Mermaid flowchart to this file."),
    dot: Path | None = typer.Option(None, "--dot", help="Also write a Graphviz digraph to this file."),
) -> None:
    """The DAG as a tree: each pipe under the datasets it reads."""
    with engine(pipes_dir, root, project_dir) as eng:
        graph = eng.dag()
    tree = Tree("[bold]pipes[/bold] (run order)")
    for pipe in graph.pipes:
        node = tree.add(f"[bold cyan]{pipe.name}[/bold cyan]  [dim]{pipe.rel}[/dim]")
        for src in pipe.input_names:
            kind = "pipe" if src in graph.order else "dataset"
            node.add(f"{src} [dim]({kind})[/dim]")
    console().print(tree)
    for path, text in ((mermaid, to_mermaid(graph)), (dot, to_dot(graph))):
        if path is not None:
            path.write_text(text, encoding="utf-8")
            console(stderr=True).print(f"wrote {path}")


@app.command()
def preview(
    pipe: str,
    limit: int = typer.Option(20, "--limit", "-n", help="Rows to show."),
    pipes_dir: Path | None = PIPES_DIR,
    root: Path | None = ROOT,
    project_dir: Path = PROJECT,
    as_json: bool = AS_JSON,
) -> None:
    """Output rows of PIPE over the current inputs; writes nothing."""
    with engine(pipes_dir, root, project_dir) as eng:
        absent = eng.absent_inputs(pipe)
        rows = eng.preview(pipe, limit=limit)
    _say_absent(absent)
    if as_json or rows.num_rows or not absent:
        _print_rows(rows, as_json, title=f"{pipe} (first {limit})")


@app.command()
def diff(
    pipe: str,
    limit: int = typer.Option(20, "--limit", "-n", help="Entities to show per kind."),
    pipes_dir: Path | None = PIPES_DIR,
    root: Path | None = ROOT,
    project_dir: Path = PROJECT,
    as_json: bool = AS_JSON,
) -> None:
    """What running PIPE would write: new, changed (with the changed columns) and deleted entities."""
    with engine(pipes_dir, root, project_dir) as eng:
        absent = eng.absent_inputs(pipe)
        result = eng.diff(pipe)
    _say_absent(absent)
    if as_json:
        payload = {
            "counts": result.counts,
            "new": result.new.slice(0, limit).to_pylist(),
            "changes": result.changes.slice(0, limit).to_pylist(),
            "deleted": result.deleted.column("_id").slice(0, limit).to_pylist(),
        }
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    out = console()
    counts = result.counts
    out.print(
        f"[bold]{result.pipe}[/bold]: [green]{counts['new']} new[/green], [yellow]{counts['changed']} changed"
        f"[/yellow], [red]{counts['deleted']} deleted[/red], {counts['unchanged']} unchanged"
    )
    if result.changes.num_rows:
        table = Table("_id", "column", "before", "after", title="changed")
        for row in result.changes.slice(0, limit * 5).to_pylist():
            table.add_row(row["_id"], row["column"], _short(row["before"]), _short(row["after"]))
        out.print(table)
    if result.new.num_rows:
        _print_rows(result.new.slice(0, limit), False, title="new")
    if result.deleted.num_rows:
        out.print("[red]deleted:[/red] " + ", ".join(result.deleted.column("_id").slice(0, limit).to_pylist()))


@app.command()
def run(
    pipes: list[str] = typer.Argument(None, help="Pipes to run (default: all, in DAG order)."),
    force: bool = typer.Option(False, "--force", help="Run even when inputs and SQL did not move."),
    force_write: bool = typer.Option(False, "--force-write", help="Override the output's circuit breaker."),
    pipes_dir: Path | None = PIPES_DIR,
    root: Path | None = ROOT,
    project_dir: Path = PROJECT,
    as_json: bool = AS_JSON,
) -> None:
    """Run pipes in DAG order, writing through the dataset store's change detection."""
    out = console()
    progress = None if as_json else (lambda r: _progress(out, r))
    with engine(pipes_dir, root, project_dir) as eng:
        runs = eng.run(pipes or None, force=force, force_write=force_write, on_progress=progress)
    if as_json:
        typer.echo(json.dumps([_run_dict(r) for r in runs], indent=2))


@app.command("test")
def test_pipes(
    pipe: str | None = typer.Argument(None, help="One pipe (default: every pipe with a .test.yaml)."),
    pipes_dir: Path | None = PIPES_DIR,
    root: Path | None = ROOT,
    project_dir: Path = PROJECT,
) -> None:
    """Run the unit tests beside the pipes; a failure shows the differing rows."""
    with engine(pipes_dir, root, project_dir) as eng:
        results = eng.test(pipe)
    out = console()
    for result in results:
        _print_test(out, result)
    failed = sum(not r.passed for r in results)
    colour = "red" if failed else "green"
    out.print(f"[{colour}]{len(results) - failed} passed, {failed} failed[/{colour}]")
    if failed or not results:
        raise typer.Exit(1)


@app.command()
def lineage(
    pipe: str,
    pipes_dir: Path | None = PIPES_DIR,
    root: Path | None = ROOT,
    project_dir: Path = PROJECT,
    as_json: bool = AS_JSON,
) -> None:
    """Column-level lineage: each output column and the input dataset columns it comes from."""
    with engine(pipes_dir, root, project_dir) as eng:
        entries = eng.lineage(pipe)
    if as_json:
        typer.echo(json.dumps({e.column: [str(s) for s in e.sources] for e in entries}, indent=2))
        return
    table = Table("output column", "from", "expression", title=pipe)
    for entry in entries:
        table.add_row(entry.column, "\n".join(str(s) for s in entry.sources) or "-", _short(entry.expression, 60))
    console().print(table)


# -- rendering helpers -----------------------------------------------------------------------------


def _say_absent(absent: list[str]) -> None:
    """One line on stderr when inputs are declared but not pulled yet (so the rows shown lack theirs)."""
    if absent:
        line = f"[yellow]not pulled yet:[/yellow] {', '.join(absent)}; {HOW_TO_PULL}"
        console(stderr=True).print(line, highlight=False, soft_wrap=True)


def _progress(console: Console, result: PipeRun) -> None:
    if result.skipped:
        console.print(f"[dim]skip[/dim]  {result.name}  [dim](inputs and SQL unchanged)[/dim]")
        return
    s = result.stats
    counts = f"{s.new} new, {s.changed} changed, {s.deleted} deleted, {s.unchanged} unchanged" if s else ""
    rows = f"{result.rows} changed rows" if result.changed_only else f"{result.rows} rows"
    console.print(f"[green]ran[/green]   {result.name}  {rows} in {result.seconds:.2f}s: {counts}")


def _run_dict(result: PipeRun) -> dict[str, Any]:
    return {
        "name": result.name,
        "file": result.file,
        "skipped": result.skipped,
        "changed_only": result.changed_only,
        "seconds": round(result.seconds, 4),
        "rows": result.rows,
        "stats": result.stats.as_dict() if result.stats else None,
    }


def _print_test(console: Console, result: PipeTestResult) -> None:
    if result.passed:
        console.print(f"[green]PASS[/green] {result.pipe} :: {result.case}")
        return
    console.print(f"[red]FAIL[/red] {result.pipe} :: {result.case}")
    if result.error:
        console.print(f"  [red]{result.error}[/red]", highlight=False)
    if result.mismatches:
        table = Table("row", "column", "expected", "actual")
        for m in result.mismatches:
            table.add_row(m.row, m.column, f"[green]{_json(m.expected)}[/green]", f"[red]{_json(m.actual)}[/red]")
        console.print(table)
    for row in result.missing:
        console.print(f"  [green]- expected, not produced:[/green] {_json(row)}", highlight=False)
    for row in result.unexpected:
        console.print(f"  [red]+ produced, not expected:[/red] {_json(row)}", highlight=False)


def _print_rows(rows: pa.Table, as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(rows.to_pylist(), indent=2, default=str))
        return
    table = Table(*rows.column_names, title=title)
    for row in rows.to_pylist():
        table.add_row(*(_short(_json(v)) for v in row.values()))
    console().print(table)


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)


def _short(text: Any, width: int = 40) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"
