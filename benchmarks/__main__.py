"""``python -m benchmarks [NAME ...] [--quick]``: run the benchmark modules and print one table.

Writes the rows to ``benchmarks/results.json`` too, so the README's figures can be refreshed; a whole run
rewrites the table of ``benchmarks/RESULTS.md`` and keeps the sections below it.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.common import Result

HERE = Path(__file__).parent


def discover(names: list[str]) -> list[str]:
    found = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    if names:
        found = [m for m in found if any(m == f"bench_{n}" or m == n for n in names)]
    return found


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("--")]
    console = Console()
    results: list[Result] = []
    for module_name in discover(names):
        console.print(f"[bold]running {module_name}[/bold]{' (quick)' if quick else ''}")
        module = importlib.import_module(f"benchmarks.{module_name}")
        results.extend(module.run(quick=quick))
    table = Table(title="Sluice benchmarks (ratios are against a baseline measured in the same run)")
    for column in ("bench", "case", "value", "baseline", "ratio", "note"):
        table.add_column(column, justify="right" if column in ("value", "baseline", "ratio") else "left")
    for r in results:
        table.add_row(
            r.bench,
            r.case,
            f"{r.value:,.3f} {r.unit}",
            f"{r.baseline:,.3f} {r.unit} ({r.baseline_name})" if r.baseline is not None else "",
            f"{r.ratio:.2f}×" if r.ratio is not None else "",
            r.note,
        )
    console.print(table)
    if not quick and not names:
        (HERE / "results.json").write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
        path = HERE / "RESULTS.md"
        path.write_text(markdown(results) + kept_sections(path))
    return 0


def kept_sections(path: Path) -> str:
    """The ``## `` sections written by hand below the table (figures of single runs, context): kept as they are."""
    text = path.read_text() if path.exists() else ""
    at = text.find("\n## ")
    return "" if at < 0 else text[at:]


def markdown(results: list[Result]) -> str:
    """The README's performance figures: one table, ratios to the same-run baselines."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks`). Each figure is compared with a baseline measured",
        "in the same run on the same (shared, noisy) machine: read the ratios, not the absolute times.",
        "",
        "| benchmark | case | value | baseline | ratio | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        baseline = f"{r.baseline:,.3f} {r.unit} ({r.baseline_name})" if r.baseline is not None else ""
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else ""
        lines.append(f"| {r.bench} | {r.case} | {r.value:,.3f} {r.unit} | {baseline} | {ratio} | {r.note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
