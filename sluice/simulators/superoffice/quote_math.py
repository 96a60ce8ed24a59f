"""Quote arithmetic (api-notes §14.6): line and alternative totals, as pure functions over carriers.

Rule: money is rounded to 2 decimals only at the end of each carrier's computation; VAT on a line is a
percentage, VAT on an alternative is an amount.
"""

from __future__ import annotations

from typing import Any


def _num(value: Any) -> float:
    return float(value or 0.0)


def line_totals(line: dict[str, Any]) -> dict[str, Any]:
    """SubTotal = Quantity x UnitListPrice; a DiscountPercent wins over a DiscountAmount; TotalPrice = SubTotal - it."""
    quantity, price = _num(line.get("Quantity")), _num(line.get("UnitListPrice"))
    sub_total = quantity * price
    percent = _num(line.get("DiscountPercent"))
    if percent:
        discount = sub_total * percent / 100
    else:
        discount = _num(line.get("DiscountAmount"))
        percent = discount / sub_total * 100 if sub_total else 0.0
    total = sub_total - discount
    earning = total - quantity * _num(line.get("UnitCost"))
    return {
        **line,
        "SubTotal": round(sub_total, 2),
        "DiscountAmount": round(discount, 2),
        "DiscountPercent": round(percent, 4),
        "TotalPrice": round(total, 2),
        "EarningAmount": round(earning, 2),
        "EarningPercent": round(earning / total * 100, 4) if total else 0.0,
    }


def alternative_totals(alternative: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums over the (already computed) lines, minus the alternative's own discount; VAT is an amount."""
    sub_total = sum(_num(line.get("TotalPrice")) for line in lines)
    vat = sum(_num(line.get("TotalPrice")) * _num(line.get("VAT")) / 100 for line in lines)
    cost = sum(_num(line.get("Quantity")) * _num(line.get("UnitCost")) for line in lines)
    percent = _num(alternative.get("DiscountPercent"))
    if percent:
        discount = sub_total * percent / 100
    else:
        discount = _num(alternative.get("DiscountAmount"))
        percent = discount / sub_total * 100 if sub_total else 0.0
    total = sub_total - discount
    share = total / sub_total if sub_total else 1.0
    earning = total - cost
    return {
        **alternative,
        "SubTotal": round(sub_total, 2),
        "DiscountAmount": round(discount, 2),
        "DiscountPercent": round(percent, 4),
        "TotalPrice": round(total, 2),
        "VAT": round(vat * share, 2),
        "EarningAmount": round(earning, 2),
        "EarningPercent": round(earning / total * 100, 4) if total else 0.0,
    }
