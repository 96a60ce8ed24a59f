"""The Quote agent (``POST /api/v1/Agents/Quote/<Method>``) and ``Agents/Sale/SaleHasQuote``: the method table,
the router, and the product register's agent methods.

Rule: Sale 1->1 Quote 1->+ QuoteVersion 1->+ QuoteAlternative 1->* QuoteLine (``quote_versions``,
``quote_lines``); every write bumps ``updated`` on the changed rows and on the quote, so archive
``updatedDate`` and Dynamic ``quote.updated`` see quote edits. ``strict`` (a simulator option) makes line and
alternative saves leave totals to ``RecalculateQuoteAlternative``, as on a real tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sluice.simulators.superoffice import quote_lines as lines
from sluice.simulators.superoffice import quote_versions as versions
from sluice.simulators.superoffice.carriers import complete, select
from sluice.simulators.superoffice.entities import KINDS, Entities
from sluice.simulators.superoffice.quote_carriers import product_carrier
from sluice.simulators.superoffice.quote_tree import body_int, need, product_by_key, query_int
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.rest import read_json
from sluice.simulators.superoffice.store import Store

Handler = Callable[[Store, dict[str, Any], Request], Any]
BARE_BODIES = ("saveproduct", "savequotealternative")
"""Methods whose body is a bare carrier rather than a request object."""


def get_product_from_db_id(store: Store, body: dict[str, Any], request: Request) -> Any:
    return product_carrier(need(store, "product", body_int(body, "ProductId"), "Product"))


def get_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    key = body.get("ERPProductKey")
    return product_carrier(product_by_key(store, str(key or "")))


def find_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    text = str(body.get("UserInput") or "")
    rows = store.find("product", "json_extract(data, '$.Name') LIKE ? OR erp_key LIKE ?", (f"%{text}%", f"%{text}%"))
    return [product_carrier(row) for row in rows[:100]]


def save_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    """Bare Product; ProductId 0 creates. Same validation as the REST Product endpoints."""
    kind, entities = KINDS["product"], Entities(store)
    product_id = body.get("ProductId") if isinstance(body, dict) else None
    if product_id is not None and (not isinstance(product_id, int) or isinstance(product_id, bool)):
        raise SoError(400, "ProductId must be an integer")
    row = entities.replace(kind, product_id, body) if product_id else entities.create(kind, body)
    return product_carrier(row)


def delete_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    """``DeleteProduct?productId=``: the id is in the query string only (op:v1QuoteAgent_DeleteProduct)."""
    product_id = query_int(request, "productId")
    need(store, "product", product_id, "Product")
    store.delete("product", product_id)
    return Response(status_code=204)


def create_default_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    return complete("Product", {})


def quote_methods(strict: bool = False) -> dict[str, Handler]:
    """Method name -> handler; ``strict`` goes to the writes whose totals wait for a Recalculate."""
    writes = {
        "SaveQuoteAlternative": versions.save_alternative,
        "CreateQuoteLine": lines.create_line,
        "CreateQuoteLineFromProduct": lines.create_line_from_product,
        "SaveQuoteLine": lines.save_line,
        "SaveQuoteLines": lines.save_lines,
        "DeleteQuoteLine": lines.delete_lines,
        "DeleteQuoteLines": lines.delete_lines,
    }
    return {
        "GetQuoteEntityFromSaleId": versions.get_quote_entity_from_sale,
        "GetQuoteFromSaleId": versions.get_quote_from_sale,
        "GetQuoteEntity": versions.get_quote_entity,
        "GetQuote": versions.get_quote,
        "CreateAndSaveQuote": versions.create_and_save_quote,
        "SaveQuote": versions.save_quote,
        "SaveQuoteEntity": partial(versions.save_quote, carrier="QuoteEntity"),
        "DeleteQuote": versions.delete_quote,
        "GetQuoteVersions": versions.get_versions,
        "GetQuoteVersion": versions.get_version,
        "CreateAndSaveQuoteVersion": versions.create_and_save_version,
        "SaveQuoteVersion": versions.save_version,
        "GetQuoteAlternatives": versions.get_alternatives,
        "GetQuoteAlternative": versions.get_alternative,
        "CreateQuoteAlternative": versions.create_alternative,
        "CreateDefaultQuoteAlternative": versions.create_default_alternative,
        "DeleteQuoteAlternative": versions.delete_alternative,
        "RecalculateQuoteAlternative": versions.recalculate_alternative,
        "GetQuoteLines": lines.get_lines,
        "GetQuoteLine": lines.get_line,
        "RecalculateQuoteLine": lines.recalculate_line,
        **{name: partial(handler, strict=strict) for name, handler in writes.items()},
        "GetProductFromDbId": get_product_from_db_id,
        "GetProduct": get_product,
        "FindProduct": find_product,
        "SaveProduct": save_product,
        "DeleteProduct": delete_product,
        "CreateDefaultProduct": create_default_product,
    }


def quote_router(store: Store, strict: bool = False) -> APIRouter:
    router = APIRouter(prefix="/api/v1/Agents")
    methods = {name.lower(): handler for name, handler in quote_methods(strict).items()}

    async def body_of(request: Request) -> Any:
        raw = await request.body()
        return await read_json(request) if raw.strip() else {}

    @router.post("/Quote/{method}")
    async def quote_method(method: str, request: Request) -> Any:
        handler = methods.get(method.lower())
        if handler is None:
            raise SoError(404, f"Quote agent has no method {method!r}")
        body = await body_of(request)
        if not isinstance(body, dict) and method.lower() not in BARE_BODIES:
            raise SoError(400, "The request body must be a JSON object")
        result = handler(store, body, request)
        if isinstance(result, Response):
            return result
        if isinstance(result, dict):
            result = select(result, request.query_params.get("$select"))
        return JSONResponse(result)

    @router.post("/Sale/SaleHasQuote")
    async def has_quote(request: Request) -> Any:
        return JSONResponse(versions.sale_has_quote(store, await body_of(request) or {}, request))

    return router
