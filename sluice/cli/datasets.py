"""``sluice datasets ...``: list, show, load and compact datasets.

Rule: each command resolves the root (``--root``, ``$SLUICE_DATASETS``, ``sluice.toml [paths]``), makes
one ``DatasetStore`` call and renders the result as a rich table, or as JSON with ``--json``. An error
escapes to the root command (one line, exit code 1; a tripped breaker 3); with ``--json`` it is a JSON
object instead, and exit code 1.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from sluice.cli.console import console
from sluice.cli.failures import log_exception, remember_root
from sluice.config import load_config
from sluice.datasets import DatasetStore, WriteStats, read_jsonl
from sluice.errors import CircuitBreakerTripped, DatasetError, SluiceError

app = typer.Typer(help="Inspect and load datasets (append-only entity logs in Parquet).", no_args_is_help=True)

RootOption = Annotated[
    str | None, typer.Option("--root", help="Dataset root (default: $SLUICE_DATASETS, else sluice.toml [paths]).")
]
ProjectOption = Annotated[Path, typer.Option("--project", envvar="SLUICE_PROJECT", help="Folder holding sluice.toml.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
DURATION_RE = re.compile(r"^(\d+)([smhdw]?)$")
UNIT_SECONDS = {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_CELL = 60


@contextmanager
def _store(root: str | None, project_dir: Path, as_json: bool = False) -> Iterator[DatasetStore]:
    """The project's store (``--root`` overriding it); with ``--json`` a Sluice error becomes a JSON object."""
    path = load_config(project_dir, root).datasets
    remember_root(path)
    try:
        with DatasetStore(path) as store:
            yield store
    except SluiceError as exc:
        if not as_json:
            raise
        extra = {"counts": exc.counts} if isinstance(exc, CircuitBreakerTripped) else {}
        log = str(log_exception(exc))
        typer.echo(json.dumps({"error": str(exc), "kind": type(exc).__name__, **extra, "log": log}))
        raise typer.Exit(1) from exc


