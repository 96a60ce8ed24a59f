"""What each system can read, declared as data: one ``Stream`` per system entity.

Rule: a stream names the dataset it fills, the record key and the id namespace; the sync layer
turns streams into pulls, so adding an entity is one line in its system's ``STREAMS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stream:
    """One readable entity: ``client.read(entity, since)`` fills ``dataset``, keyed by ``key``."""

    system: str
    entity: str
    dataset: str
    key: str
    stamp: str | None = None
    """The record's own change-time field, where it has one: a full pull may then scan (list keys and
    dates, fetch only what may have changed); without it a full pull reads every record."""
    reader: Callable[[Any, Any, Any], Any] | None = None
    """How to read it when ``client.read(entity, since)`` cannot: ``reader(client, since, progress)`` (the quote
    tree, read through the Quote agent into one row per sale)."""

    @property
    def name(self) -> str:
        """The registry name flows use: ``superoffice.contact``, ``customwebshop.customers``."""
        return f"{self.system}.{self.entity}"

    @property
    def id_prefix(self) -> str:
        """``superoffice_contact`` -> ``superoffice-contact`` (the dataset's ``_id`` namespace)."""
        return self.dataset.replace("_", "-", 1)
