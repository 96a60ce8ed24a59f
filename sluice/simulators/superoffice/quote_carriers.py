"""Quote carriers going out: QuoteEntity, Quote, QuoteVersion, QuoteAlternative, QuoteLine and Product.

Rule: ids, foreign keys and the version's Updated/Registered come from the row columns, never from stored data.
"""

from __future__ import annotations

from typing import Any

from sluice.simulators.superoffice.carriers import complete
from sluice.simulators.superoffice.quote_tree import favorite_alternative
from sluice.simulators.superoffice.store import Row, Store, carrier_date


def line_carrier(row: Row) -> dict[str, Any]:
    return {**complete("QuoteLine", row.data), "QuoteLineId": row.id, "QuoteAlternativeId": row.cols["alternative_id"]}


def alternative_carrier(row: Row) -> dict[str, Any]:
    carrier = complete("QuoteAlternative", row.data)
    return {**carrier, "QuoteAlternativeId": row.id, "QuoteVersionId": row.cols["version_id"]}


def version_carrier(store: Store, row: Row) -> dict[str, Any]:
    carrier = complete("QuoteVersion", row.data)
    alternatives = store.find("quote_alternative", "version_id = ?", (row.id,))
    carrier.update(
        QuoteVersionId=row.id,
        QuoteId=row.cols["quote_id"],
        Updated=carrier_date(row.updated),
        Registered=carrier_date(row.registered),
        QuoteAlternatives=[alternative_carrier(a) for a in alternatives],
    )
    return carrier


def quote_entity(store: Store, row: Row) -> dict[str, Any]:
    carrier = complete("QuoteEntity", row.data)
    versions = store.find("quote_version", "quote_id = ?", (row.id,))
    carrier.update(
        QuoteId=row.id, SaleId=row.cols["sale_id"], QuoteVersions=[version_carrier(store, v) for v in versions]
    )
    return carrier


def quote_simple(store: Store, row: Row) -> dict[str, Any]:
    carrier = complete("Quote", row.data)
    carrier.update(QuoteId=row.id, SaleId=row.cols["sale_id"])
    active = store.get("quote_version", int(row.data.get("ActiveQuoteVersionId") or 0))
    if active is not None:
        carrier["ActiveQuoteVersion"] = version_carrier(store, active)
        favorite = favorite_alternative(store, row)
        carrier["FavoriteQuoteAlternative"] = alternative_carrier(favorite) if favorite is not None else None
    return carrier


def product_carrier(row: Row) -> dict[str, Any]:
    return {**complete("Product", row.data), "ProductId": row.id}
