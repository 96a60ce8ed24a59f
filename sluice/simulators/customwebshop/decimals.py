"""Decimals compared as numbers: a write that only re-formats a decimal (``"2.0"`` -> ``"2"``) is no change.

Rule: pure functions over plain dicts. A decimal field whose new text equals the stored one as a number keeps
the stored text, so the service's "nothing changed" check sees equal records and bumps neither ``version``
nor ``updated_at``; any other difference (another number, a cleared field) goes through as sent.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

DECIMAL_FIELDS: dict[str, tuple[str, ...]] = {
    "customers": (),
    "products": ("price", "cost", "vat_rate", "stock_quantity"),
    "orders": ("subtotal", "discount_percent", "discount_amount", "vat_amount", "total"),
}
LINE_DECIMALS = ("quantity", "unit_price", "discount_percent", "vat_rate", "line_total")


def same_number(a: Any, b: Any) -> bool:
    """Both decimal texts of the same number (``"1250.0"`` and ``"1250.00"``)."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def keep_formatting(resource: str, stored: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` with every decimal that equals its stored value as a number written as stored."""
    kept = _kept(DECIMAL_FIELDS[resource], stored, new)
    if resource == "orders" and isinstance(new.get("lines"), list):
        by_id = {line.get("id"): line for line in stored.get("lines") or [] if isinstance(line, dict)}
        kept["lines"] = [
            _kept(LINE_DECIMALS, by_id[line["id"]], line) if line.get("id") in by_id else line for line in new["lines"]
        ]
    return kept


def _kept(fields: tuple[str, ...], stored: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = dict(new)
    for name in fields:
        if name in out and same_number(stored.get(name), out[name]):
            out[name] = stored[name]
    return out
