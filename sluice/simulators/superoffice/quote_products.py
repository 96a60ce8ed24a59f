"""Quote agent methods of the product register: read by id or ERP key, find, save, delete, defaults.

Rule: ``SaveProduct`` validates as the REST Product endpoints do (``entities.py``); ``DeleteProduct`` takes its
id in the query string only (op:v1QuoteAgent_DeleteProduct); out-of-assortment products are not found.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from sluice.simulators.superoffice.carriers import complete
from sluice.simulators.superoffice.entities import KINDS, Entities
from sluice.simulators.superoffice.quote_carriers import product_carrier
from sluice.simulators.superoffice.quote_tree import body_int, need, product_by_key, query_int
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.store import Store


def get_product_from_db_id(store: Store, body: dict[str, Any], request: Request) -> Any:
    return product_carrier(need(store, "product", body_int(body, "ProductId"), "Product"))


def get_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    key = body.get("ERPProductKey")
    return product_carrier(product_by_key(store, str(key or "")))


def find_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    """Search by name or key within ``PriceListKey`` (when given); out-of-assortment products are not found."""
    text, price_list = f"%{body.get('UserInput') or ''}%", str(body.get("PriceListKey") or "")
    where = "(json_extract(data, '$.Name') LIKE ? OR erp_key LIKE ?) AND json_extract(data, '$.InAssortment')"
    params: tuple[str, ...] = (text, text)
    if price_list:
        where, params = f"{where} AND json_extract(data, '$.ERPPriceListKey') = ?", (*params, price_list)
    return [product_carrier(row) for row in store.find("product", where, params)[:100]]


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
