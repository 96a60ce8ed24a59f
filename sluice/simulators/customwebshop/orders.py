"""Order writes as the contract states them (customwebshop-api.md, Order): lines merged by ``id``, references
checked only when they change, the discount the caller sent last is the master, ``lines: []`` zeroes the totals.

Rule: pure rules over the stored order, the merged order and the fields the request sent (``sent``); the store
is read only to check references. ``DISCOUNT_FROM`` is kept in the stored data (never rendered): which of
``discount_percent`` / ``discount_amount`` was sent last, so a later percentage is honoured instead of the
amount computed from an earlier one.
"""

from __future__ import annotations

from typing import Any

from sluice.simulators.customwebshop.merge import merge_patch
from sluice.simulators.customwebshop.problems import field_error
from sluice.simulators.customwebshop.store import Row, ShopStore
from sluice.simulators.customwebshop.totals import AmountError, compute, zeroed

DISCOUNT_FROM = "_discount_from"
PRODUCT_DEFAULTS = (("sku", "sku"), ("name", "name"), ("unit_price", "price"), ("vat_rate", "vat_rate"))
"""Line field <- product field, filled when the line leaves it out."""
COMPUTED = ("line_total",)


def prepare_order(store: ShopStore, data: dict[str, Any], current: Row | None, sent: dict[str, Any]) -> dict[str, Any]:
    """The order to store: references checked, lines merged and defaulted, figures computed."""
    stored = current.data if current else {}
    changed_customer = current is None or data["customer_id"] != stored.get("customer_id")
    if changed_customer and not store.exists("customers", data["customer_id"]):
        raise field_error("customer_id", f"customer {data['customer_id']} does not exist")
    data = {**data, "status": data.get("status") or "pending"}
    data.pop(DISCOUNT_FROM, None)
    basis = _discount_from(stored, sent)
    if basis is not None:
        data[DISCOUNT_FROM] = basis
    if "lines" in data:
        data["lines"] = prepare_lines(store, data["lines"], stored.get("lines") or [])
    if sent.get("lines") == [] and stored.get("lines"):
        data = zeroed(data, given=sent)
    try:
        return compute(data, percent_first=basis == "percent")
    except AmountError as exc:
        raise field_error(exc.field, str(exc)) from exc


def _discount_from(stored: dict[str, Any], sent: dict[str, Any]) -> str | None:
    """``amount`` or ``percent``: the discount field this request sent, else the one sent before."""
    if sent.get("discount_amount") is not None:
        return "amount"
    if sent.get("discount_percent") is not None:
        return "percent"
    return stored.get(DISCOUNT_FROM)


def prepare_lines(store: ShopStore, lines: list[dict[str, Any]], stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each element merged into the stored line it names by ``id`` (or a new line), with product defaults."""
    by_id = {line["id"]: line for line in stored}
    seen: set[int] = set()
    prepared = []
    for index, element in enumerate(lines):
        where = f"lines.{index}"
        old = by_id.get(element.get("id")) if element.get("id") is not None else None
        if element.get("id") is not None:
            if old is None or element["id"] in seen:
                raise field_error(f"{where}.id", f"line {element['id']} is not a line of this order")
            seen.add(element["id"])
        line = _merged(old, element)
        if old is None:
            line["id"] = store.next_value("order_line")
        if line.get("product_id") is not None and line["product_id"] != (old or {}).get("product_id"):
            _fill_from_product(store, line, where)
        for name in ("quantity", "unit_price"):
            if line.get(name) is None:
                raise field_error(f"{where}.{name}", "required")
        line.setdefault("discount_percent", "0")
        line.setdefault("vat_rate", "0")
        line.setdefault("position", index + 1)
        prepared.append(line)
    return prepared


def _merged(old: dict[str, Any] | None, element: dict[str, Any]) -> dict[str, Any]:
    """The stored line with the element merged in (a JSON merge patch: ``null`` clears, ``external_refs`` merge).
    A changed ``product_id`` drops the old product's copied fields the element leaves out."""
    if old is None:
        return merge_patch({}, element)
    base = {k: v for k, v in old.items() if k not in COMPUTED}
    if element.get("product_id") is not None and element["product_id"] != old.get("product_id"):
        base = {k: v for k, v in base.items() if k not in dict(PRODUCT_DEFAULTS) or k in element}
    return merge_patch(base, element)


def _fill_from_product(store: ShopStore, line: dict[str, Any], where: str) -> None:
    product = store.get("products", line["product_id"])
    if product is None or product.deleted_at is not None:
        raise field_error(f"{where}.product_id", f"product {line['product_id']} does not exist")
    for mine, theirs in PRODUCT_DEFAULTS:
        if line.get(mine) is None and product.data.get(theirs) is not None:
            line[mine] = product.data[theirs]
