"""Rich consoles for the CLI, wide when not on a terminal.

Rule: every command prints through ``console()``. Off a terminal (a pipe, a file, CI logs) rich would
wrap at 80 columns and split a URL mid-word; there lines are only as long as their text makes them.
``COLUMNS`` still wins when it is set.
"""

from __future__ import annotations

import os

from rich.console import Console

WIDE = 1000


def console(*, stderr: bool = False) -> Console:
    out = Console(stderr=stderr)
    if not out.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        out.width = WIDE
    return out
