"""``SuperOfficeClient``: the one object callers hold to talk to a SuperOffice tenant.

Rule: every request goes through ``HttpClient.request`` (retries, 401 refresh, 421
re-discovery, error classification); this module adds SuperOffice's error body, tenant
re-discovery, list scans and concurrent carrier fetches, and delegates reads, writes and
quotes to the modules named for them. Configuration: see ``settings.py`` (the
``SLUICE_SUPEROFFICE_*`` environment variables) and ``docs/superoffice.md``.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

import requests

from sluice.errors import ApiError, AuthError
from sluice.systems.http import HttpClient, Progress, RetryPolicy

from . import products, reads, writes
from .auth import build_auth
from .entities import Entity, entity, strip_noise
from .paging import ListQuery, OnResponse, all_of, iter_rows, row_key
from .quotes import QuoteAgent, QuoteTree
from .settings import SuperOfficeSettings, api_url, context_identifier
from .settings import login_root as login_url
from .watermark import ReadResult, Watermark

log = logging.getLogger("sluice.superoffice")

T = TypeVar("T")
R = TypeVar("R")

MAX_FAILED_IN_A_ROW = 20
"""A read that fails this many carriers in a row stops: the tenant is down, not one record."""


class SuperOfficeClient(HttpClient):
    """A SuperOffice WebAPI client bound to one tenant (``{tenant_url}/api/v1``).

    Reads stream plain dicts (carriers minus ``TableRight``/``FieldProperties``/``_Links``);
    writes return the saved carrier. ``workers`` bounds concurrent carrier GETs."""

    def __init__(
        self,
        tenant_url: str,
        auth: requests.auth.AuthBase | None = None,
        *,
        login_root: str | None = None,
        workers: int = 8,
        page_size: int = 1000,
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        rate_limit: float | None = None,
        seed: int | None = None,
        login: HttpClient | None = None,
    ) -> None:
        super().__init__(
            api_url(tenant_url),
            auth=auth,
            timeout=timeout,
            retry=retry,
            rate_limit=rate_limit,
            pool_size=max(16, workers + 4),
            seed=seed,
        )
        self.context_identifier = context_identifier(tenant_url)
        self.login = login or HttpClient(login_url(tenant_url, login_root), timeout=timeout, retry=retry, seed=seed)
        self.workers = max(1, workers)
        self.page_size = page_size
        self.dynamic_supported: bool | None = None  # learnt on first incremental read
        self._relocate_lock = threading.Lock()
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

    # -- hooks ---------------------------------------------------------------------------

    def error_message(self, response: requests.Response) -> str:
        """SuperOffice errors are ``{"Error": true, "ErrorType": ..., "ErrorMessage": ...}``."""
        try:
            body = response.json()
        except ValueError:
            return response.text[:300]
        if isinstance(body, dict) and (body.get("ErrorMessage") or body.get("ErrorType")):
            kind, message = body.get("ErrorType") or "Error", body.get("ErrorMessage") or ""
            return f"{kind}: {message}"[:300]
        return response.text[:300]

    def on_misdirected(self, response: requests.Response) -> bool:
        """421: ask ``{login_root}/api/state/{ctx}`` where the tenant lives now and move there."""
        with self._relocate_lock:
            old = self.base_url
            if not (response.url or "").startswith(old + "/"):
                return True  # another thread already moved us while this request was in flight
            try:
                state = self.login.get_json(f"api/state/{self.context_identifier}")
            except ApiError as exc:
                log.warning("tenant %s: state lookup after 421 failed: %s", self.context_identifier, exc)
                return False
            endpoint = state.get("Endpoint") if isinstance(state, dict) else None
            if not endpoint:
                return False
            new = api_url(str(endpoint))
            if new == old:
                return False
            log.info("tenant %s moved: %s -> %s", self.context_identifier, old, new)
            self.base_url = new
            return True

    # -- lists and carriers ----------------------------------------------------------------

    def list_rows(
        self,
        path: str,
        key: str,
        select: Iterable[str] = (),
        *,
        filter: str | None = None,
        seek: bool = True,
        progress: Progress | None = None,
        on_response: OnResponse | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Rows of an OData list (``Contact``, ``Archive/Dynamic``, ...) ordered and paged by ``key``."""
        query = ListQuery(path, key, tuple(select), filter, self.page_size, seek)
        return iter_rows(self, query, progress, on_response)

    def iter_ids(self, name: str | Entity, *, filter: str | None = None) -> Iterator[int]:
        """Every primary key of an entity's list, ascending, page by page."""
        e = entity(name)
        for row in self.list_rows(e.path, e.list_key, (e.list_key,), filter=all_of(filter, e.list_filter)):
            yield row_key(row, e.list_key)

    def ids(self, name: str | Entity) -> set[int]:
        """The full primary-key set (deletion detection: live ids minus these are gone)."""
        return set(self.iter_ids(name))

    def get_carrier(self, name: str | Entity, key: int) -> dict[str, Any] | None:
        """One entity carrier without noise; None when it no longer exists (404)."""
        e = entity(name)
        response = self.request("GET", e.carrier_path(key), accept=(404,))
        if response.status_code == 404:
            return None
        return _json_object(response, f"GET {e.carrier_path(key)}")

    def carriers(
        self,
        name: str | Entity,
        keys: Iterable[int],
        progress: Progress | None = None,
        *,
        failed: dict[int, ApiError] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Carriers for ``keys`` fetched ``workers`` at a time, in key order; vanished ones skipped.

        With ``failed``, a carrier that cannot be fetched after retries is recorded there by key and
        skipped (an auth error, or ``MAX_FAILED_IN_A_ROW`` failures in a row, still raise); without
        it, the first failure raises."""
        e = entity(name)

        def fetch(key: int) -> tuple[int, dict[str, Any] | None, ApiError | None]:
            try:
                return key, self.get_carrier(e, key), None
            except AuthError:
                raise
            except ApiError as exc:
                if failed is None:
                    raise
                return key, None, exc

        batch = in_a_row = 0
        for key, carrier, error in self.map_concurrent(fetch, keys):
            if error is not None:
                assert failed is not None
                failed[key] = error
                in_a_row += 1
                if in_a_row >= MAX_FAILED_IN_A_ROW:
                    raise type(error)(
                        f"{in_a_row} {e.name} reads in a row failed, the last: {error}",
                        status=error.status, method=error.method, url=error.url,
                    )  # fmt: skip
                continue
            in_a_row = 0
            if carrier is None:
                continue
            yield carrier
            batch += 1
            if progress and batch >= 100:
                progress(batch)
                batch = 0
        if progress and batch:
            progress(batch)

    def map_concurrent(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``fn`` over ``items`` on ``workers`` threads, results in input order, at most a
        few windows in flight (constant memory however long ``items`` is)."""
        window = self.workers * 4
        pending: deque[Future[R]] = deque()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="superoffice") as pool:
            try:
                for item in items:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= window:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()

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
        return products.set_in_assortment(self, product_id, in_assortment)

    def close(self) -> None:
        super().close()
        self.login.close()


def _json_object(response: requests.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ApiError(f"{what}: the answer is not JSON", status=response.status_code) from None
    if not isinstance(body, dict):
        raise ApiError(f"{what}: expected a JSON object", status=response.status_code)
    return strip_noise(body)  # type: ignore[return-value]
