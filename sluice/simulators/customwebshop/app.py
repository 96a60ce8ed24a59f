"""The shop's HTTP face: FastAPI routes under ``/api/v1``, bearer auth, problem+json errors, OpenAPI.

Rule: routes parse and render only; ``ShopService`` decides. Every error leaves as RFC 9457
``application/problem+json``, and the published OpenAPI says so (``_problem_openapi``).
(No ``from __future__ import annotations`` here: FastAPI reads the route annotations at runtime.)
"""

import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Header, Path, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from sluice.simulators.customwebshop.clock import to_micros
from sluice.simulators.customwebshop.idempotency import fingerprint, run_once
from sluice.simulators.customwebshop.models import (
    RECORD_MODELS,
    WRITE_MODELS,
    BatchRequest,
    BatchResponse,
    Problem,
    page_model,
)
from sluice.simulators.customwebshop.problems import PROBLEM_TYPE, ProblemError
from sluice.simulators.customwebshop.service import ShopService, parse_write, render
from sluice.simulators.customwebshop.store import StoredResponse
from sluice.simulators.customwebshop.totals import ARITHMETIC

API_PREFIX = "/api/v1"
BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's detail when the body cannot be decoded
SINGULAR = {"customers": "customer", "products": "product", "orders": "order"}

DESCRIPTION = f"""\
The Customwebshop REST API (v1), served by Sluice's reference server. Auth: `Authorization: Bearer <api-key>`.

* Errors are RFC 9457 problem details (`application/problem+json`); 422 carries `errors: [{{field, message}}]`.
* Money, quantities and rates are decimal strings, never floats, compared as numbers: a write that only
  re-formats one (`"2.0"` -> `"2"`) is no change (no new `version`, the stored text is kept).
* Change feeds: `GET /{{resource}}?updated_since=&include_deleted=&limit=&cursor=` are ordered by
  `(updated_at, id)`; the cursor is a position in that order and every write gets a strictly later
  `updated_at` (microseconds), so a record changed while a client pages shows up again later, never skipped.
* `ETag: "<version>"` on reads; `If-Match` on `PATCH`/`DELETE` answers 412 when the version moved on.
* `Idempotency-Key` on `POST` (also honoured on `PATCH` and `DELETE`): the same key within 24 h replays the
  first answer, status included (errors too); the same key with a different method, path or body is 422.
* Batch: `POST /{{resource}}/batch` with up to 100 items answers 207 with one result per item; an item with
  `id` is a merge patch of that record, without `id` a create. An item may carry its own `idempotency_key`.
* `email` is unique (case-insensitive) among active, undeleted customers, `sku` among products and
  `order_number` among orders; a clash is 409 naming `existing_id`.
* Faults may be injected by the simulator (429/503 with `Retry-After`).

{ARITHMETIC}"""

bearer = HTTPBearer(auto_error=False, description="The shop's API key")


def _problem_response(problem: ProblemError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, media_type=PROBLEM_TYPE, headers=headers)


def _stored(answer: StoredResponse) -> Response:
    headers = {k: v for k, v in answer.headers.items() if k != "content-type"}
    media_type = answer.headers.get("content-type", "application/json")
    if not answer.body:
        return Response(status_code=answer.status, headers=headers)
    return Response(answer.body, status_code=answer.status, headers=headers, media_type=media_type)


