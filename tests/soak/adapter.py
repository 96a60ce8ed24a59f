"""The plug a flow offers the campaign: its users' actions, its model of what they did, its invariants.

Rule: the runner knows syncs, faults and kills only; everything about records lives behind this protocol, so
the product and order flows add an adapter (and a line in ``ADAPTERS``) and nothing else.
"""

from __future__ import annotations

import random
from typing import Protocol

from sluice.project import Project
from tests.soak.figures import Violation
from tests.soak.world import World


class FlowAdapter(Protocol):
    """One flow's part in a scenario. A fresh adapter is made per scenario, so it may keep state."""

    name: str
    enables: tuple[str, ...]
    """The flows the scenario's ``sluice.toml`` must switch on for this adapter (shipped disabled ones)."""

    def begin(self, world: World) -> None:
        """Learn the seeded records, before the first sync."""
        ...

    def act(self, world: World, rng: random.Random) -> str | None:
        """Make one random user action on either system (create, edit, delete, restore) and name it ("so edit");
        None when none was possible (nothing to edit yet). Counted as an edit."""
        ...

    def wants_full(self) -> bool:
        """The next clean check's sync must be a full one: an action since the last check is seen only by a full
        pull (a hard delete)."""
        ...

    def clean_syncs(self) -> int:
        """How many clean syncs the actions since the last check need before both systems agree: 1, or 2 when an
        action's effect reaches other records only through the next run's pull (a shop edit of one order changes
        its sale, and the sale's other orders)."""
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


class AdapterFactory(Protocol):
    """Makes a flow's adapter for one scenario, given the generator features switched on (see ``FEATURES``)."""

    enables: tuple[str, ...]

    def __call__(self, features: set[str]) -> FlowAdapter: ...
