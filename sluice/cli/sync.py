"""``sluice sync``, ``sluice deadletters ...``, ``sluice conflicts``: run and inspect the two-way sync.

Rule: each command makes one ``Project`` call and renders what it returns; an error escapes to the
root command, which prints one line (exit code 1, a tripped breaker 3), never a traceback or a secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from sluice.cli.console import console
from sluice.cli.failures import remember_root
from sluice.cli.pull_progress import pull_progress
from sluice.project import Project, SyncReport

PROJECT = typer.Option(Path("."), "--project", envvar="SLUICE_PROJECT", help="Folder holding sluice.toml and pipes/.")
ROOT = typer.Option(None, "--root", help="Dataset root (default: $SLUICE_DATASETS, else ./datasets).")
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of tables.")

deadletters_app = typer.Typer(help="Changes a system refused for good: list them, replay them.", no_args_is_help=True)


@contextmanager
def project(path: Path, root: Path | None) -> Iterator[Project]:
    with Project.open(path, datasets=root) as proj:
        remember_root(proj.config.datasets)
        yield proj


def sync(
    full: bool = typer.Option(
        False, "--full", help="List everything (detects deletes), fetching only what may have changed."
    ),
    deep: bool = typer.Option(False, "--deep", help="A full sync that re-reads every record, changed or not."),
    flows: list[str] = typer.Option(None, "--flow", help="Only these dataflows (repeatable); default: all enabled."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Compute and report every delta; send no write."),
    force: bool = typer.Option(False, "--force", help="Override the circuit breakers for an intended large change."),
    project_dir: Path = PROJECT,
    root: Path | None = ROOT,
    as_json: bool = AS_JSON,
) -> None:
    """Run one sync against the configured systems (sluice.toml + SLUICE_* environment variables)."""
    with project(project_dir, root) as proj, pull_progress(console(stderr=True)) as progress:
        report = proj.sync(full=full, deep=deep, flows=flows or None, dry_run=dry_run, force=force, progress=progress)
    if as_json:
        typer.echo(json.dumps(report_dict(report), indent=2, default=str))
    else:
        render_report(report, console())
    failed = report.incomplete()  # a wholly failed read: its flows pushed nothing; the next run reads it again
    if failed is not None:
        raise failed


def report_dict(report: SyncReport) -> dict[str, Any]:
    return {
        "started": report.started,
        "finished": report.finished,
        "full": report.full,
        "deep": report.deep,
        "dry_run": report.dry_run,
        "pull_errors": report.pull_errors,
        "skipped_flows": report.skipped_flows,
        "datasets": report.dataset_rows(),
        "sinks": report.sink_rows(),
        "flows": [f.as_dict() for f in report.flows],
    }


def render_report(report: SyncReport, console: Console) -> None:
    render_rows(report.dataset_rows(), report.sink_rows(), [f.as_dict() for f in report.flows], console, report.dry_run)


def render_rows(
    datasets: list[dict[str, Any]],
    sinks: list[dict[str, Any]],
    flows: list[dict[str, Any]],
    console: Console,
    dry_run: bool = False,
    title: str = "",
) -> None:
    """The tables ``make demo`` and ``sluice sync`` print: what moved per dataset and per sink."""
    prefix = f"{title}: " if title else ""
    table = Table("dataset", "step", "new", "changed", "deleted", "unchanged", "failed", "kept", "seconds", "rows/s",
                  title=f"{prefix}datasets")  # fmt: skip
    for row in datasets:
        counts = (str(row.get(k, 0)) for k in ("new", "changed", "deleted", "unchanged", "failed", "kept"))
        table.add_row(row["dataset"], row["step"], *counts, *timing(row))
    console.print(table)
    sent = "writes (dry run: nothing sent)" if dry_run else "writes"
    table = Table("flow", "sink", "created", "updated", "deactivated", "failed", "dead letters", "seconds",
                  "writes/s", title=prefix + sent)  # fmt: skip
    for row in sinks:
        counts = (str(row[k]) for k in ("created", "updated", "deactivated", "failed", "dead_lettered"))
        rate = {**row, "rows_per_second": row.get("writes_per_second", 0)}
        table.add_row(row["flow"], row["sink"], *counts, *timing(rate))
    console.print(table)
    for f in flows:
        console.print(
            f"[bold]{f['flow']}[/bold]: matched {f['matched']}, conflicts {f['conflicts']} ({f['new_conflicts']} new), "
            f"ambiguous {f['ambiguous']}, dead letters {f['dead_letters']}, closed links {f['closed_links']}"
            f", reopened {f.get('reopened_links', 0)}, recreated {f.get('recreates', 0)}"
            f"; reconciled {f.get('rows', 0)} records in {f.get('seconds', 0):.2f}s "
            f"({f.get('rows_per_second', 0):,.0f} rows/s)"
        )
        if f.get("stranded"):
            ids = ", ".join(f"superoffice {s['a_id']} (shop {s['b_id']}: {s['reason']})" for s in f["stranded"])
            console.print(f"{f['flow']}: {len(f['stranded'])} edits went nowhere, their link is closed: {ids}")
        if f.get("waits"):
            shown = ", ".join(f"{w['a_id']} ({w['reason']})" for w in f["waits"][:10])
            more = f" and {len(f['waits']) - 10} more" if len(f["waits"]) > 10 else ""
            console.print(f"{f['flow']}: {len(f['waits'])} waiting for a link, sent once it exists: {shown}{more}")


def timing(row: dict[str, Any]) -> tuple[str, str]:
    """A step's seconds and rows/s as the table shows them (blank when the step was not timed)."""
    if "seconds" not in row:
        return "", ""
    return f"{row['seconds']:.2f}", f"{row.get('rows_per_second', 0):,.0f}"


