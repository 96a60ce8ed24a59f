"""Every system Sluice talks to, by name: how to connect, what it can read, how to parse its watermark.

Rule: the only module that names the systems. ``Project`` and the sync layer loop over ``SYSTEMS``;
a new system is one entry here plus its package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sluice.config import SystemConfig
from sluice.errors import ConfigError
from sluice.systems.customwebshop import connect as shop
from sluice.systems.customwebshop import schemas as shop_schemas
from sluice.systems.streams import Stream
from sluice.systems.superoffice import connect as so
from sluice.systems.superoffice import schemas as so_schemas


@dataclass(frozen=True)
class System:
    name: str
    connect: Callable[[SystemConfig], Any]
    """A client from the system's ``sluice.toml`` table (and the environment)."""
    streams: tuple[Stream, ...]
    watermark: Callable[[str], Any]
    """A stored watermark (text) as the client's ``read`` takes it."""
    schemas: Mapping[str, pa.Schema]
    """The payload schema of each dataset its pulls write, declared so pipes plan before the first pull."""


SYSTEMS = {
    s.name: s
    for s in (
        System("superoffice", so.connect, so.STREAMS, so.watermark, so_schemas.DATASET_SCHEMAS),
        System("customwebshop", shop.connect, shop.STREAMS, shop.watermark, shop_schemas.DATASET_SCHEMAS),
    )
}

STREAMS = {stream.name: stream for system in SYSTEMS.values() for stream in system.streams}
"""Every readable entity by registry name (``superoffice.contact``)."""


DATASET_SCHEMAS = {name: schema for system in SYSTEMS.values() for name, schema in system.schemas.items()}
"""Every pulled dataset's declared payload schema."""


def stream(name: str) -> Stream:
    if name not in STREAMS:
        raise ConfigError(f"unknown system entity {name!r}; known: {', '.join(sorted(STREAMS))}")
    return STREAMS[name]