class BearerAuth:
    """ASGI middleware: every ``/api/`` request needs the API key, checked before anything else is read."""

    def __init__(self, app: Any, api_key: str) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                detail = "missing API key" if not given else "wrong API key"
                response = _problem_response(ProblemError(401, detail), {"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "Bad cursor or query",
        401: "Missing or wrong API key",
        404: "No such record (or deleted: see `deleted_at`)",
        409: "Unique-key clash; `existing_id` names the record",
        412: "If-Match did not match the current version",
        422: "Validation failed; `errors` lists the fields",
        429: "Rate limited; retry after `Retry-After` seconds",
        503: "Temporarily unavailable; retry after `Retry-After` seconds",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in (*statuses, 401, 422, 429, 503):
        out[status] = {"model": Problem, "description": described[status]}
        if status in (429, 503):
            out[status]["headers"] = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds"}}
    return out


def _resource_router(resource: str, service: ShopService) -> APIRouter:
    """The list, read, create, update, delete and batch routes of one resource."""
    router = APIRouter(prefix=f"/{resource}", tags=[resource])
    write_model = WRITE_MODELS[resource]
    record_model = RECORD_MODELS[resource]
    one = SINGULAR[resource]
    etag_header = {"ETag": {"schema": {"type": "string"}, "description": 'The version, quoted: `"3"`'}}
    store = service.store

    def write(key: str | None, print_: str, produce: Callable[[], tuple[int, Any, dict[str, str]]]) -> Response:
        return _stored(run_once(store, key, print_, produce))

    @router.get(
        "",
        summary=f"List {resource} (the change feed)",
        operation_id=f"list_{resource}",
        response_model=page_model(record_model),
        responses=_error_responses(400),
    )
    def list_records(
        updated_since: Annotated[datetime | None, Query(description="Records with updated_at >= this")] = None,
        include_deleted: Annotated[bool, Query(description="Also return tombstones")] = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Annotated[str | None, Query(max_length=200, description="From the previous page")] = None,
        external_ref: Annotated[
            str | None, Query(max_length=400, description="`key:value`, e.g. `superoffice_contact_id:42`")
        ] = None,
    ) -> Response:
        since = to_micros(updated_since) if updated_since is not None else None
        with store.transaction():
            page = service.page(
                resource,
                since=since,
                include_deleted=include_deleted,
                limit=limit,
                cursor=cursor,
                external_ref=external_ref,
            )
        return JSONResponse(page)

    @router.post(
        "",
        status_code=201,
        summary=f"Create a {one}",
        operation_id=f"create_{one}",
        response_model=record_model,
        responses={
            201: {"headers": {"Location": {"schema": {"type": "string"}}, **etag_header}},
            **_error_responses(409),
        },
    )
    def create(
        request: Request,
        body: Annotated[write_model, Body()],  # type: ignore[valid-type]
        idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    ) -> Response:
        fields = body.model_dump(mode="json", exclude_unset=True)

        def produce() -> tuple[int, Any, dict[str, str]]:
            row = service.create(resource, fields)
            location = f"{API_PREFIX}/{resource}/{row.id}"
            return 201, render(resource, row), {"Location": location, "ETag": f'"{row.version}"'}

        return write(idempotency_key, fingerprint("POST", request.url.path, fields), produce)

    @router.post(
        "/batch",
        status_code=207,
        summary=f"Create or update up to 100 {resource}",
        operation_id=f"batch_{resource}",
        response_model=BatchResponse,
        responses=_error_responses(),
    )
    def batch(
        request: Request,
        body: BatchRequest,
        idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    ) -> Response:
        def produce() -> tuple[int, Any, dict[str, str]]:
            return 207, {"results": [_batch_item(service, resource, i, item) for i, item in enumerate(body.items)]}, {}

        return write(idempotency_key, fingerprint("POST", request.url.path, body.items), produce)

    record_id_param = Annotated[int, Path(ge=1, le=2**53)]

    @router.get(
        "/{record_id}",
        summary=f"Read a {one}",
        operation_id=f"get_{one}",
        response_model=record_model,
        responses={200: {"headers": etag_header}, **_error_responses(404)},
    )
    def get(record_id: record_id_param) -> Response:
        with store.transaction():
            row = service.get(resource, record_id)
        return JSONResponse(render(resource, row), headers={"ETag": f'"{row.version}"'})

    @router.patch(
        "/{record_id}",
        summary=f"Update a {one} (JSON merge patch)",
        operation_id=f"update_{one}",
        response_model=record_model,
        responses={200: {"headers": etag_header}, **_error_responses(404, 409, 412)},
    )
    def update(
        request: Request,
        record_id: record_id_param,
        body: Annotated[write_model, Body()],  # type: ignore[valid-type]
        if_match: Annotated[str | None, Header(max_length=100)] = None,
        idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    ) -> Response:
        fields = body.model_dump(mode="json", exclude_unset=True)

        def produce() -> tuple[int, Any, dict[str, str]]:
            row = service.update(resource, record_id, fields, if_match)
            return 200, render(resource, row), {"ETag": f'"{row.version}"'}

        return write(idempotency_key, fingerprint("PATCH", request.url.path, [fields, if_match]), produce)

    @router.delete(
        "/{record_id}",
        status_code=204,
        summary=f"Delete a {one} (soft: a tombstone in the change feed)",
        operation_id=f"delete_{one}",
        response_class=Response,
        responses=_error_responses(404, 412),
    )
    def delete(
        request: Request,
        record_id: record_id_param,
        if_match: Annotated[str | None, Header(max_length=100)] = None,
        idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    ) -> Response:
        def produce() -> tuple[int, Any, dict[str, str]]:
            service.delete(resource, record_id, if_match)
            return 204, None, {}

        return write(idempotency_key, fingerprint("DELETE", request.url.path, if_match), produce)

    return router


def _batch_item(service: ShopService, resource: str, index: int, item: dict[str, Any]) -> dict[str, Any]:
    """One batch item, answered like the single-record call would be. An item's own ``idempotency_key``
    shares the ``Idempotency-Key`` header's namespace and fingerprint, so a create retried through the
    batch endpoint after a single ``POST`` (or the other way round) is still recognised."""
    item = dict(item)
    key = item.pop("idempotency_key", None)
    record_id = item.pop("id", None)
    try:
        if key is not None and (not isinstance(key, str) or not 0 < len(key) <= 255):
            raise ProblemError(
                422, "idempotency_key must be a string of 1-255 characters", errors=[_err("idempotency_key")]
            )
        if record_id is not None and (
            not isinstance(record_id, int) or isinstance(record_id, bool) or not 0 < record_id <= 2**53
        ):
            raise ProblemError(422, "id must be a positive integer", errors=[_err("id")])
        fields = parse_write(resource, item)
        if record_id is None:
            path = f"{API_PREFIX}/{resource}"
            print_ = fingerprint("POST", path, fields)

            def produce() -> tuple[int, Any, dict[str, str]]:
                row = service.create(resource, fields)
                return 201, render(resource, row), {"Location": f"{path}/{row.id}", "ETag": f'"{row.version}"'}
        else:
            print_ = fingerprint("PATCH", f"{API_PREFIX}/{resource}/{record_id}", [fields, None])

            def produce() -> tuple[int, Any, dict[str, str]]:
                row = service.update(resource, record_id, fields)
                return 200, render(resource, row), {"ETag": f'"{row.version}"'}

        answer = run_once(service.store, key, print_, produce)
    except ProblemError as exc:
        return {"index": index, "status": exc.status, "problem": exc.body()}
    body = json.loads(answer.body) if answer.body else None
    if answer.status >= 400:
        return {"index": index, "status": answer.status, "problem": body}
    return {"index": index, "status": answer.status, "record": body}


def _err(field: str) -> dict[str, str]:
    return {"field": field, "message": "invalid"}


def _problem_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI's OpenAPI, with error responses declared as ``application/problem+json``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for path in schema["paths"].values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status.isdigit() and int(status) >= 400 and "application/json" in content:
                        response["content"] = {PROBLEM_TYPE: content["application/json"]}
        schema.setdefault("components", {}).setdefault("schemas", {}).pop("HTTPValidationError", None)
        schema["components"]["schemas"].pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    return openapi


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def on_problem(request: Request, exc: ProblemError) -> JSONResponse:
        return _problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p != "body"]
            if err.get("type") == "json_invalid":
                loc = []  # pydantic puts the character position here, not a field
            errors.append({"field": ".".join(loc) or "body", "message": str(err.get("msg", "invalid"))})
        malformed = any(err.get("type") == "json_invalid" for err in exc.errors())
        detail = "the body is not valid JSON" if malformed else f"{len(errors)} invalid field(s): {errors[0]['field']}"
        return _problem_response(ProblemError(422, detail, errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:  # e.g. bytes that are not UTF-8
            errors = [{"field": "body", "message": "not valid JSON"}]
            return _problem_response(ProblemError(422, "the body is not valid JSON", errors=errors))
        return _problem_response(ProblemError(exc.status_code, str(exc.detail)), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        return _problem_response(ProblemError(500, f"internal error ({type(exc).__name__})"))


def build_app(service: ShopService, api_key: str) -> FastAPI:
    """The shop as an ASGI app (without fault injection: the simulator adds that)."""
    app = FastAPI(title="Customwebshop API", version="1.0.0", description=DESCRIPTION)
    api = APIRouter(prefix=API_PREFIX, dependencies=[Security(bearer)])
    for resource in WRITE_MODELS:
        api.include_router(_resource_router(resource, service))
    app.include_router(api)
    _install_error_handlers(app)
    app.openapi = _problem_openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BearerAuth, api_key=api_key)

    @app.get("/", include_in_schema=False)
    def root() -> dict[str, str]:
        return {"name": "Customwebshop (Sluice reference server)", "api": API_PREFIX, "openapi": "/openapi.json"}

    return app