@app.command("list")
def list_datasets(root: RootOption = None, project_dir: ProjectOption = Path("."), as_json: JsonOption = False) -> None:
    """Every dataset: live entities, versions in the log, last offset, size on disk."""
    with _store(root, project_dir, as_json) as store:
        infos = [store.info(name) for name in store.names()]
        where = store.root
    if as_json:
        typer.echo(json.dumps([{k: v for k, v in i.as_dict().items() if k != "columns"} for i in infos]))
        return
    table = Table(title=f"datasets in {where}")
    for column in ("name", "live", "versions", "last offset", "size"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for info in infos:
        table.add_row(info.name, f"{info.live:,}", f"{info.versions:,}", str(info.last_offset), _size(info.bytes))
    console().print(table)


@app.command("show")
def show(
    name: str,
    id: Annotated[str | None, typer.Option("--id", help="Show every version of this _id.")] = None,
    since: Annotated[int | None, typer.Option("--since", help="Show the changes after this offset.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.")] = 20,
    root: RootOption = None,
    project_dir: ProjectOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """The current state of NAME (or one entity's history, or the changes since an offset)."""
    with _store(root, project_dir, as_json) as store:
        if id is not None:
            rows, title = store.history(name, id), f"{name}: history of {id}"
        elif since is not None:
            rows, title = store.changes(name, since), f"{name}: changes after offset {since}"
        else:
            rows, title = store.current(name).order("_offset").limit(limit).fetch_arrow_table(), f"{name}: current"
    records = rows.slice(0, limit).to_pylist()
    if as_json:
        typer.echo(json.dumps(records, default=str, ensure_ascii=False))
        return
    title = f"{title} ({len(records)} of {rows.num_rows} rows shown)"
    out = console()
    if id is not None or len(records) <= TRANSPOSE_UP_TO:
        out.print(_versions_table(rows.column_names, records, title))
    else:
        out.print(_rows_table(rows.column_names, records, title, out.width))


def _versions_table(columns: list[str], records: list[dict[str, Any]], title: str) -> Table:
    """Few rows, many columns (an entity's history): one column per row, one line per field; a value that
    differs from the previous version is highlighted, so what changed between versions stands out."""
    table = Table("field", *(f"offset {r.get('_offset', i)}" for i, r in enumerate(records)), title=title)
    for column in columns:
        cells, previous = [], None
        for i, record in enumerate(records):
            text = _cell(record.get(column))
            changed = i > 0 and text != previous and not column.startswith("_")
            cells.append(f"[bold yellow]{escape(text)}[/bold yellow]" if changed else escape(text))
            previous = text
        table.add_row(column, *cells)
    return table


def _rows_table(columns: list[str], records: list[dict[str, Any]], title: str, width: int) -> Table:
    """Many rows: ``_id`` and as many payload columns as the terminal fits (the store's own columns last);
    ``--json`` shows them all."""
    fits = max(4, width // MIN_COLUMN_WIDTH)
    payload_first = [c for c in columns if c == "_id"] + [c for c in columns if not c.startswith("_")]
    columns = payload_first + [c for c in columns if c not in payload_first]
    shown = columns[:fits]
    caption = f"{len(columns) - fits} more columns: use --json, or --id for one entity" if len(columns) > fits else None
    table = Table(*shown, title=title, caption=caption)
    for record in records:
        table.add_row(*(escape(_cell(record.get(column))) for column in shown))
    return table


@app.command("load")
def load(
    name: str,
    file: Annotated[Path, typer.Argument(help="JSON Lines (.jsonl/.json) or Parquet (.parquet) file.")],
    full: Annotated[bool, typer.Option("--full", help="Tombstone every live entity not in FILE.")] = False,
    key: Annotated[str, typer.Option("--key", help="Field holding each entity's id.")] = "_id",
    id_prefix: Annotated[str | None, typer.Option("--id-prefix", help="Prefix ids as PREFIX:id.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write even if the circuit breaker trips.")] = False,
    root: RootOption = None,
    project_dir: ProjectOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Write FILE into NAME: only new and changed entities are appended."""
    with _store(root, project_dir, as_json) as store:
        if not file.is_file():
            raise DatasetError(f"no such file: {file}", name)
        rows: Any = file if file.suffix.lower() == ".parquet" else read_jsonl(file, name)
        stats = store.write(name, rows, key=key, full=full, force=force, id_prefix=id_prefix)
    if as_json:
        typer.echo(json.dumps(_counts(stats)))
        return
    table = Table(title=f"loaded {file.name} into {name}")
    for column in ("new", "changed", "unchanged", "deleted", "duplicates", "offsets"):
        table.add_column(column, justify="right")
    offsets = "-" if stats.first_offset is None else f"{stats.first_offset}..{stats.last_offset}"
    table.add_row(*(f"{v:,}" for v in list(_counts(stats).values())[:5]), offsets)
    console().print(table)


@app.command("compact")
def compact(
    name: str,
    retention: Annotated[str, typer.Option("--retention", help="Keep superseded versions this young: 7d, 12h.")] = "0",
    root: RootOption = None,
    project_dir: ProjectOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Drop versions of NAME superseded longer ago than the retention (current state unchanged)."""
    with _store(root, project_dir, as_json) as store:
        stats = store.compact(name, parse_duration(retention))
    if as_json:
        typer.echo(json.dumps(stats.as_dict()))
        return
    console().print(
        f"{name}: {stats.versions_before:,} -> {stats.versions_after:,} versions, "
        f"{stats.parts_before} -> {stats.parts_after} parts, {_size(stats.bytes_before)} -> {_size(stats.bytes_after)}"
    )


def parse_duration(text: str) -> dt.timedelta:
    """``7d``, ``12h``, ``30m``, ``45s``, ``2w`` or ``0``; a bare number means days."""
    match = DURATION_RE.match(text.strip().lower())
    if not match:
        raise typer.BadParameter(f"{text!r} is not a duration like 7d, 12h, 30m")
    return dt.timedelta(seconds=int(match[1]) * UNIT_SECONDS[match[2]])


def _counts(stats: WriteStats) -> dict[str, int]:
    d = stats.as_dict()
    return {k: d[k] for k in ("new", "changed", "unchanged", "deleted", "duplicates")}


TRANSPOSE_UP_TO = 4
MIN_COLUMN_WIDTH = 14


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n} B"
