"""The Quote agent (``POST /api/v1/Agents/Quote/<Method>``) and ``Agents/Sale/SaleHasQuote``.

Rule: Sale 1->1 Quote 1->+ QuoteVersion 1->+ QuoteAlternative 1->* QuoteLine; every write recomputes the
touched line and its alternative (``quote_math``) and bumps ``updated`` on the changed rows and on the quote,
so archive ``updatedDate`` and Dynamic ``quoteline.updated`` see quote edits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sluice.simulators.superoffice.carriers import BodyError, check, complete, select
from sluice.simulators.superoffice.entities import KINDS, Entities
from sluice.simulators.superoffice.products import toggle_in_assortment
from sluice.simulators.superoffice.quote_carriers import (
    alternative_carrier,
    line_carrier,
    product_carrier,
    quote_entity,
    quote_simple,
    version_carrier,
)
from sluice.simulators.superoffice.quote_math import alternative_totals, line_totals
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.rest import read_json
from sluice.simulators.superoffice.store import Row, Store, utc_now

Handler = Callable[[Store, dict[str, Any], Request], Any]


def _int(body: dict[str, Any], request: Request, name: str) -> int:
    """A request id from the JSON body or the query string (both are accepted by the agent)."""
    raw = body.get(name, request.query_params.get(name) or request.query_params.get(name[0].lower() + name[1:]))
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise SoError(400, f"{name} must be an integer")
    return raw


def _need(store: Store, table: str, entity_id: int, what: str) -> Row:
    row = store.get(table, entity_id)
    if row is None:
        raise SoError(404, f"{what} id {entity_id} not found")
    return row


def _checked(name: str, body: Any) -> dict[str, Any]:
    try:
        return check(name, body)
    except BodyError as exc:
        raise SoError(400, str(exc)) from exc


# --- tree helpers -------------------------------------------------------------------------------------------


def _quote_of_alternative(store: Store, alternative_id: int) -> int | None:
    rows = store.query(
        "SELECT v.quote_id FROM quote_alternative a JOIN quote_version v ON v.id = a.version_id WHERE a.id = ?",
        (alternative_id,),
    )
    return rows[0][0] if rows else None


def recalculate(store: Store, alternative_id: int, now: str) -> Row:
    """Recompute every line and the alternative's totals; bump the quote (its tree changed)."""
    for line in store.find("quote_line", "alternative_id = ?", (alternative_id,)):
        computed = line_totals(line.data)
        if computed != line.data:
            store.update("quote_line", line.id, computed, now)
    lines = [line.data for line in store.find("quote_line", "alternative_id = ?", (alternative_id,))]
    alternative = _need(store, "quote_alternative", alternative_id, "QuoteAlternative")
    store.update("quote_alternative", alternative_id, alternative_totals(alternative.data, lines), now)
    quote_id = _quote_of_alternative(store, alternative_id)
    if quote_id:
        store.touch("quote", quote_id, now)
    return _need(store, "quote_alternative", alternative_id, "QuoteAlternative")


def _new_version(store: Store, quote_id: int, rank: int, now: str, first_alternative: str) -> int:
    version_id = store.insert("quote_version", {"State": "Draft", "Status": "Ok", "Rank": rank}, now, quote_id=quote_id)
    alt_id = store.insert(
        "quote_alternative",
        alternative_totals({"Name": first_alternative, "Status": "Ok"}, []),
        now,
        version_id=version_id,
    )
    data = _need(store, "quote_version", version_id, "QuoteVersion").data
    store.update("quote_version", version_id, {**data, "LikelyQuoteAlternativeId": alt_id}, now)
    return version_id


def _product_by_key(store: Store, key: str) -> Row:
    rows = store.find("product", "erp_key = ?", (key,))
    if not rows:
        raise SoError(404, f"Product with ERPProductKey {key!r} not found")
    return rows[0]


