"""``CustomwebshopClient``: the shop's REST API (``customwebshop-api.md``) over the shared ``HttpClient``.

Rule: every write is safe to retry. Creates always carry an ``Idempotency-Key`` (derived from the caller's
key when given, so a retry in a later process reuses it; random otherwise, still reused by the retry loop),
and so do updates and deletes, so a write whose answer was lost is replayed, never done twice. Bodies may
hold ``Decimal`` values (what a pipe's ``DECIMAL`` columns become): they go out as the shop's decimal strings.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import requests

from sluice.errors import ConfigError, ConflictError, PermanentError
from sluice.secrets import Secret, secret_from_env
from sluice.systems.customwebshop.batch import BatchItemResult, chunks, problem_message
from sluice.systems.customwebshop.feed import Page, ReadResult, Watermark
from sluice.systems.http import HttpClient, Progress, RetryPolicy

RESOURCES = ("customers", "products", "orders")
ENV_URL = "SLUICE_CUSTOMWEBSHOP_URL"
ENV_API_KEY = "SLUICE_CUSTOMWEBSHOP_API_KEY"
REUSED_KEY_TITLE = "Idempotency key reused"


class BearerKey(requests.auth.AuthBase):
    """``Authorization: Bearer <key>``; the key stays a ``Secret`` until the header is built."""

    def __init__(self, key: Secret) -> None:
        self.key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.key.reveal()}"
        return request

    def __repr__(self) -> str:
        return "BearerKey('***')"


def wire(value: Any) -> Any:
    """A body with every ``Decimal`` as a plain decimal string (``Decimal("1E+3")`` -> ``"1000"``); a NaN or
    infinite one is a ValueError naming it, before anything is sent."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a number the shop can store")
        return format(value, "f")
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    return value


def as_decimals(value: Any) -> Any:
    """The shop's numbers are decimals kept as written: a float goes as its shortest decimal (``2.0`` -> ``2.0``,
    never ``2.0000000001``), which the client sends as text."""
    if isinstance(value, dict):
        return {k: as_decimals(v) for k, v in value.items()}
    if isinstance(value, list):  # order lines
        return [as_decimals(v) for v in value]
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    return value


def existing_id(error: ConflictError) -> int | None:
    """The record a 409 names as already holding the unique value (a product's ``sku``), if the problem says."""
    try:
        problem = json.loads(error.body or "")
    except ValueError:
        return None
    found = problem.get("existing_id") if isinstance(problem, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def derive_key(resource: str, caller_key: str | None) -> str:
    """The header value for a create: stable for a caller's key (``"superoffice-contact:42"``), else random."""
    if caller_key is None:
        return f"sluice-{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{resource}\n{caller_key}".encode()).hexdigest()[:40]
    return f"sluice-{resource}-{digest}"


