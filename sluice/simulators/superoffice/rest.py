"""HTTP routes of the REST part: ``/api/v1/{Contact,Person,Sale,Product,Pricelist}[...]`` and ``Archive/{provider}``.

Rule: routes only translate HTTP (body parsing, conditional headers, status codes) and call ``Entities`` or
``odata.run``; ``If-Modified-Since``/``If-Unmodified-Since`` compare at SECOND precision, so a client that
sends back the ``UpdatedDate`` it read never gets a false 412, and apply only where ``Kind.conditional`` says.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sluice.simulators.superoffice import odata
from sluice.simulators.superoffice.auth import read_form
from sluice.simulators.superoffice.carriers import parse_datetime, select
from sluice.simulators.superoffice.entities import KINDS, Entities, Kind
from sluice.simulators.superoffice.patching import PatchError, PatchTestFailed, json_patch, merge_patch
from sluice.simulators.superoffice.providers import UnknownColumn, provider
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.store import Row, Store


def tenant_base(request: Request) -> str:
    """The tenant base URL the client called (``http://host:port/Cust12345``), for links and metadata."""
    return str(request.scope.get("sluice.tenant_base") or str(request.base_url).rstrip("/"))


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise SoError(400, "The request body is empty")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SoError(400, f"The request body is not valid JSON: {exc}") from exc


def _header_time(request: Request, name: str) -> datetime | None:
    """An HTTP-date (or, leniently, ISO 8601) header as naive UTC; None if absent or unreadable (RFC 9110)."""
    raw = request.headers.get(name)
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
        return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parse_datetime(parsed.isoformat())
    except (TypeError, ValueError):
        return parse_datetime(raw)


def _updated_second(row: Row) -> datetime:
    return datetime.fromisoformat(row.updated[:19])


def not_modified(request: Request, row: Row) -> bool:
    since = _header_time(request, "if-modified-since")
    return since is not None and _updated_second(row) <= since.replace(microsecond=0)


def check_unmodified(request: Request, row: Row, what: str) -> None:
    since = _header_time(request, "if-unmodified-since")
    if since is not None and _updated_second(row) > since.replace(microsecond=0):
        raise SoError(412, f"{what} was modified after {since.isoformat()} (If-Unmodified-Since)")


def precondition(request: Request, kind: Kind, row: Row) -> None:
    """``If-Unmodified-Since`` where the spec declares a 412 for this method; elsewhere it is ignored."""
    if request.method in kind.conditional:
        check_unmodified(request, row, f"{kind.path} {row.id}")


def archive_response(request: Request, store: Store, provider_name: str, params: dict[str, str]) -> dict:
    try:
        found = provider(provider_name, params)
        rows = odata.run(store, found, params)
    except (odata.ODataError, UnknownColumn) as exc:
        raise SoError(400, str(exc)) from exc
    return {
        "odata.metadata": f"{tenant_base(request)}/api/v1/Archive/$metadata",
        "odata.nextLink": None,
        "value": rows,
    }


def entity_router(entities: Entities, kind: Kind) -> APIRouter:
    """GET list, GET default, GET/PUT/PATCH/DELETE by id and POST for one entity kind."""
    router = APIRouter(prefix=f"/api/v1/{kind.path}")

    def out(request: Request, row: Row) -> JSONResponse:
        carrier = entities.carrier(kind, row, tenant_base(request))
        return JSONResponse(select(carrier, request.query_params.get("$select")))

    @router.get("")
    def list_(request: Request) -> dict:
        return archive_response(request, entities.store, kind.provider, dict(request.query_params))

    @router.get("/default")
    def default() -> JSONResponse:
        return JSONResponse(entities.default(kind))

    @router.get("/{entity_id}")
    def get(entity_id: int, request: Request) -> Response:
        row = entities.row(kind, entity_id)
        if "GET" in kind.conditional and not_modified(request, row):
            return Response(status_code=304)
        return out(request, row)

    @router.post("")
    async def create(request: Request) -> JSONResponse:
        return out(request, entities.create(kind, await read_json(request)))

    @router.put("/{entity_id}")
    async def replace(entity_id: int, request: Request) -> JSONResponse:
        body = await read_json(request)
        precondition(request, kind, entities.row(kind, entity_id))
        return out(request, entities.replace(kind, entity_id, body))

    @router.patch("/{entity_id}")
    async def patch(entity_id: int, request: Request) -> JSONResponse:
        if not kind.patchable:
            raise SoError(405, f"{kind.path} does not support PATCH; use PUT")
        body = await read_json(request)
        row = entities.row(kind, entity_id)
        precondition(request, kind, row)
        current = entities.carrier(kind, row, tenant_base(request))
        content_type = request.headers.get("content-type", "")
        try:
            if "merge-patch" in content_type or (isinstance(body, dict) and "json-patch" not in content_type):
                patched = merge_patch(current, body)
            else:
                patched = json_patch(current, body)
        except PatchTestFailed as exc:
            raise SoError(409, str(exc)) from exc
        except PatchError as exc:
            raise SoError(400, str(exc)) from exc
        return out(request, entities.replace(kind, entity_id, patched))

    @router.delete("/{entity_id}", status_code=204)
    def delete(entity_id: int, request: Request) -> Response:
        precondition(request, kind, entities.row(kind, entity_id))
        entities.delete(kind, entity_id)
        return Response(status_code=204)

    return router


def archive_router(store: Store) -> APIRouter:
    router = APIRouter(prefix="/api/v1/Archive")

    @router.get("/{provider_name}")
    def get_archive(provider_name: str, request: Request) -> dict:
        return archive_response(request, store, provider_name, dict(request.query_params))

    @router.post("/{provider_name}")
    async def post_archive(provider_name: str, request: Request) -> dict:
        """Long queries: the same parameters, form-encoded."""
        form = await read_form(request)
        return archive_response(request, store, provider_name, {**dict(request.query_params), **form})

    return router


def rest_routers(store: Store) -> list[APIRouter]:
    entities = Entities(store)
    return [*(entity_router(entities, kind) for kind in KINDS.values()), archive_router(store)]