def _line_from_product(product: dict[str, Any], erp_key: str) -> dict[str, Any]:
    copied = ("Name", "Description", "Code", "QuantityUnit", "PriceUnit", "ItemNumber", "Url", "VAT", "VATInfo")
    prices = ("UnitCost", "UnitMinimumPrice", "UnitListPrice", "Supplier", "SupplierCode")
    line = {k: product.get(k) for k in copied + prices if product.get(k) is not None}
    return {**line, "ERPProductKey": erp_key, "Quantity": 1.0, "Status": "Ok"}


# --- agent methods ------------------------------------------------------------------------------------------


def get_quote_entity_from_sale(store: Store, body: dict[str, Any], request: Request) -> Any:
    rows = store.find("quote", "sale_id = ?", (_int(body, request, "SaleId"),))
    return quote_entity(store, rows[0]) if rows else None


def get_quote_from_sale(store: Store, body: dict[str, Any], request: Request) -> Any:
    rows = store.find("quote", "sale_id = ?", (_int(body, request, "SaleId"),))
    return quote_simple(store, rows[0]) if rows else None


def get_quote_entity(store: Store, body: dict[str, Any], request: Request) -> Any:
    return quote_entity(store, _need(store, "quote", _int(body, request, "QuoteId"), "Quote"))


def get_quote(store: Store, body: dict[str, Any], request: Request) -> Any:
    return quote_simple(store, _need(store, "quote", _int(body, request, "QuoteId"), "Quote"))


def create_and_save_quote(store: Store, body: dict[str, Any], request: Request) -> Any:
    """Quote + version (Rank 1, Draft) + first alternative; at most one quote per sale (409 otherwise)."""
    sale_id = _int(body, request, "SaleId")
    _need(store, "sale", sale_id, "Sale")
    now = utc_now()
    with store.transaction():
        if store.find("quote", "sale_id = ?", (sale_id,)):
            raise SoError(409, f"Sale {sale_id} already has a quote")
        connection = body.get("ConnectionId") if isinstance(body.get("ConnectionId"), int) else 1
        quote_id = store.insert(
            "quote", {"QuoteConnectionId": connection, "UseValuesFromQuote": 1}, now, sale_id=sale_id
        )
        version_id = _new_version(store, quote_id, 1, now, str(body.get("FirstAlternativeName") or "Alternative 1"))
        store.update("quote", quote_id, {"QuoteConnectionId": connection, "UseValuesFromQuote": 1,
                                          "ActiveQuoteVersionId": version_id}, now)  # fmt: skip
    return quote_entity(store, _need(store, "quote", quote_id, "Quote"))


def delete_quote(store: Store, body: dict[str, Any], request: Request) -> Any:
    quote_id = _int(body, request, "QuoteId")
    with store.transaction():
        _need(store, "quote", quote_id, "Quote")
        for version in store.find("quote_version", "quote_id = ?", (quote_id,)):
            for alt in store.find("quote_alternative", "version_id = ?", (version.id,)):
                store.query("DELETE FROM quote_line WHERE alternative_id = ?", (alt.id,))
                store.delete("quote_alternative", alt.id)
            store.delete("quote_version", version.id)
        store.delete("quote", quote_id)
    return Response(status_code=204)


def get_versions(store: Store, body: dict[str, Any], request: Request) -> Any:
    quote_id = _int(body, request, "QuoteId")
    _need(store, "quote", quote_id, "Quote")
    return [version_carrier(store, v) for v in store.find("quote_version", "quote_id = ?", (quote_id,))]


def get_version(store: Store, body: dict[str, Any], request: Request) -> Any:
    return version_carrier(store, _need(store, "quote_version", _int(body, request, "QuoteVersionId"), "QuoteVersion"))


