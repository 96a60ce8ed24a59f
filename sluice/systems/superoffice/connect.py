"""A SuperOffice client from the project's ``[systems.superoffice]`` table and the environment.

Rule: the environment wins; ``sluice.toml`` fills the URL and auth kind it leaves out. Secrets
only ever come from the environment (``settings.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from sluice.config import SystemConfig
from sluice.systems.streams import Stream

from .client import SuperOfficeClient
from .entities import ENTITIES
from .quote_rows import read_quote_rows
from .settings import ENV_PREFIX, SuperOfficeSettings

STREAMS = (
    *(
        Stream("superoffice", e.name, f"superoffice_{e.name}", e.carrier_key, stamp=e.carrier_updated)
        for e in ENTITIES.values()
    ),
    Stream("superoffice", "quote", "superoffice_quote", "SaleId", reader=read_quote_rows),
)


def connect(cfg: SystemConfig, environ: Mapping[str, str] | None = None) -> SuperOfficeClient:
    env = dict(os.environ if environ is None else environ)
    for name, value in (("URL", cfg.url), ("AUTH", cfg.auth)):
        if value and not env.get(f"{ENV_PREFIX}{name}"):
            env[f"{ENV_PREFIX}{name}"] = value
    return SuperOfficeClient.from_settings(SuperOfficeSettings.from_env(env), rate_limit=cfg.rate_limit)


def watermark(text: str) -> str:
    """The client takes a stored watermark as text (``reads.as_watermark``)."""
    return text
