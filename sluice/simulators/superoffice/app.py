"""The SuperOffice simulator: one tenant served under ``/{tenant}/api/v1/...`` like SuperOffice Online.

Rule: a ``SuperOfficeSimulator`` owns everything of one instance (store, faults, sign-in state, tenant
location); nothing is global, so tests run many simulators in one process. The tenant can be relocated
(``PUT /_admin/tenant``): the old base URL then answers 421 and ``/api/state/{ctx}`` names the new one.
429/503/latency/drops come from ``faults.py`` and are SIMULATOR FEATURES (SuperOffice documents no 429).
``POST /_admin/purge`` runs the 14-day hard purge of soft-deleted contacts and persons (``purge.py``);
``POST /_admin/restore`` (or ``restore_contact``) takes a contact out of the recycle bin (``restore.py``).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from sluice.simulators import faults as fault_injection
from sluice.simulators.superoffice.auth import Authenticator, Sessions, login_router
from sluice.simulators.superoffice.credentials import DEMO
from sluice.simulators.superoffice.populate import populate
from sluice.simulators.superoffice.products import ProductRegister, price_list_products_router
from sluice.simulators.superoffice.purge import purge_router
from sluice.simulators.superoffice.quote import quote_router
from sluice.simulators.superoffice.responses import SoError, error_body, error_json, handle_so_error
from sluice.simulators.superoffice.rest import rest_routers
from sluice.simulators.superoffice.restore import Restored, restore_contact, restore_router
from sluice.simulators.superoffice.store import Store

INTERNAL = "/_tenant"
VERSION = "10.3 (simulated)"


class SuperOfficeSimulator:
    """A seeded, in-process SuperOffice tenant; serve ``sim.app`` with ``ServerThread`` or uvicorn.

    ``db_path=None`` keeps the data in memory; an existing non-empty database file is reused, not reseeded.
    ``products`` is the number of product codes, each in every seeded price list (benchmarks: 10,000).
    ``strict_quotes`` makes quote line and alternative saves leave totals stale until a Recalculate (``quote.py``).
    """

    def __init__(
        self,
        db_path: str | Path | None = None,
        seed: int = 0,
        contacts: int = 50,
        tenant: str = DEMO.tenant,
        auth: str = "oauth",
        token_ttl: float = 3600,
        fault_config: fault_injection.FaultConfig | None = None,
        products: int | None = None,
        strict_quotes: bool = False,
    ) -> None:
        self.tenant = tenant
        self.strict_quotes = strict_quotes
        self.store = Store(db_path)
        if self.store.count("contact") == 0 and self.store.count("product") == 0:
            populate(self.store, seed, contacts, products)
        self.products = ProductRegister(self.store)
        self.faults = fault_injection.FaultInjector(fault_config)
        self.sessions = Sessions(token_ttl)
        self.auth = Authenticator(auth, self.sessions, self.faults, DEMO)
        self._lock = threading.Lock()
        self.location = f"/{tenant}"
        self.old_locations: list[str] = []
        self.app = create_app(self)

    def restore_contact(self, contact_id: int) -> Restored:
        """Take a soft-deleted contact and its persons out of the recycle bin, as a user does in the UI."""
        return restore_contact(self.store, contact_id)

    def relocate(self, subdomain: str) -> str:
        """Move the tenant to ``/{subdomain}/{tenant}`` (a numbered-subdomain move); returns the new location."""
        with self._lock:
            new = f"/{subdomain.strip('/')}/{self.tenant}" if subdomain.strip("/") else f"/{self.tenant}"
            if new != self.location:
                self.old_locations.append(self.location)
                if new in self.old_locations:
                    self.old_locations.remove(new)
                self.location = new
            return self.location


class TenantRouting:
    """ASGI middleware: ``{location}/api/...`` -> the internal tenant routes; an old location -> 421."""

    def __init__(self, app: Any, sim: SuperOfficeSimulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        location = self.sim.location
        if path.startswith(INTERNAL):
            await _send_error(send, 404, f"No such path {path}")
            return
        if path.startswith(location + "/api"):
            scope = dict(scope)
            scope["sluice.tenant_base"] = _origin(scope) + location
            scope["path"] = INTERNAL + path[len(location) :]
            scope["raw_path"] = scope["path"].encode()
        elif any(path.startswith(old + "/") for old in self.sim.old_locations):
            await _send_error(send, 421, "Wrong subdomain used to access tenant")
            return
        await self.app(scope, receive, send)


def _origin(scope: dict) -> str:
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"127.0.0.1").decode()
    return f"{scope.get('scheme', 'http')}://{host}"


async def _send_error(send: Any, status: int, message: str) -> None:
    content_type, body = error_body(status, message)
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _state_router(sim: SuperOfficeSimulator) -> APIRouter:
    router = APIRouter()

    @router.get("/api/state/{ctx}")
    def state(ctx: str, request: Request) -> dict[str, Any]:
        """Tenant discovery: where the tenant lives now (re-check after ValidUntil)."""
        origin = str(request.base_url).rstrip("/")
        known = ctx.lower() == sim.tenant.lower()
        endpoint = f"{origin}{sim.location}" if known else ""
        valid_until = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "ContextIdentifier": sim.tenant if known else ctx,
            "Endpoint": endpoint,
            "State": "Running" if known else "Unknown",
            "IsRunning": known,
            "ValidUntil": valid_until,
            "Api": f"{endpoint}/api" if known else "",
            "Version": VERSION,
        }

    @router.get("/_admin/tenant")
    def get_tenant() -> dict[str, Any]:
        return {"location": sim.location, "old_locations": sim.old_locations}

    @router.put("/_admin/tenant")
    async def put_tenant(request: Request) -> dict[str, Any]:
        """``{"subdomain": "online2"}`` moves the tenant; ``{"subdomain": ""}`` moves it back to the root."""
        body = json.loads(await request.body() or b"{}")
        sim.relocate(str(body.get("subdomain", "")))
        return {"location": sim.location, "old_locations": sim.old_locations}

    return router


def create_app(sim: SuperOfficeSimulator) -> FastAPI:
    app = FastAPI(title="SuperOffice simulator (Sluice)", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_exception_handler(SoError, handle_so_error)
    app.add_exception_handler(RequestValidationError, _validation_error)

    def require_auth(request: Request) -> None:
        sim.auth.check(request)

    tenant = APIRouter(prefix=INTERNAL, dependencies=[Depends(require_auth)])
    routers = (
        *rest_routers(sim.store),
        price_list_products_router(sim.store),
        quote_router(sim.store, sim.strict_quotes),
    )
    for router in routers:
        tenant.include_router(router)
    app.include_router(tenant)
    app.include_router(login_router(sim.auth, sim.tenant))
    app.include_router(_state_router(sim))
    app.include_router(purge_router(sim.store))
    app.include_router(restore_router(sim.store))
    app.add_middleware(TenantRouting, sim=sim)
    fault_injection.install(app, sim.faults, error_body, is_write)
    return app


AGENT_READS = ("Get", "Find", "SaleHasQuote")
"""Agent methods that only read (``POST Agents/Quote/GetQuoteLines``): not writes in ``/_admin/stats``."""


def is_write(method: str, path: str) -> bool:
    """A POST to an agent method that reads is a read: a no-op sync that reads quotes counts zero writes."""
    if method == "POST" and "/Agents/" in path:
        return not path.rsplit("/", 1)[-1].startswith(AGENT_READS)
    return method in fault_injection.WRITE_METHODS


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 (e.g. a non-numeric id) becomes the service's 400 error body."""
    assert isinstance(exc, RequestValidationError)
    details = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors())
    return JSONResponse(error_json(400, f"Invalid request: {details}"), status_code=400)