def create_and_save_version(store: Store, body: dict[str, Any], request: Request) -> Any:
    """A new version (next Rank) copying the given version's alternatives and lines; it becomes active."""
    source = _need(store, "quote_version", _int(body, request, "QuoteVersionId"), "QuoteVersion")
    quote_id = source.cols["quote_id"]
    now = utc_now()
    with store.transaction():
        rank = 1 + max(int(v.data.get("Rank") or 0) for v in store.find("quote_version", "quote_id = ?", (quote_id,)))
        version_id = store.insert(
            "quote_version", {**source.data, "Rank": rank, "State": "Draft"}, now, quote_id=quote_id
        )
        for alt in store.find("quote_alternative", "version_id = ?", (source.id,)):
            new_alt = store.insert("quote_alternative", alt.data, now, version_id=version_id)
            for line in store.find("quote_line", "alternative_id = ?", (alt.id,)):
                store.insert("quote_line", {**line.data, "QuoteAlternativeId": new_alt}, now, alternative_id=new_alt)
        quote = _need(store, "quote", quote_id, "Quote")
        store.update("quote", quote_id, {**quote.data, "ActiveQuoteVersionId": version_id}, now)
    return version_carrier(store, _need(store, "quote_version", version_id, "QuoteVersion"))


def save_version(store: Store, body: dict[str, Any], request: Request) -> Any:
    data = _checked("QuoteVersion", body.get("QuoteVersion"))
    version = _need(store, "quote_version", int(data.get("QuoteVersionId") or 0), "QuoteVersion")
    for name in ("QuoteVersionId", "QuoteId", "QuoteAlternatives", "Updated", "Registered"):
        data.pop(name, None)
    now = utc_now()
    with store.transaction():
        store.update("quote_version", version.id, {**version.data, **data}, now)
        store.touch("quote", version.cols["quote_id"], now)
    return version_carrier(store, _need(store, "quote_version", version.id, "QuoteVersion"))


def get_alternatives(store: Store, body: dict[str, Any], request: Request) -> Any:
    version_id = _int(body, request, "QuoteVersionId")
    _need(store, "quote_version", version_id, "QuoteVersion")
    return [alternative_carrier(a) for a in store.find("quote_alternative", "version_id = ?", (version_id,))]


def get_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    alt_id = _int(body, request, "QuoteAlternativeId")
    return alternative_carrier(_need(store, "quote_alternative", alt_id, "QuoteAlternative"))


def create_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    version_id = _int(body, request, "QuoteVersionId")
    version = _need(store, "quote_version", version_id, "QuoteVersion")
    data = {"Name": str(body.get("QuoteAlternativeName") or "Alternative"), "Status": "Ok"}
    data["Description"] = str(body.get("QuoteAlternativeDescription") or "")
    now = utc_now()
    with store.transaction():
        alt_id = store.insert("quote_alternative", alternative_totals(data, []), now, version_id=version_id)
        store.touch("quote", version.cols["quote_id"], now)
    return alternative_carrier(_need(store, "quote_alternative", alt_id, "QuoteAlternative"))


def save_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    """Body is a bare QuoteAlternative; id 0 creates one in its QuoteVersionId. Totals are always recomputed."""
    data = _checked("QuoteAlternative", body)
    alt_id = int(data.pop("QuoteAlternativeId", 0) or 0)
    version_id = int(data.pop("QuoteVersionId", 0) or 0)
    now = utc_now()
    with store.transaction():
        if alt_id:
            current = _need(store, "quote_alternative", alt_id, "QuoteAlternative")
            store.update("quote_alternative", alt_id, {**current.data, **data}, now)
        else:
            _need(store, "quote_version", version_id, "QuoteVersion")
            alt_id = store.insert("quote_alternative", data, now, version_id=version_id)
        row = recalculate(store, alt_id, now)
    return alternative_carrier(row)


def delete_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    alt_id = _int(body, request, "QuoteAlternativeId")
    now = utc_now()
    with store.transaction():
        _need(store, "quote_alternative", alt_id, "QuoteAlternative")
        quote_id = _quote_of_alternative(store, alt_id)
        store.query("DELETE FROM quote_line WHERE alternative_id = ?", (alt_id,))
        store.delete("quote_alternative", alt_id)
        if quote_id:
            store.touch("quote", quote_id, now)
    return Response(status_code=204)


def recalculate_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    raw = body.get("QuoteAlternative", body.get("QuoteAlternativeId"))
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise SoError(400, "QuoteAlternative must be the integer id of the alternative")
    with store.transaction():
        before = _need(store, "quote_alternative", raw, "QuoteAlternative").data
        row = recalculate(store, raw, utc_now())
    return {"QuoteLinesHasChanged": before != row.data, "ChangedQuoteAlternative": alternative_carrier(row),
            "Changes": None}  # fmt: skip


