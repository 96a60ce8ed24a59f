"""Switchable fault injection and traffic counters for the simulators (a simulator feature:
neither SuperOffice nor the shop contract documents 429s).

Rule: a pure ASGI middleware wraps the whole app, so a fault looks to the client exactly
like the real thing: a 429/503 with ``Retry-After``, a slow answer, or a connection that
drops after the server did the work (the case that makes idempotent creates necessary).
``/_admin/...`` paths are never faulted, authenticated or counted.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, FastAPI, Request

ADMIN_PREFIX = "/_admin"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ErrorBody = Callable[[int, str], tuple[str, bytes]]
IsWrite = Callable[[str, str], bool]
"""``is_write(method, path)``: whether a request counts as a write in ``/_admin/stats``."""
"""Builds a simulator's own error body: (status, message) -> (content type, body)."""


@dataclass
class FaultConfig:
    """What to inject. Shares are probabilities per request (0.0 to 1.0)."""

    rate_429: float = 0.0
    rate_503: float = 0.0
    retry_after: float = 0.0
    latency_ms: float = 0.0
    drop_rate: float = 0.0
    maintenance: bool = False
    expire_tokens: bool = False
    methods: list[str] | None = None
    paths: list[str] | None = None
    """Only requests whose path, or path and decoded query (``/api/v1/Archive/Dynamic?$select=sale...``), contains
    one of these: one entity's reads fail, the others' not."""
    seed: int | None = None

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        for key, value in changes.items():
            setattr(self, key, value)


@dataclass
class Traffic:
    """Requests the simulator answered, counted by method and by (method, path template)."""

    by_method: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    writes: int = 0
    """Requests that may change data: every POST, PUT, PATCH and DELETE except the reads a system makes
    through a POST (the SuperOffice agents' ``Get*``/``Find*`` methods), by the simulator's ``is_write``."""
    refused: int = 0
    """Writes answered 412: a conditional write the system refused, so nothing changed."""

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": sum(self.by_method.values()),
            "writes": self.writes,
            "refused_writes": self.refused,
            "by_method": dict(self.by_method),
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "faults": dict(self.faults),
        }


class FaultInjector:
    """Holds the fault settings and counters of one simulator instance (no global state)."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self.traffic = Traffic()
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()

    def configure(self, **changes: Any) -> None:
        with self._lock:
            self.config.update(changes)
            if "seed" in changes:
                self._rng = random.Random(self.config.seed)

    def reset(self) -> None:
        with self._lock:
            self.config = FaultConfig()
            self._rng = random.Random()

    def draw(self, method: str, path: str = "") -> str | None:
        """Pick the fault for one request: None, 'maintenance', '429', '503' or 'drop'."""
        with self._lock:
            cfg = self.config
            if cfg.maintenance:
                return "maintenance"
            if cfg.methods is not None and method not in cfg.methods:
                return None
            if cfg.paths is not None and not any(part in path for part in cfg.paths):
                return None
            roll = self._rng.random()
            for name, share in (("429", cfg.rate_429), ("503", cfg.rate_503), ("drop", cfg.drop_rate)):
                if roll < share:
                    return name
                roll -= share
            return None

    def count(self, method: str, status: int, fault: str | None, write: bool | None = None) -> None:
        with self._lock:
            is_write = method in WRITE_METHODS if write is None else write
            self.traffic.writes += int(is_write)
            self.traffic.refused += int(is_write and status == 412)
            self.traffic.by_method[method] += 1
            self.traffic.by_status[status] += 1
            if fault:
                self.traffic.faults[fault] += 1


class FaultMiddleware:
    """ASGI middleware applying a ``FaultInjector`` to every non-admin HTTP request."""

    def __init__(
        self, app: Any, injector: FaultInjector, error_body: ErrorBody, is_write: IsWrite | None = None
    ) -> None:
        self.app = app
        self.injector = injector
        self.error_body = error_body
        self.is_write = is_write or (lambda method, path: method in WRITE_METHODS)

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        write = self.is_write(method, scope["path"])
        cfg = self.injector.config
        if cfg.latency_ms:
            await asyncio.sleep(cfg.latency_ms / 1000)
        query = unquote(scope.get("query_string", b"").decode("latin-1"))
        fault = self.injector.draw(method, f"{scope['path']}?{query}" if query else scope["path"])
        if fault in ("maintenance", "429", "503"):
            status = 429 if fault == "429" else 503
            message = {
                "maintenance": "The tenant is in a maintenance window (simulated)",
                "429": "Too many requests (simulated throttling)",
                "503": "Service temporarily unavailable (simulated)",
            }[fault]
            self.injector.count(method, status, fault, write)
            await self._respond(send, status, message, cfg.retry_after if fault != "maintenance" else 5)
            return
        status_seen: list[int] = []

        async def counting_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(message["status"])
                if fault == "drop":
                    # The work is done; the answer never arrives. Send headers, then cut the body.
                    await send(message)
                    raise _DroppedConnection
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except _DroppedConnection:
            self.injector.count(method, status_seen[0] if status_seen else 0, "drop", write)
            raise
        self.injector.count(method, status_seen[0] if status_seen else 0, None, write)

    async def _respond(self, send: Callable, status: int, message: str, retry_after: float) -> None:
        content_type, body = self.error_body(status, message)
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", _seconds(retry_after).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class _DroppedConnection(Exception):
    """Raised after the response headers went out, so the server closes the connection mid-answer."""


def admin_router(injector: FaultInjector) -> APIRouter:
    """``/_admin/faults`` (GET, PUT, DELETE) and ``/_admin/stats`` (GET, DELETE)."""
    router = APIRouter(prefix=ADMIN_PREFIX, include_in_schema=False)

    @router.get("/faults")
    def get_faults() -> dict[str, Any]:
        return asdict(injector.config)

    @router.put("/faults")
    async def put_faults(request: Request) -> dict[str, Any]:
        changes = json.loads(await request.body() or b"{}")
        injector.configure(**changes)
        return asdict(injector.config)

    @router.delete("/faults")
    def clear_faults() -> dict[str, Any]:
        injector.reset()
        return asdict(injector.config)

    @router.get("/stats")
    def get_stats() -> dict[str, Any]:
        return injector.traffic.snapshot()

    @router.delete("/stats")
    def reset_stats() -> dict[str, Any]:
        injector.traffic = Traffic()
        return injector.traffic.snapshot()

    return router


def install(app: FastAPI, injector: FaultInjector, error_body: ErrorBody, is_write: IsWrite | None = None) -> None:
    """Add the admin routes and wrap the app in the fault middleware (``is_write``: which requests count as
    writes in the stats; default every POST, PUT, PATCH and DELETE)."""
    app.include_router(admin_router(injector))
    app.add_middleware(FaultMiddleware, injector=injector, error_body=error_body, is_write=is_write)
