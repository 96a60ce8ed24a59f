"""``python -m sluice.demo_datasets [ROOT]``: change detection on a few thousand companies, end to end.

Loads generated companies (a nested address, a list of e-mails) into a dataset, edits some and drops a
few, loads again with a full write, and prints what each load appended. Without ROOT it uses a
temporary folder, so it never touches ./datasets.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from sluice.datasets import DatasetStore, WriteStats

CITIES = ["Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø"]


def companies(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "contactId": i,
            "name": f"Company {i} AS",
            "orgNr": f"{900000000 + i}",
            "address": {
                "street": f"Storgata {rng.randint(1, 200)}",
                "zip": f"{rng.randint(0, 9999):04d}",
                "city": rng.choice(CITIES),
            },
            "emails": [f"post@company{i}.no"] + ([f"sales@company{i}.no"] if i % 3 == 0 else []),
            "employees": rng.randint(1, 500),
        }
        for i in range(1, n + 1)
    ]


def edit(rows: list[dict[str, Any]], seed: int = 11) -> list[dict[str, Any]]:
    """Rename every 50th company, move every 70th, and drop every 200th (a full load tombstones them)."""
    edited = []
    for row in rows:
        i = row["contactId"]
        if i % 200 == 0:
            continue
        row = dict(row)
        if i % 50 == 0:
            row["name"] = row["name"].replace(" AS", " Holding AS")
        if i % 70 == 0:
            row["address"] = {**row["address"], "city": random.Random(seed + i).choice(CITIES) + " sentrum"}
        edited.append(row)
    return edited


def run(root: Path, n: int = 3000) -> list[tuple[str, WriteStats]]:
    with DatasetStore(root) as store:
        first = companies(n)
        steps = [
            ("first load", store.write("superoffice_contact", first, key="contactId", id_prefix="superoffice-contact")),
            (
                "same data again",
                store.write("superoffice_contact", first, key="contactId", id_prefix="superoffice-contact"),
            ),
            (
                "edited, full load",
                store.write(
                    "superoffice_contact", edit(first), key="contactId", id_prefix="superoffice-contact", full=True
                ),
            ),
        ]
    return steps


def render(steps: list[tuple[str, WriteStats]], root: Path) -> Table:
    table = Table(title=f"superoffice_contact in {root}")
    for column in ("load", "new", "changed", "unchanged", "deleted", "appended bytes"):
        table.add_column(column, justify="left" if column == "load" else "right")
    for label, s in steps:
        table.add_row(
            label, f"{s.new:,}", f"{s.changed:,}", f"{s.unchanged:,}", f"{s.deleted:,}", f"{s.appended_bytes:,}"
        )
    return table


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    console = Console()
    if args:
        root = Path(args[0])
        console.print(render(run(root), root))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        console.print(render(run(Path(tmp)), Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
