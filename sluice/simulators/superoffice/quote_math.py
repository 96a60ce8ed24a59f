"""Quote arithmetic (api-notes §14.6, QuoteLine/QuoteAlternative in the Swagger), as pure functions over carriers.

Rule: ``UserValueOverride`` names the field the user changed last, and that field is the master: the other
discount and earning fields are derived from it (``None``: the connector's ``ERPDiscountPercent`` /
``ERPDiscountAmount`` apply). Money is rounded to 2 decimals only at the end of each carrier's computation;
VAT on a line is a percentage, VAT on an alternative is an amount.
"""

from __future__ import annotations

from typing import Any


def _num(value: Any) -> float:
    return float(value or 0.0)


def discount(item: dict[str, Any], sub_total: float, cost: float) -> float:
    """The discount amount on ``sub_total`` that the item's ``UserValueOverride`` master field implies."""
    override = item.get("UserValueOverride") or "None"
    if override == "DiscountPercent":
        return sub_total * _num(item.get("DiscountPercent")) / 100
    if override == "DiscountAmount":
        return _num(item.get("DiscountAmount"))
    if override == "Total":
        return sub_total - _num(item.get("TotalPrice"))
    if override == "EarningAmount":
        return sub_total - (cost + _num(item.get("EarningAmount")))
    if override == "EarningPercent":
        share = _num(item.get("EarningPercent")) / 100
        return sub_total - cost / (1 - share) if share < 1 else 0.0
    if _num(item.get("ERPDiscountPercent")):
        return sub_total * _num(item.get("ERPDiscountPercent")) / 100
    return _num(item.get("ERPDiscountAmount"))


def _figures(item: dict[str, Any], sub_total: float, cost: float) -> dict[str, Any]:
    """Both discount fields, the total and both earning fields, all consistent with the master field."""
    amount = discount(item, sub_total, cost)
    total = sub_total - amount
    earning = total - cost
    return {
        "SubTotal": round(sub_total, 2),
        "DiscountAmount": round(amount, 2),
        "DiscountPercent": round(amount / sub_total * 100, 4) if sub_total else 0.0,
        "TotalPrice": round(total, 2),
        "EarningAmount": round(earning, 2),
        "EarningPercent": round(earning / total * 100, 4) if total else 0.0,
    }


def line_totals(line: dict[str, Any]) -> dict[str, Any]:
    """SubTotal = Quantity x UnitListPrice; TotalPrice = SubTotal - DiscountAmount (or cost + earning)."""
    quantity = _num(line.get("Quantity"))
    return {**line, **_figures(line, quantity * _num(line.get("UnitListPrice")), quantity * _num(line.get("UnitCost")))}


def alternative_totals(alternative: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """SubTotal = sum of the (already computed) lines' TotalPrice, minus the alternative's own discount;
    VAT is an amount, scaled by the alternative discount."""
    sub_total = sum(_num(line.get("TotalPrice")) for line in lines)
    vat = sum(_num(line.get("TotalPrice")) * _num(line.get("VAT")) / 100 for line in lines)
    cost = sum(_num(line.get("Quantity")) * _num(line.get("UnitCost")) for line in lines)
    figures = _figures(alternative, sub_total, cost)
    share = figures["TotalPrice"] / sub_total if sub_total else 1.0
    return {**alternative, **figures, "VAT": round(vat * share, 2)}