def get_lines(store: Store, body: dict[str, Any], request: Request) -> Any:
    alt_id = _int(body, request, "QuoteAlternativeId")
    _need(store, "quote_alternative", alt_id, "QuoteAlternative")
    return [line_carrier(row) for row in store.find("quote_line", "alternative_id = ?", (alt_id,))]


def get_line(store: Store, body: dict[str, Any], request: Request) -> Any:
    return line_carrier(_need(store, "quote_line", _int(body, request, "QuoteLineId"), "QuoteLine"))


def create_line(store: Store, body: dict[str, Any], request: Request) -> Any:
    """A saved line copying the product named by ERPProductKey (quantity 1); the alternative is recomputed."""
    alt_id = _int(body, request, "QuoteAlternativeId")
    _need(store, "quote_alternative", alt_id, "QuoteAlternative")
    key = body.get("ERPProductKey")
    if not isinstance(key, str) or not key:
        raise SoError(400, "ERPProductKey must be a non-empty string")
    return _insert_line(store, alt_id, _line_from_product(_product_by_key(store, key).data, key))


def create_line_from_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    alt_id = _int(body, request, "QuoteAlternativeId")
    _need(store, "quote_alternative", alt_id, "QuoteAlternative")
    product = _checked("Product", body.get("Product"))
    return _insert_line(store, alt_id, _line_from_product(product, str(product.get("ERPProductKey") or "")))


def _insert_line(store: Store, alt_id: int, data: dict[str, Any]) -> dict[str, Any]:
    now = utc_now()
    with store.transaction():
        lines = store.find("quote_line", "alternative_id = ?", (alt_id,))
        data = line_totals({**data, "QuoteAlternativeId": alt_id, "Rank": len(lines) + 1})
        line_id = store.insert("quote_line", data, now, alternative_id=alt_id)
        recalculate(store, alt_id, now)
    return line_carrier(_need(store, "quote_line", line_id, "QuoteLine"))


def _save_one_line(store: Store, raw: Any, now: str) -> int:
    data = _checked("QuoteLine", raw)
    line_id = int(data.pop("QuoteLineId", 0) or 0)
    if line_id:
        current = _need(store, "quote_line", line_id, "QuoteLine")
        alt_id = int(data.get("QuoteAlternativeId") or current.cols["alternative_id"])
        _need(store, "quote_alternative", alt_id, "QuoteAlternative")
        merged = line_totals({**current.data, **data, "QuoteAlternativeId": alt_id})
        store.update("quote_line", line_id, merged, now, alternative_id=alt_id)
        if alt_id != current.cols["alternative_id"]:
            recalculate(store, current.cols["alternative_id"], now)
    else:
        alt_id = int(data.get("QuoteAlternativeId") or 0)
        _need(store, "quote_alternative", alt_id, "QuoteAlternative")
        line_id = store.insert("quote_line", line_totals(data), now, alternative_id=alt_id)
    recalculate(store, alt_id, now)
    return line_id


def save_line(store: Store, body: dict[str, Any], request: Request) -> Any:
    now = utc_now()
    with store.transaction():
        line_id = _save_one_line(store, body.get("QuoteLine"), now)
    return line_carrier(_need(store, "quote_line", line_id, "QuoteLine"))


def save_lines(store: Store, body: dict[str, Any], request: Request) -> Any:
    lines = body.get("QuoteLines")
    if not isinstance(lines, list):
        raise SoError(400, "QuoteLines must be an array")
    now = utc_now()
    with store.transaction():
        ids = [_save_one_line(store, line, now) for line in lines]
    return [line_carrier(_need(store, "quote_line", i, "QuoteLine")) for i in ids]


