"""Order arithmetic: decimal-exact, rounded per line, and the order's figures always add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.simulators.customwebshop.totals import AmountError, compute, line_total

amounts = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
lines = st.lists(
    st.fixed_dictionaries(
        {
            "quantity": amounts.map(str),
            "unit_price": amounts.map(str),
            "discount_percent": percents.map(str),
            "vat_rate": percents.map(str),
        }
    ),
    min_size=1,
    max_size=8,
)


def test_line_total_rounds_half_up_without_floats() -> None:
    assert line_total({"quantity": "3", "unit_price": "0.10"}) == Decimal(
        "0.30"
    )  # 0.1 * 3 as float is 0.30000000000000004
    assert line_total({"quantity": "1", "unit_price": "0.125"}) == Decimal("0.13")
    assert line_total({"quantity": "1.5", "unit_price": "99.99", "discount_percent": "10"}) == Decimal("134.99")


@given(lines, st.one_of(st.none(), amounts.map(str)))
def test_order_figures_add_up(order_lines: list[dict], discount: str | None) -> None:
    order = compute({"lines": order_lines, "discount_amount": discount, "total": "1"})
    subtotal = sum(Decimal(line["line_total"]) for line in order["lines"])
    assert Decimal(order["subtotal"]) == subtotal
    expected_total = subtotal - Decimal(discount or "0") + Decimal(order["vat_amount"])
    assert Decimal(order["total"]) == expected_total
    assert all(len(line["line_total"].split(".")[1]) == 2 for line in order["lines"])


def test_order_discount_percent_applies_when_no_amount_is_given() -> None:
    order = compute({"discount_percent": "10", "lines": [{"quantity": "2", "unit_price": "50", "vat_rate": "25"}]})
    assert (order["subtotal"], order["discount_amount"], order["vat_amount"], order["total"]) == (
        "100.00",
        "10.00",
        "25.00",
        "115.00",
    )


def test_order_without_lines_is_left_as_given() -> None:
    assert compute({"total": "12.5"}) == {"total": "12.5"}


def test_an_amount_too_large_for_the_wire_is_refused() -> None:
    with pytest.raises(AmountError) as caught:
        compute({"lines": [{"quantity": "999999999999999", "unit_price": "999999999999999"}]})
    assert caught.value.field == "lines.0.line_total"
