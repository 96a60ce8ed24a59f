"""Seeded quote trees (quote -> versions -> alternatives -> lines) for a share of the seeded sales.

Rule: totals come from ``quote_math`` like every other quote in the simulator; since a line is fully fixed by
(product, quantity), each such line is computed and JSON-encoded once and reused, only ids and rank vary.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from sluice.simulators.superoffice.draws import below, pick
from sluice.simulators.superoffice.populate_contacts import SaleStub
from sluice.simulators.superoffice.quote_math import alternative_totals, line_totals

QUOTE_SHARE = 0.25
"""Share of sales that carry a quote (each with 1-2 versions, 1-2 alternatives, 1-3 lines)."""
VERSIONS = (1, 1, 2)
ALTERNATIVES = (1, 2, 2)
MAX_LINES = 3
MAX_QUANTITY = 19

Rows = list[tuple[int, str, str, str, int]]
"""(id, data, registered, updated, parent id) for one quote table."""


@dataclass
class QuoteRows:
    """The four quote tables' rows, ids 1..n in each."""

    quotes: Rows = field(default_factory=list)
    versions: Rows = field(default_factory=list)
    alternatives: Rows = field(default_factory=list)
    lines: Rows = field(default_factory=list)
    favorites: dict[int, dict[str, float]] = field(default_factory=dict)
    """Sale id -> the Amount, Earning and EarningPercent of its favourite alternative (``UseValuesFromQuote``)."""


@dataclass(frozen=True)
class LineTemplate:
    """One (product, quantity) line: its totals (for the alternative) and its JSON around the varying fields."""

    totals: dict[str, Any]
    head: str  # fields between QuoteAlternativeId and Rank
    tail: str  # fields after Rank (QuoteLineId follows)


def line_from_product(product: dict[str, Any], alternative_id: int, rank: int, quantity: float) -> dict[str, Any]:
    """A quote line copying a product (as CreateQuoteLine does); totals are computed by the caller."""
    return {
        "QuoteAlternativeId": alternative_id,
        "ERPProductKey": product["erp_product_key"],
        "Status": "Ok",
        "Quantity": float(quantity),
        "Rank": rank,
        "Name": product["name"],
        "Code": product["code"],
        "QuantityUnit": product["unit"],
        "PriceUnit": product["currency"],
        "ItemNumber": product["code"],
        "VAT": product["vat"],
        "VATInfo": f"{product['vat']:g}%",
        "UnitCost": product["unit_cost"],
        "UnitMinimumPrice": product["unit_cost"],
        "UnitListPrice": product["unit_list_price"],
    }


def _members(carrier: dict[str, Any], keys: list[str]) -> str:
    """``"a": 1, "b": 2`` for ``keys`` of ``carrier``, as json.dumps writes them inside an object."""
    return json.dumps({key: carrier[key] for key in keys})[1:-1]


def line_templates(products: list[dict[str, Any]]) -> list[list[LineTemplate]]:
    """[product index][quantity - 1] -> the line for that product and quantity."""
    table = []
    for product in products:
        row = []
        for quantity in range(1, MAX_QUANTITY + 1):
            line = line_totals(line_from_product(product, 0, 0, quantity))
            keys = list(line)
            rank = keys.index("Rank")
            row.append(LineTemplate(line, _members(line, keys[1:rank]), _members(line, keys[rank + 1 :])))
        table.append(row)
    return table


def quote_rows(sales: list[SaleStub], by_currency: dict[str, list[dict[str, Any]]], rng: random.Random) -> QuoteRows:
    """Quote trees for about ``QUOTE_SHARE`` of ``sales``; every row is stamped with its sale's ``updated``."""
    templates = {currency: line_templates(products) for currency, products in by_currency.items()}
    rows = QuoteRows()
    bits, uniform = rng.getrandbits, rng.random
    for sale_id, status, currency, stamp in sales:
        if uniform() >= QUOTE_SHARE:
            continue
        quote_id = len(rows.quotes) + 1
        n_versions = pick(bits, VERSIONS)
        for rank in range(1, n_versions + 1):
            version_id = len(rows.versions) + 1
            first_alternative = len(rows.alternatives) + 1
            for number in range(1, pick(bits, ALTERNATIVES) + 1):
                totals = _alternative(rows, templates[currency], version_id, number, stamp, bits)
                if number == 1:  # the likely alternative; the last version's is the sale's favourite
                    rows.favorites[sale_id] = {"Amount": totals["TotalPrice"], "Earning": totals["EarningAmount"],
                                               "EarningPercent": totals["EarningPercent"]}  # fmt: skip
            state = '"Sold"' if status == "Sold" else '"Draft"'
            if rank < n_versions:  # a newer version archived this one (it had been sent)
                state = '"Archived", "ArchivedState": "Sent"'
            data = (
                f'{{"QuoteId": {quote_id}, "Description": "Versjon {rank}", "Number": "{quote_id}-{rank}", '
                f'"State": {state}, "Status": "Ok", "Rank": {rank}, "LikelyQuoteAlternativeId": {first_alternative}}}'
            )
            rows.versions.append((version_id, data, stamp, stamp, quote_id))
        data = (
            f'{{"SaleId": {sale_id}, "QuoteConnectionId": 1, "ActiveQuoteVersionId": {len(rows.versions)}, '
            f'"UseValuesFromQuote": 1}}'
        )
        rows.quotes.append((quote_id, data, stamp, stamp, sale_id))
    return rows


def _alternative(
    rows: QuoteRows, templates: list[list[LineTemplate]], version_id: int, number: int, stamp: str, bits: Any
) -> dict[str, Any]:
    """One alternative with 1-3 lines, appended to ``rows``; its totals."""
    alternative_id = len(rows.alternatives) + 1
    totals = []
    for line_rank in range(1, below(bits, MAX_LINES) + 2):
        product_lines = pick(bits, templates)
        line = product_lines[below(bits, MAX_QUANTITY)]
        line_id = len(rows.lines) + 1
        data = (
            f'{{"QuoteAlternativeId": {alternative_id}, {line.head}, "Rank": {line_rank}, {line.tail}, '
            f'"QuoteLineId": {line_id}}}'
        )
        rows.lines.append((line_id, data, stamp, stamp, alternative_id))
        totals.append(line.totals)
    a = alternative_totals({}, totals)  # every total is a float: repr() is what json.dumps writes
    data = (
        f'{{"QuoteVersionId": {version_id}, "Name": "Alternativ {number}", "Status": "Ok", '
        f'"SubTotal": {a["SubTotal"]!r}, "DiscountAmount": {a["DiscountAmount"]!r}, '
        f'"DiscountPercent": {a["DiscountPercent"]!r}, "TotalPrice": {a["TotalPrice"]!r}, "VAT": {a["VAT"]!r}, '
        f'"EarningAmount": {a["EarningAmount"]!r}, "EarningPercent": {a["EarningPercent"]!r}}}'
    )
    rows.alternatives.append((alternative_id, data, stamp, stamp, version_id))
    return a
