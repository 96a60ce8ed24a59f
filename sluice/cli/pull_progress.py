"""A progress bar per pull for ``sluice sync`` on a terminal.

Rule: progress is decoration for a person watching. On a terminal each pull gets a rich bar (records so
far, of the expected when known, and rows/s) on stderr, gone when the sync ends; off a terminal (a pipe,
a file, CI logs, ``--json``) there is nothing at all, so logs and JSON stay clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from sluice.project import PullWatcher


class RateColumn(ProgressColumn):
    """Rows per second over the last moments of the pull."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} rows/s" if task.speed else "", style="progress.data.speed")


@contextmanager
def pull_progress(console: Console) -> Iterator[PullWatcher | None]:
    """A watcher for ``Project.sync(progress=...)`` while the block runs; None off a terminal."""
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn("pull {task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bars:

        def watch(dataset: str, expected: int | None) -> Callable[[int], None]:
            task = bars.add_task(dataset, total=expected)
            return lambda n: bars.advance(task, n)

        yield watch
