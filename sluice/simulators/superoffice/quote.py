"""The Quote agent (``POST /api/v1/Agents/Quote/<Method>``) and ``Agents/Sale/SaleHasQuote``: the method table
and the router.

Rule: Sale 1->1 Quote 1->+ QuoteVersion 1->+ QuoteAlternative 1->* QuoteLine (``quote_versions``,
``quote_lines``; the product register's methods are in ``quote_products``); every write bumps ``updated`` on
the changed rows and on the quote, so archive ``updatedDate`` and Dynamic ``quote.updated`` see quote edits.
``strict`` (a simulator option) makes line and alternative saves leave totals to
``RecalculateQuoteAlternative``, as on a real tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sluice.simulators.superoffice import quote_lines as lines
from sluice.simulators.superoffice import quote_products as products
from sluice.simulators.superoffice import quote_versions as versions
from sluice.simulators.superoffice.carriers import select
from sluice.simulators.superoffice.products import toggle_in_assortment
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.rest import read_json
from sluice.simulators.superoffice.store import Store

Handler = Callable[[Store, dict[str, Any], Request], Any]
BARE_BODIES = ("saveproduct", "savequotealternative")
"""Methods whose body is a bare carrier rather than a request object."""


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
        "GetProductFromDbId": products.get_product_from_db_id,
        "GetProduct": products.get_product,
        "FindProduct": products.find_product,
        "SaveProduct": products.save_product,
        "DeleteProduct": products.delete_product,
        "CreateDefaultProduct": products.create_default_product,
        "ToggleProductInAssortment": toggle_in_assortment,
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