def delete_lines(store: Store, body: dict[str, Any], request: Request) -> Any:
    if "QuoteLineIds" in body:
        ids = body["QuoteLineIds"]
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise SoError(400, "QuoteLineIds must be an array of integers")
    else:
        ids = [_int(body, request, "QuoteLineId")]
    now = utc_now()
    with store.transaction():
        rows = [_need(store, "quote_line", i, "QuoteLine") for i in ids]
        for row in rows:
            store.delete("quote_line", row.id)
        for alt_id in {row.cols["alternative_id"] for row in rows}:
            recalculate(store, alt_id, now)
    return Response(status_code=204)


def get_product_from_db_id(store: Store, body: dict[str, Any], request: Request) -> Any:
    return product_carrier(_need(store, "product", _int(body, request, "ProductId"), "Product"))


def get_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    key = body.get("ERPProductKey")
    return product_carrier(_product_by_key(store, str(key or "")))


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
    product_id = _int(body, request, "ProductId")
    _need(store, "product", product_id, "Product")
    store.delete("product", product_id)
    return Response(status_code=204)


def create_default_product(store: Store, body: dict[str, Any], request: Request) -> Any:
    return complete("Product", {})


def create_default_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    return complete("QuoteAlternative", {})


def sale_has_quote(store: Store, body: dict[str, Any], request: Request) -> Any:
    return bool(store.find("quote", "sale_id = ?", (_int(body, request, "SaleId"),)))


QUOTE_METHODS: dict[str, Handler] = {
    "GetQuoteEntityFromSaleId": get_quote_entity_from_sale,
    "GetQuoteFromSaleId": get_quote_from_sale,
    "GetQuoteEntity": get_quote_entity,
    "GetQuote": get_quote,
    "CreateAndSaveQuote": create_and_save_quote,
    "DeleteQuote": delete_quote,
    "GetQuoteVersions": get_versions,
    "GetQuoteVersion": get_version,
    "CreateAndSaveQuoteVersion": create_and_save_version,
    "SaveQuoteVersion": save_version,
    "GetQuoteAlternatives": get_alternatives,
    "GetQuoteAlternative": get_alternative,
    "CreateQuoteAlternative": create_alternative,
    "CreateDefaultQuoteAlternative": create_default_alternative,
    "SaveQuoteAlternative": save_alternative,
    "DeleteQuoteAlternative": delete_alternative,
    "RecalculateQuoteAlternative": recalculate_alternative,
    "GetQuoteLines": get_lines,
    "GetQuoteLine": get_line,
    "CreateQuoteLine": create_line,
    "CreateQuoteLineFromProduct": create_line_from_product,
    "SaveQuoteLine": save_line,
    "SaveQuoteLines": save_lines,
    "DeleteQuoteLine": delete_lines,
    "DeleteQuoteLines": delete_lines,
    "GetProductFromDbId": get_product_from_db_id,
    "GetProduct": get_product,
    "FindProduct": find_product,
    "SaveProduct": save_product,
    "DeleteProduct": delete_product,
    "CreateDefaultProduct": create_default_product,
    "ToggleProductInAssortment": toggle_in_assortment,
}


def quote_router(store: Store) -> APIRouter:
    router = APIRouter(prefix="/api/v1/Agents")

    async def body_of(request: Request) -> Any:
        raw = await request.body()
        return await read_json(request) if raw.strip() else {}

    @router.post("/Quote/{method}")
    async def quote_method(method: str, request: Request) -> Any:
        handler = {k.lower(): v for k, v in QUOTE_METHODS.items()}.get(method.lower())
        if handler is None:
            raise SoError(404, f"Quote agent has no method {method!r}")
        body = await body_of(request)
        if not isinstance(body, dict) and method.lower() not in ("saveproduct", "savequotealternative"):
            raise SoError(400, "The request body must be a JSON object")
        result = handler(store, body, request)
        if isinstance(result, Response):
            return result
        if isinstance(result, dict):
            result = select(result, request.query_params.get("$select"))
        return JSONResponse(result)

    @router.post("/Sale/SaleHasQuote")
    async def has_quote(request: Request) -> Any:
        return JSONResponse(sale_has_quote(store, await body_of(request) or {}, request))

    return router