@deadletters_app.command("list")
def list_dead_letters(
    flow: str | None = typer.Option(None, "--flow", help="Only this dataflow."),
    project_dir: Path = PROJECT,
    root: Path | None = ROOT,
    as_json: bool = AS_JSON,
) -> None:
    """Every live dead letter: the change, the answer and the reason, how old it is, how often it was sent,
    and when a sync sends it again unchanged (sooner if its source is edited, or on ``deadletters retry``)."""
    with project(project_dir, root) as proj:
        letters = proj.dead_letters(flow)
    if as_json:
        typer.echo(json.dumps([asdict(d) for d in letters], indent=2, default=str))
        return
    at = datetime.now(UTC)
    table = Table("flow", "target", "op", "superoffice id", "shop id", "status", "attempts", "age", "next retry",
                  "reason")  # fmt: skip
    for d in letters:
        table.add_row(
            d.flow, d.target, d.op, d.a_id, d.b_id or "", str(d.status or ""), str(d.attempts),
            duration(at - datetime.fromisoformat(d.first_failed)), next_retry(d.next_retry, at), d.reason,
        )  # fmt: skip
    console().print(table if letters else "no dead letters")


def duration(span: timedelta) -> str:
    """A span as an operator reads it: ``0m``, ``45m``, ``3h 5m``, ``2d 4h``."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


def next_retry(stamp: str, at: datetime) -> str:
    """When the next sync sends a dead letter again unchanged: ``next sync`` once due, else ``in 4m``."""
    if not stamp or datetime.fromisoformat(stamp) <= at:
        return "next sync"
    return f"in {duration(datetime.fromisoformat(stamp) - at)}"


@deadletters_app.command("retry")
def retry_dead_letters(
    flow: str | None = typer.Option(None, "--flow", help="Only this dataflow."),
    project_dir: Path = PROJECT,
    root: Path | None = ROOT,
    as_json: bool = AS_JSON,
) -> None:
    """Replay: sync the flows that hold dead letters again now, with what changed at the source since."""
    with project(project_dir, root) as proj:
        results = proj.retry_dead_letters(flow)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2, default=str))
        return
    for r in results:
        console().print(f"{r.flow}: {r.dead_letters} dead letters left; sent {r.writes} writes")
