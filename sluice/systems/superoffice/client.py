"""``SuperOfficeClient``: the one object callers hold to talk to a SuperOffice tenant.

Rule: a facade. Requests, list scans and carriers are the transport's (``transport.py``);
reads, writes and quotes are delegated to the modules named for them, which take the
transport and never import this module. Configuration: see ``settings.py`` (the
``SLUICE_SUPEROFFICE_*`` environment variables) and ``docs/superoffice.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import requests

from sluice.systems.http import HttpClient, Progress

from . import full_scan, products, reads, writes
from .auth import build_auth
from .entities import Entity, entity
from .quotes import QuoteAgent, QuoteTree
from .settings import SuperOfficeSettings
from .transport import SuperOfficeTransport
from .watermark import ReadResult, Watermark


class SuperOfficeClient(SuperOfficeTransport):
    """A SuperOffice WebAPI client bound to one tenant: reads stream plain dicts, writes return the saved carrier."""

    def __init__(self, tenant_url: str, auth: requests.auth.AuthBase | None = None, **kwargs: Any) -> None:
        super().__init__(tenant_url, auth, **kwargs)
        self.quotes = QuoteAgent(self)

    @classmethod
    def from_settings(cls, settings: SuperOfficeSettings, **kwargs: Any) -> SuperOfficeClient:
        """A client with the auth the settings name; ``kwargs`` go to the constructor."""
        login = HttpClient(settings.login_root, timeout=kwargs.get("timeout", (5.0, 60.0)), retry=kwargs.get("retry"))
        auth = build_auth(settings, login)
        return cls(settings.tenant_url, auth, login_root=settings.login_root, login=login, **kwargs)

    @classmethod
    def from_env(cls, **kwargs: Any) -> SuperOfficeClient:
        """A client configured from the ``SLUICE_SUPEROFFICE_*`` environment variables."""
        return cls.from_settings(SuperOfficeSettings.from_env(), **kwargs)

    def __repr__(self) -> str:
        return f"SuperOfficeClient({self.base_url!r}, auth={self.auth!r})"

    # -- reads (see reads.py) --------------------------------------------------------------

    def read(
        self,
        name: str | Entity,
        since: Watermark | datetime | str | None = None,
        *,
        progress: Progress | None = None,
    ) -> ReadResult:
        """All records (``since=None``) or those updated at/after ``since``; see ``reads.read``."""
        return reads.read(self, entity(name), since, progress)

    def scan(
        self,
        name: str | Entity,
        since: Watermark | datetime | str,
        held: Mapping[int, Any],
        *,
        progress: Progress | None = None,
    ) -> ReadResult:
        """A cheap full read: every key listed, carriers fetched only for keys not in ``held`` (key ->
        stored ``UpdatedDate``) or whose list row may have changed since ``since``; see ``full_scan``."""
        mark = reads.as_watermark(since)
        if mark is None:
            raise ValueError("a scan needs the watermark of the last successful read (else: read everything)")
        return full_scan.scan(self, entity(name), mark, held, progress)

    def read_products(
        self,
        price_list_id: int | None = None,
        since: Watermark | datetime | str | None = None,
        *,
        progress: Progress | None = None,
    ) -> ReadResult:
        """Product carriers of one price list (all price lists when None), full or since a watermark."""
        scoped = products.in_price_list(price_list_id) if price_list_id is not None else entity("product")
        return reads.read(self, scoped, since, progress)

    def price_lists(self) -> list[dict[str, Any]]:
        """Every price list's carrier (``Currency`` is its ISO code)."""
        return list(products.price_lists(self))

    def find_price_list(self, wanted: int | str) -> dict[str, Any]:
        """The price list named by id, ERP key, name or currency; ConfigError naming the known ones if none."""
        return products.find_price_list(self, wanted)

    def deleted_contacts(self, since: Watermark | datetime | str | None = None) -> set[int]:
        """Ids of soft-deleted contacts (deleted at/after ``since`` when given)."""
        return reads.deleted_contacts(self, since)

    def read_quotes(
        self,
        sale_ids: Iterable[int] | None = None,
        *,
        since: Watermark | datetime | str | None = None,
        progress: Progress | None = None,
    ) -> Iterable[QuoteTree]:
        """The quote tree of each sale that has a quote: the given sales, those whose header, quote
        or lines changed at/after ``since``, or all of them (a ``QuoteRead``, with ``.watermark``)."""
        return self.quotes.read(sale_ids, since=reads.as_watermark(since), progress=progress)

    # -- writes (see writes.py) ------------------------------------------------------------

    def create(self, name: str | Entity, values: dict[str, Any]) -> dict[str, Any]:
        return writes.create(self, entity(name), values)

    def update(
        self,
        name: str | Entity,
        key: int,
        changes: dict[str, Any],
        *,
        unmodified_since: datetime | None = None,
        method: str | None = None,
    ) -> dict[str, Any]:
        return writes.update(self, entity(name), key, changes, unmodified_since=unmodified_since, method=method)

    def replace(
        self, name: str | Entity, record: dict[str, Any], *, unmodified_since: datetime | None = None
    ) -> dict[str, Any]:
        return writes.replace(self, entity(name), record, unmodified_since=unmodified_since)

    def delete(self, name: str | Entity, key: int, *, unmodified_since: datetime | None = None) -> bool:
        return writes.delete(self, entity(name), key, unmodified_since=unmodified_since)

    def set_sale_status(self, sale_id: int, status: str, *, unmodified_since: datetime | None = None) -> dict[str, Any]:
        """PATCH a sale's ``Status`` (Open, Sold, Lost, Stalled)."""
        return writes.update(self, entity("sale"), sale_id, {"Status": status}, unmodified_since=unmodified_since)

    def update_product_if_unchanged(
        self, product_id: int, expected: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Re-read, refuse (PreconditionFailed) if a field of ``expected`` moved, else PUT ``changes``."""
        return products.update_if_unchanged(self, product_id, expected, changes)

    def set_product_in_assortment(self, product_id: int, in_assortment: bool) -> dict[str, Any]:
        """``InAssortment`` brought to the wanted state through the Quote agent's toggle (verified)."""
        return products.set_in_assortment(self, self.quotes, product_id, in_assortment)
