"""Shared HTTP machinery for every system client: one place for sessions, retries and errors.

Rule: ``HttpClient.request`` owns the loop (send, classify, back off, refresh auth, retry);
a system client supplies small hooks (``error_message``, ``on_misdirected``) and builds
its reads and writes on top. Errors are classified once, where the response is read:
TransientError (retried here, then raised), PermanentError and its kinds (raised at once).
URLs are redacted before they reach a log line or an error; headers are never logged.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from sluice.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    PermanentError,
    PreconditionFailed,
    TransientError,
)

log = logging.getLogger("sluice.http")

SENSITIVE_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "password",
        "ticket",
        "key",
        "secret",
    }
)
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``backoff`` doubles per attempt from ``base`` up to ``cap``, with full jitter;
    a ``Retry-After`` is honoured but never shortens the backoff, so ``Retry-After: 0`` cannot burn
    every attempt in a tight loop."""

    attempts: int = 6
    base: float = 0.1
    cap: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        backoff = min(self.cap, self.base * (2**attempt))
        jittered = backoff / 2 + rng.uniform(0, backoff / 2)
        if retry_after is None:
            return jittered
        return min(self.max_retry_after, max(retry_after, jittered))


class RateLimiter:
    """A thread-safe token bucket: at most ``rate`` requests per second, bursts up to ``burst``."""

    def __init__(self, rate: float | None, burst: int = 1) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if not self.rate:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            time.sleep(wait)


class RefreshableAuth(requests.auth.AuthBase):
    """An auth that can renew its credentials after a 401 (OAuth refresh, a new ticket)."""

    def refresh(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class RequestStats:
    """Counters a client keeps about its own traffic (for reports and benchmarks)."""

    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    by_method: dict[str, int] = field(default_factory=dict)

    def add(self, method: str, seconds: float) -> None:
        self.requests += 1
        self.seconds += seconds
        self.by_method[method] = self.by_method.get(method, 0) + 1


def redact_url(url: str) -> str:
    """The URL with a password in it and sensitive query values replaced by ``***`` (safe for logs and errors)."""
    parts = urlsplit(url)
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username}:***@{host}")
    if not parts.query:
        return urlunsplit(parts)
    query = [(k, "***" if k.lower() in SENSITIVE_PARAMS else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="/:$,' ")))


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """A pooled ``requests.Session`` bound to one base URL, with retries and error classification."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: requests.auth.AuthBase | None = None,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        pool_size: int = 16,
        headers: dict[str, str] | None = None,
        seed: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.limiter = RateLimiter(rate_limit, burst=max(1, int(rate_limit or 1)))
        self.stats = RequestStats()
        self._rng = random.Random(seed)
        self._stats_lock = threading.Lock()
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "sluice/0.1"})
        if headers:
            self.session.headers.update(headers)

    # -- hooks a system client may override -------------------------------------------------

    def error_message(self, response: requests.Response) -> str:
        """A short human message from an error response (system clients read their error bodies)."""
        return response.text[:300]

    def on_misdirected(self, response: requests.Response) -> bool:
        """Called on HTTP 421; return True when the base URL was corrected and the call may be retried."""
        return False

    # -- the loop ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | Iterable[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        accept: Iterable[int] = (),
        retry: bool = True,
    ) -> requests.Response:
        """Send one request, retrying transient failures; return the response or raise.

        Statuses in ``accept`` (besides 2xx) are returned instead of raised, e.g. 304 or 404
        where the caller treats them as answers. ``retry=False`` raises the first transient failure: for
        a write that is not idempotent, whose caller must look before it sends again (a lost answer may
        have been applied).
        """
        accepted = set(accept)
        refreshed = redirected = False
        attempt = 0
        while True:
            self.limiter.acquire()
            url = self.url(path)
            started = time.perf_counter()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    auth=self.auth,
                    timeout=self.timeout,
                )
                error: ApiError | None = None
            except NETWORK_ERRORS as exc:
                response = None
                error = TransientError(
                    f"{method} {redact_url(url)} failed: {type(exc).__name__}",
                    method=method,
                    url=redact_url(url),
                )
            finally:
                with self._stats_lock:
                    self.stats.add(method, time.perf_counter() - started)
            if response is not None:
                if response.ok or response.status_code in accepted:
                    return response
                if response.status_code == 401 and not refreshed and isinstance(self.auth, RefreshableAuth):
                    refreshed = True
                    log.info("%s %s: 401, refreshing credentials", method, redact_url(url))
                    self.auth.refresh()
                    continue
                if response.status_code == 421 and not redirected and self.on_misdirected(response):
                    redirected = True
                    continue
                error = self.classify(method, response)
            assert error is not None
            if not isinstance(error, TransientError) or not retry or attempt + 1 >= self.retry.attempts:
                raise error
            delay = self.retry.delay(attempt, error.retry_after, self._rng)
            attempt += 1
            with self._stats_lock:
                self.stats.retries += 1
            log.info(
                "%s %s: %s, retry %d in %.2fs",
                method,
                redact_url(url),
                error.status or "network error",
                attempt,
                delay,
            )
            time.sleep(delay)

    def classify(self, method: str, response: requests.Response) -> ApiError:
        """Turn an error response into the exception that says what to do next."""
        status = response.status_code
        url = redact_url(response.url or "")
        kwargs = dict(
            status=status,
            method=method,
            url=url,
            body=response.text[:2000],
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
        message = f"{method} {url} -> {status}: {self.error_message(response)}"
        if status in TRANSIENT_STATUS:
            return TransientError(message, **kwargs)
        kind: type[ApiError] = {
            401: AuthError,
            403: AuthError,
            404: NotFoundError,
            409: ConflictError,
            412: PreconditionFailed,
        }.get(status, PermanentError)
        return kind(message, **kwargs)

    # -- conveniences -----------------------------------------------------------------------

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Progress = Callable[[int], None]
"""A progress callback: called with the number of records just read."""
