"""``SuperOfficeTransport``: requests, list scans and carrier fetches against one tenant.

Rule: the bottom of the SuperOffice client. Every request goes through ``HttpClient.request``
(retries, 401 refresh, 421 re-discovery, error classification); this module adds SuperOffice's
error body, tenant re-discovery, list scans and concurrent carrier fetches. ``reads``, ``writes``
and ``quotes`` take a transport, and ``client.SuperOfficeClient`` (the facade) is one, so imports
only point down: client -> reads/writes/quotes -> transport.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import requests

from sluice.errors import ApiError, AuthError
from sluice.systems.http import HttpClient, Progress, RetryPolicy

from .entities import Entity, entity, json_object
from .paging import ListQuery, OnResponse, all_of, iter_rows, row_key
from .settings import api_url, context_identifier
from .settings import login_root as login_url

log = logging.getLogger("sluice.superoffice")

T = TypeVar("T")
R = TypeVar("R")

MAX_FAILED_IN_A_ROW = 20
"""A read that fails this many carriers in a row stops: the tenant is down, not one record."""


class SuperOfficeTransport(HttpClient):
    """A SuperOffice WebAPI session bound to one tenant (``{tenant_url}/api/v1``).

    Carriers come back as plain dicts minus ``TableRight``/``FieldProperties``/``_Links``;
    ``workers`` bounds concurrent carrier GETs."""

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
        return json_object(response, f"GET {e.carrier_path(key)}")

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

    def close(self) -> None:
        super().close()
        self.login.close()
