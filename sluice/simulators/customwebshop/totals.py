"""Order arithmetic, in ``decimal.Decimal`` from decimal strings (never binary floats).

Rule (also published in the OpenAPI description, ``ARITHMETIC``): amounts are rounded to 2 decimals
half-up, per line first, then summed, so the order's figures always equal the sum of what the lines show.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import Any

from sluice.simulators.customwebshop.models import DECIMAL_PATTERN

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
WIDE = Context(prec=80)  # wire decimals have at most 15+6 digits, so products of three always fit exactly
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)

ARITHMETIC = """\
Order arithmetic (all decimal, rounded half-up to 2 decimals, line by line before summing):

* `line_total = round(quantity × unit_price × (1 − discount_percent / 100), 2)`
* `line_vat = round(line_total × vat_rate / 100, 2)`
* when the order has lines: `subtotal = Σ line_total`, `vat_amount = Σ line_vat`,
  `discount_amount` is taken as given, or `round(subtotal × discount_percent / 100, 2)` when the
  percentage is the discount field sent last (a later `discount_percent` wins over a stored
  `discount_amount`), else `0.00`; `total = subtotal − discount_amount + vat_amount`
* when the order never had lines, `subtotal`, `discount_amount`, `vat_amount` and `total` are stored as
  given; a `PATCH` with `lines: []` makes them `0.00` unless the same request gives them.

A line's `discount_percent` and `vat_rate` default to `0`; sent `subtotal`, `vat_amount` and `total` of an
order with lines are ignored (the server's figures win). A figure that would not fit the decimal pattern
is refused with 422.
"""


class AmountError(ValueError):
    """A computed amount does not fit the wire format; ``field`` names where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def dec(value: str | None, default: str = "0") -> Decimal:
    try:
        return Decimal(value if value is not None else default)
    except InvalidOperation as exc:  # the models' pattern makes this unreachable for API input
        raise ValueError(f"not a decimal: {value!r}") from exc


def line_total(line: dict[str, Any]) -> Decimal:
    gross = dec(line.get("quantity")) * dec(line.get("unit_price"))
    return (gross * (1 - dec(line.get("discount_percent")) / HUNDRED)).quantize(CENT, rounding=ROUND_HALF_UP)


FIGURES = ("subtotal", "discount_amount", "vat_amount", "total")


def compute(order: dict[str, Any], percent_first: bool = False) -> dict[str, Any]:
    """The order with ``line_total`` on each line and, when it has lines, its computed figures; with
    ``percent_first`` the order's ``discount_percent`` (sent after any amount) sets its discount."""
    with localcontext(WIDE):
        return _compute(order, percent_first)


def zeroed(order: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """An order whose lines were all removed: its figures ``0.00``, except those ``given`` in the request."""
    return {**order, **{name: given[name] if given.get(name) is not None else "0.00" for name in FIGURES}}


def _compute(order: dict[str, Any], percent_first: bool) -> dict[str, Any]:
    lines = order.get("lines") or []
    if not lines:
        return order
    subtotal = vat = Decimal(0)
    new_lines = []
    for index, line in enumerate(lines):
        total = line_total(line)
        subtotal += total
        vat += (total * dec(line.get("vat_rate")) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
        new_lines.append({**line, "line_total": _fits(f"lines.{index}.line_total", money(total))})
    from_percent = order.get("discount_percent") is not None and (percent_first or order.get("discount_amount") is None)
    if from_percent:
        discount = (subtotal * dec(order["discount_percent"]) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    elif order.get("discount_amount") is not None:
        discount = dec(order["discount_amount"])
    else:
        discount = Decimal(0)
    figures = {
        "subtotal": money(subtotal),
        "discount_amount": order["discount_amount"]
        if not from_percent and order.get("discount_amount") is not None
        else money(discount),
        "vat_amount": money(vat),
        "total": money(subtotal - discount + vat),
    }
    for name, value in figures.items():
        _fits(name, value)
    return {**order, **figures, "lines": new_lines}


def _fits(field: str, value: str) -> str:
    if not _DECIMAL_RE.match(value):
        raise AmountError(field, f"the computed amount {value[:40]} is out of range")
    return value
