"""Quote agent methods on quote lines: read, create (from a product key or carrier), save, delete, recalculate.

Rule: a line copies its product's data rather than referencing it (T-ql). In lenient mode every line write
recomputes the line and its alternative; in strict mode (as on a real tenant) ``SaveQuoteLine(s)`` stores the
line as sent and line writes leave the alternative's totals stale until ``RecalculateQuoteAlternative``
(or a ``RecalculateQuoteLine`` answer saved back), which "shall be called" after such changes.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from sluice.simulators.superoffice.carriers import complete
from sluice.simulators.superoffice.quote_carriers import line_carrier
from sluice.simulators.superoffice.quote_math import line_totals
from sluice.simulators.superoffice.quote_tree import (
    body_int,
    checked,
    need,
    product_by_key,
    quote_changed,
    quote_of_alternative,
    recalculate,
)
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.store import Store, utc_now

OVERRIDES = ("DiscountPercent", "DiscountAmount", "EarningPercent", "EarningAmount", "TotalPrice")
"""Fields whose change makes them the line's master (``UserValueOverride``; TotalPrice -> ``Total``)."""


def _line_from_product(product: dict[str, Any], erp_key: str) -> dict[str, Any]:
    copied = ("Name", "Description", "Code", "QuantityUnit", "PriceUnit", "ItemNumber", "Url", "VAT", "VATInfo")
    prices = ("UnitCost", "UnitMinimumPrice", "UnitListPrice", "Supplier", "SupplierCode")
    line = {k: product.get(k) for k in copied + prices if product.get(k) is not None}
    return {**line, "ERPProductKey": erp_key, "Quantity": 1.0, "Status": "Ok"}


def _settle(store: Store, alt_id: int, now: str, strict: bool) -> None:
    """After a line write: recompute the alternative (lenient) or only mark the quote changed (strict)."""
    if not strict:
        recalculate(store, alt_id, now)
        return
    quote_id = quote_of_alternative(store, alt_id)
    if quote_id:
        quote_changed(store, quote_id, now)


def get_lines(store: Store, body: dict[str, Any], request: Request) -> Any:
    alt_id = body_int(body, "QuoteAlternativeId")
    need(store, "quote_alternative", alt_id, "QuoteAlternative")
    return [line_carrier(row) for row in store.find("quote_line", "alternative_id = ?", (alt_id,))]


def get_line(store: Store, body: dict[str, Any], request: Request) -> Any:
    return line_carrier(need(store, "quote_line", body_int(body, "QuoteLineId"), "QuoteLine"))


def create_line(store: Store, body: dict[str, Any], request: Request, *, strict: bool = False) -> Any:
    """A saved line copying the product named by ERPProductKey (quantity 1, its own totals computed)."""
    alt_id = body_int(body, "QuoteAlternativeId")
    need(store, "quote_alternative", alt_id, "QuoteAlternative")
    key = body.get("ERPProductKey")
    if not isinstance(key, str) or not key:
        raise SoError(400, "ERPProductKey must be a non-empty string")
    return _insert_line(store, alt_id, _line_from_product(product_by_key(store, key).data, key), strict)


def create_line_from_product(store: Store, body: dict[str, Any], request: Request, *, strict: bool = False) -> Any:
    alt_id = body_int(body, "QuoteAlternativeId")
    need(store, "quote_alternative", alt_id, "QuoteAlternative")
    product = checked("Product", body.get("Product"))
    return _insert_line(store, alt_id, _line_from_product(product, str(product.get("ERPProductKey") or "")), strict)


def _insert_line(store: Store, alt_id: int, data: dict[str, Any], strict: bool) -> dict[str, Any]:
    now = utc_now()
    with store.transaction():
        lines = store.find("quote_line", "alternative_id = ?", (alt_id,))
        data = line_totals({**data, "QuoteAlternativeId": alt_id, "Rank": len(lines) + 1})
        line_id = store.insert("quote_line", data, now, alternative_id=alt_id)
        _settle(store, alt_id, now, strict)
    return line_carrier(need(store, "quote_line", line_id, "QuoteLine"))


def _save_one_line(store: Store, raw: Any, now: str, strict: bool) -> int:
    data = checked("QuoteLine", raw)
    line_id = int(data.pop("QuoteLineId", 0) or 0)
    compute = (lambda line: line) if strict else line_totals
    if line_id:
        current = need(store, "quote_line", line_id, "QuoteLine")
        alt_id = int(data.get("QuoteAlternativeId") or current.cols["alternative_id"])
        need(store, "quote_alternative", alt_id, "QuoteAlternative")
        merged = compute({**current.data, **data, "QuoteAlternativeId": alt_id})
        store.update("quote_line", line_id, merged, now, alternative_id=alt_id)
        if alt_id != current.cols["alternative_id"]:
            _settle(store, current.cols["alternative_id"], now, strict)
    else:
        alt_id = int(data.get("QuoteAlternativeId") or 0)
        need(store, "quote_alternative", alt_id, "QuoteAlternative")
        data = compute({**data, "QuoteAlternativeId": alt_id})
        line_id = store.insert("quote_line", data, now, alternative_id=alt_id)
    _settle(store, alt_id, now, strict)
    return line_id


def save_line(store: Store, body: dict[str, Any], request: Request, *, strict: bool = False) -> Any:
    now = utc_now()
    with store.transaction():
        line_id = _save_one_line(store, body.get("QuoteLine"), now, strict)
    return line_carrier(need(store, "quote_line", line_id, "QuoteLine"))


def save_lines(store: Store, body: dict[str, Any], request: Request, *, strict: bool = False) -> Any:
    lines = body.get("QuoteLines")
    if not isinstance(lines, list):
        raise SoError(400, "QuoteLines must be an array")
    now = utc_now()
    with store.transaction():
        ids = [_save_one_line(store, line, now, strict) for line in lines]
    return [line_carrier(need(store, "quote_line", i, "QuoteLine")) for i in ids]


def delete_lines(store: Store, body: dict[str, Any], request: Request, *, strict: bool = False) -> Any:
    if "QuoteLineIds" in body:
        ids = body["QuoteLineIds"]
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise SoError(400, "QuoteLineIds must be an array of integers")
    else:
        ids = [body_int(body, "QuoteLineId")]
    now = utc_now()
    with store.transaction():
        rows = [need(store, "quote_line", i, "QuoteLine") for i in ids]
        for row in rows:
            store.delete("quote_line", row.id)
        for alt_id in {row.cols["alternative_id"] for row in rows}:
            _settle(store, alt_id, now, strict)
    return Response(status_code=204)


def recalculate_line(store: Store, body: dict[str, Any], request: Request) -> Any:
    """``RecalculateQuoteLine {QuoteLine, ChangedFields}`` (QA, RQL): the line computed, not saved. The last
    changed discount or earning field becomes its ``UserValueOverride``."""
    line = checked("QuoteLine", body.get("QuoteLine"))
    changed = body.get("ChangedFields") or []
    if not isinstance(changed, list) or not all(isinstance(name, str) for name in changed):
        raise SoError(400, "ChangedFields must be an array of field names")
    masters = [name for name in changed if name in OVERRIDES]
    if masters:
        line["UserValueOverride"] = "Total" if masters[-1] == "TotalPrice" else masters[-1]
    return complete("QuoteLine", line_totals(line))
