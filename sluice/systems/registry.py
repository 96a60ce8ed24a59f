"""Every system Sluice talks to, by name: how to connect, what it can read, how to parse its watermark.

Rule: the only module that names the systems. ``Project`` and the sync layer loop over ``SYSTEMS``;
a new system is one entry here plus its package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sluice.config import SystemConfig
from sluice.errors import ConfigError
from sluice.systems.customwebshop import connect as customwebshop
from sluice.systems.streams import Stream
from sluice.systems.superoffice import connect as superoffice


@dataclass(frozen=True)
class System:
    name: str
    connect: Callable[[SystemConfig], Any]
    """A client from the system's ``sluice.toml`` table (and the environment)."""
    streams: tuple[Stream, ...]
    watermark: Callable[[str], Any]
    """A stored watermark (text) as the client's ``read`` takes it."""


SYSTEMS = {
    s.name: s
    for s in (
        System("superoffice", superoffice.connect, superoffice.STREAMS, superoffice.watermark),
        System("customwebshop", customwebshop.connect, customwebshop.STREAMS, customwebshop.watermark),
    )
}

STREAMS = {stream.name: stream for system in SYSTEMS.values() for stream in system.streams}
"""Every readable entity by registry name (``superoffice.contact``)."""


def stream(name: str) -> Stream:
    if name not in STREAMS:
        raise ConfigError(f"unknown system entity {name!r}; known: {', '.join(sorted(STREAMS))}")
    return STREAMS[name]
