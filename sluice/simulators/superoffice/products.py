"""The product register beyond plain CRUD: assortment, a price list's products, and raw rows for bad-input tests.

Rule: a product belongs to exactly one price list (table ``product.PriceListId``) and carries no timestamps;
``ToggleProductInAssortment`` flips ``InAssortment`` and is a change like any other (``updated`` moves, so
Dynamic ``product.updated afterTime`` sees it). Out-of-assortment products stay in ``GET /api/v1/Product``
with ``inAssortment`` false (the archive offers that column, so it lists both kinds; FindProduct hides them,
as the docs say search does). ``ProductRegister.set_raw`` bypasses validation ON PURPOSE: it stores what the
real service can send but the simulator would refuse, e.g. ``"NaN"`` for a double (Json.NET's default for
NaN) or ``Decimal.MinValue`` for "no cost given" (the spec's own convention).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.rest import archive_response
from sluice.simulators.superoffice.store import Store, utc_now

DECIMAL_MIN_VALUE = -79228162514264337593543950335.0
""".NET ``Decimal.MinValue``, which the spec says marks ``UnitCost``/``UnitMinimumPrice`` as "not given"."""


def _product_id(body: Any) -> int:
    """``ToggleProductInAssortment``'s request body is ``{"ProductId": int}`` (no query-string form)."""
    raw = body.get("ProductId") if isinstance(body, dict) else None
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise SoError(400, "ProductId must be an integer in the request body")
    return raw


def toggle_in_assortment(store: Store, body: dict[str, Any], request: Request) -> Response:
    """``POST Agents/Quote/ToggleProductInAssortment`` ``{"ProductId"}`` -> 204: flips ``InAssortment``."""
    product_id = _product_id(body)
    with store.transaction():
        row = store.get("product", product_id)
        if row is None:
            raise SoError(404, f"Product id {product_id} not found")
        data = {**row.data, "InAssortment": not bool(row.data.get("InAssortment"))}
        store.update("product", product_id, data, utc_now())
    return Response(status_code=204)


def price_list_products_router(store: Store) -> APIRouter:
    """``GET /api/v1/Pricelist/{id}/Products``: the ``Product`` archive restricted to one price list."""
    router = APIRouter(prefix="/api/v1/Pricelist")

    @router.get("/{price_list_id}/Products")
    def products(price_list_id: int, request: Request) -> dict:
        if store.get("pricelist", price_list_id) is None:
            raise SoError(404, f"PriceList id {price_list_id} not found")
        params = {k: v for k, v in request.query_params.items() if k.lower() != "$filter"}
        given = next((v for k, v in request.query_params.items() if k.lower() == "$filter"), "")
        scope = f"priceListId eq {price_list_id}"
        params["$filter"] = f"{scope} and {given}" if given.strip() else scope
        return archive_response(request, store, "Product", params)

    return router


class ProductRegister:
    """The simulator's Python handle on its products (``sim.products``), for tests and the demo."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def set_raw(self, product_id: int, **fields: Any) -> None:
        """Store ``fields`` into the product's row as given, unvalidated; ``updated`` moves like any edit."""
        with self.store.transaction():
            row = self.store.get("product", product_id)
            if row is None:
                raise KeyError(f"no product {product_id}")
            self.store.update("product", product_id, {**row.data, **fields}, utc_now())

    def in_price_list(self, price_list_id: int) -> list[int]:
        """Ids of the products of one price list, ascending."""
        rows = self.store.query("SELECT id FROM product WHERE price_list_id = ? ORDER BY id", (price_list_id,))
        return [int(row[0]) for row in rows]
