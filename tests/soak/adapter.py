"""The plug a flow offers the campaign: its users' actions, its model of what they did, its invariants.

Rule: the runner knows syncs, faults and kills only; everything about records lives behind this protocol, so
the product and order flows add an adapter (and a line in ``ADAPTERS``) and nothing else.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from sluice.project import Project
from tests.soak.figures import Violation
from tests.soak.world import World


class FlowAdapter(Protocol):
    """One flow's part in a scenario. A fresh adapter is made per scenario, so it may keep state."""

    name: str

    def begin(self, world: World) -> None:
        """Learn the seeded records, before the first sync."""
        ...

    def act(self, world: World, rng: random.Random) -> str | None:
        """Make one random user action on either system (create, edit, delete, restore) and name it ("so edit");
        None when none was possible (nothing to edit yet). Counted as an edit."""
        ...

    def write_budget(self) -> int:
        """What the user actions since the last checkpoint allow a clean sync to write: one write per action,
        plus any the flow's rules add (a trimmed write-back)."""
        ...

    def observe(self, world: World) -> None:
        """After an unchecked (faulty or killed) sync: note what it settled (values both systems now agree on
        become the base those fields' later edits are judged from), or nothing."""
        ...

    def check(self, world: World, project: Project) -> list[Violation]:
        """The flow's invariants after a clean sync, read from both systems over HTTP (and the project's links)."""
        ...

    def checkpoint(self, world: World, project: Project) -> int:
        """The systems agree now: remember their state as the base of the next window. Returns the conflicts
        recorded during the window (for the figures)."""
        ...


AdapterFactory = Callable[[set[str]], FlowAdapter]
"""Makes a flow's adapter for one scenario, given the generator features switched on (see ``FEATURES``)."""
