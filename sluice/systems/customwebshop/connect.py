"""A Customwebshop client from the project's ``[systems.customwebshop]`` table and the environment.

Rule: the URL comes from ``SLUICE_CUSTOMWEBSHOP_URL`` or ``sluice.toml``; the API key only from the
environment, and a missing one is a ConfigError naming the variable.
"""

from __future__ import annotations

from sluice.config import SystemConfig
from sluice.errors import ConfigError
from sluice.secrets import secret_from_env
from sluice.systems.streams import Stream

from .client import ENV_API_KEY, ENV_URL, CustomwebshopClient
from .feed import Watermark

STREAMS = (
    Stream("customwebshop", "customers", "customwebshop_customer", "id"),
    Stream("customwebshop", "products", "customwebshop_product", "id"),
    Stream("customwebshop", "orders", "customwebshop_order", "id"),
)


def connect(cfg: SystemConfig) -> CustomwebshopClient:
    if not cfg.url:
        raise ConfigError(f"the shop's URL is not set: {ENV_URL} or [systems.customwebshop] url")
    key = secret_from_env(ENV_API_KEY)
    assert key is not None
    return CustomwebshopClient(cfg.url, key, rate_limit=cfg.rate_limit)


def watermark(text: str) -> Watermark:
    return Watermark.parse(text)