class CustomwebshopClient(HttpClient):
    """A session against one shop: ``root_url`` is the shop's root, the API lives under ``/api/v1``."""

    def __init__(
        self,
        root_url: str,
        api_key: Secret | str,
        *,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        pool_size: int = 16,
    ) -> None:
        key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        super().__init__(
            f"{root_url.rstrip('/')}/api/v1",
            auth=BearerKey(key),
            retry=retry,
            rate_limit=rate_limit,
            timeout=timeout,
            pool_size=pool_size,
        )
        self.root_url = root_url.rstrip("/")

    @classmethod
    def from_env(cls, **kwargs: Any) -> CustomwebshopClient:
        """From ``SLUICE_CUSTOMWEBSHOP_URL`` and ``SLUICE_CUSTOMWEBSHOP_API_KEY`` (ConfigError names a missing one)."""
        url = os.environ.get(ENV_URL)
        if not url:
            raise ConfigError(f"the environment variable {ENV_URL} is not set (the shop's root URL)")
        key = secret_from_env(ENV_API_KEY)
        assert key is not None
        return cls(url, key, **kwargs)

    def __repr__(self) -> str:
        return f"CustomwebshopClient({self.root_url!r}, api_key='***')"

    # -- HttpClient hooks -----------------------------------------------------------------------

    def error_message(self, response: requests.Response) -> str:
        """The problem+json title, detail and field errors (the shop's error bodies)."""
        try:
            problem = response.json()
        except ValueError:
            return response.text[:300]
        return problem_message(problem) if isinstance(problem, dict) else response.text[:300]

    # -- reads ----------------------------------------------------------------------------------

    def read(
        self,
        resource: str,
        since: Watermark | None = None,
        include_deleted: bool = True,
        page_size: int = 500,
        progress: Progress | None = None,
        *,
        external_ref: tuple[str, str] | None = None,
    ) -> ReadResult:
        """Every record (and tombstone) updated at or after ``since``, streamed; ``since=None`` reads all.

        Iterate the result; its ``watermark`` is then where the next incremental read starts.
        """
        _check(resource)
        if not 1 <= page_size <= 1000:
            raise ValueError("page_size must be 1..1000")
        params: dict[str, Any] = {"limit": page_size, "include_deleted": "true" if include_deleted else "false"}
        if since is not None:
            params["updated_since"] = since.updated_since
        if external_ref is not None:
            params["external_ref"] = f"{external_ref[0]}:{external_ref[1]}"

        def pages() -> Iterator[Page]:
            cursor: str | None = None
            seen: set[str] = set()
            while True:
                page = self.get_json(resource, params={**params, **({"cursor": cursor} if cursor else {})})
                data = page.get("data")
                if not isinstance(data, list):
                    raise PermanentError(f"GET {resource}: the page has no data list", method="GET", url=resource)
                if progress is not None:
                    progress(len(data))
                yield data
                cursor = page.get("next_cursor")
                if not cursor:
                    return
                if cursor in seen:  # a server bug must not become an endless loop
                    raise PermanentError(f"GET {resource}: the cursor repeated", method="GET", url=resource)
                seen.add(cursor)

        return ReadResult(pages, since)

    def get(self, resource: str, record_id: int) -> dict[str, Any]:
        """One record (with ``version``); NotFoundError when it does not exist or was deleted."""
        _check(resource)
        return self.get_json(f"{resource}/{int(record_id)}")

    def find_by_external_ref(self, resource: str, key: str, value: str | int) -> list[dict[str, Any]]:
        """The live records whose ``external_refs[key] == value`` (normally zero or one)."""
        return list(self.read(resource, include_deleted=False, page_size=100, external_ref=(key, str(value))))

    # -- writes ---------------------------------------------------------------------------------

    def create(self, resource: str, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """Create a record; a retry (now or in a later run, with the same ``idempotency_key``) never makes two.

        When the key was used before with another body (the source changed between a lost answer and
        the retry), the record the first call created is updated with ``body`` instead.
        """
        _check(resource)
        key = derive_key(resource, idempotency_key)
        response = self.request("POST", resource, json=wire(body), headers={"Idempotency-Key": key}, accept=(422,))
        if response.status_code == 422:
            problem = _problem(response)
            if problem.get("title") == REUSED_KEY_TITLE and isinstance(problem.get("existing_id"), int):
                return self.update(resource, problem["existing_id"], body)
            raise self.classify("POST", response)
        return response.json()

    def update(
        self, resource: str, record_id: int, patch: dict[str, Any], if_match: int | None = None
    ) -> dict[str, Any]:
        """A JSON merge patch; with ``if_match`` the shop refuses (PreconditionFailed) if the version moved on."""
        _check(resource)
        headers = {"Idempotency-Key": derive_key(resource, None)}
        if if_match is not None:
            headers["If-Match"] = f'"{int(if_match)}"'
        return self.request("PATCH", f"{resource}/{int(record_id)}", json=wire(patch), headers=headers).json()

    def delete(self, resource: str, record_id: int, if_match: int | None = None) -> None:
        """Soft delete (the feed then shows a tombstone)."""
        _check(resource)
        headers = {"Idempotency-Key": derive_key(resource, None)}
        if if_match is not None:
            headers["If-Match"] = f'"{int(if_match)}"'
        self.request("DELETE", f"{resource}/{int(record_id)}", headers=headers)

    def batch(
        self, resource: str, items: Sequence[dict[str, Any]], progress: Progress | None = None
    ) -> list[BatchItemResult]:
        """Create (no ``id``) or merge-patch (with ``id``) many records, 100 per request, one result per item.

        An item may carry ``idempotency_key`` (the caller's key, as for ``create``); it is derived the same
        way, so a create retried through ``create`` or ``batch`` is recognised either way. A failed item's
        ``error(resource)`` is the exception the single call would have raised; a transient failure of a whole
        request is retried here, with the same ``Idempotency-Key``, so a lost answer is replayed, not redone.
        """
        _check(resource)
        results: list[BatchItemResult] = []
        for offset, chunk in chunks(items):
            body = {"items": [_batch_item(resource, item) for item in chunk]}
            response = self.request(
                "POST", f"{resource}/batch", json=body, headers={"Idempotency-Key": derive_key(resource, None)}
            )
            results.extend(_batch_results(response, offset, len(chunk)))
            if progress is not None:
                progress(len(chunk))
        return results


def _check(resource: str) -> None:
    if resource not in RESOURCES:
        raise ValueError(f"unknown Customwebshop resource {resource!r}; expected one of {RESOURCES}")


def _batch_item(resource: str, item: dict[str, Any]) -> dict[str, Any]:
    if item.get("idempotency_key") is None:
        return wire(item)
    return wire({**item, "idempotency_key": derive_key(resource, str(item["idempotency_key"]))})


def _batch_results(response: requests.Response, offset: int, size: int) -> list[BatchItemResult]:
    """One result per item of a chunk, in item order; an item the answer does not cover counts as a 502
    (transient: its idempotency key makes the retry safe), so no item is ever silently taken as done."""
    answers: dict[int, BatchItemResult] = {}
    for answer in response.json().get("results") or []:
        index = int(answer["index"])
        if 0 <= index < size:
            answers[index] = BatchItemResult(
                index=offset + index,
                status=int(answer["status"]),
                record=answer.get("record"),
                problem=answer.get("problem"),
            )
    missing = {"title": "No result", "detail": "the batch answer has no result for this item"}
    return [answers.get(i) or BatchItemResult(offset + i, 502, problem=missing) for i in range(size)]


def _problem(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
