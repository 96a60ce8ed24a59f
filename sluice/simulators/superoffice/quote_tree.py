"""What every Quote agent method shares: request ids, row lookups, the recalculation and what flows up to the Sale.

Rule: an id comes from where the spec puts it (the JSON body for most methods, the query string for
``GetQuoteAlternative`` and ``DeleteProduct``) and from nowhere else, so a client that sends it in the
wrong place fails here as it would on a real tenant. Any change to a quote's tree bumps the quote's
``updated``; with ``UseValuesFromQuote = 1`` the favourite alternative's totals become the Sale's Amount
and Earning (T-q, W-quote).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from sluice.simulators.superoffice.carriers import BodyError, check
from sluice.simulators.superoffice.quote_math import alternative_totals, line_totals
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.store import Row, Store

SALE_VALUES = (("Amount", "TotalPrice"), ("Earning", "EarningAmount"), ("EarningPercent", "EarningPercent"))
"""Sale field <- favourite alternative field, when the quote's ``UseValuesFromQuote`` is 1."""


def body_int(body: dict[str, Any], name: str) -> int:
    """An integer member of the request carrier (the JSON body)."""
    raw = body.get(name)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise SoError(400, f"{name} must be an integer in the request body")
    return raw


def query_int(request: Request, name: str) -> int:
    """An integer query-string parameter (matched case-insensitively, as the service binds them)."""
    raw = next((v for k, v in request.query_params.items() if k.lower() == name.lower()), None)
    if raw is None or not raw.lstrip("-").isdigit():
        raise SoError(400, f"{name} must be an integer in the query string")
    return int(raw)


def need(store: Store, table: str, entity_id: int, what: str) -> Row:
    row = store.get(table, entity_id)
    if row is None:
        raise SoError(404, f"{what} id {entity_id} not found")
    return row


def checked(name: str, body: Any) -> dict[str, Any]:
    try:
        return check(name, body)
    except BodyError as exc:
        raise SoError(400, str(exc)) from exc


def quote_of_alternative(store: Store, alternative_id: int) -> int | None:
    rows = store.query(
        "SELECT v.quote_id FROM quote_alternative a JOIN quote_version v ON v.id = a.version_id WHERE a.id = ?",
        (alternative_id,),
    )
    return rows[0][0] if rows else None


def recalculate(store: Store, alternative_id: int, now: str) -> Row:
    """What the connector does on ``RecalculateQuoteAlternative``: every line and the alternative recomputed.
    Rows whose figures already hold are not rewritten, so a recalculation that changes nothing moves no
    ``updated`` (an idle sync must not see its own Recalculate as an edit)."""
    changed, lines = False, []
    for line in store.find("quote_line", "alternative_id = ?", (alternative_id,)):
        computed = line_totals(line.data)
        if computed != line.data:
            store.update("quote_line", line.id, computed, now)
            changed = True
        lines.append(computed)
    alternative = need(store, "quote_alternative", alternative_id, "QuoteAlternative")
    computed = alternative_totals(alternative.data, lines)
    if computed != alternative.data:
        store.update("quote_alternative", alternative_id, computed, now)
        changed = True
    quote_id = quote_of_alternative(store, alternative_id)
    if quote_id and changed:
        quote_changed(store, quote_id, now)
    elif quote_id:
        copy_to_sale(store, quote_id, now)
    return need(store, "quote_alternative", alternative_id, "QuoteAlternative")


def favorite_alternative(store: Store, quote: Row) -> Row | None:
    """The accepted alternative, else the active version's likely one, else its first one."""
    accepted = store.get("quote_alternative", int(quote.data.get("AcceptedQuoteAlternativeId") or 0))
    if accepted is not None:
        return accepted
    active = int(quote.data.get("ActiveQuoteVersionId") or 0)
    alternatives = store.find("quote_alternative", "version_id = ?", (active,))
    version = store.get("quote_version", active)
    likely = int(version.data.get("LikelyQuoteAlternativeId") or 0) if version else 0
    return next((a for a in alternatives if a.id == likely), alternatives[0] if alternatives else None)


def quote_changed(store: Store, quote_id: int, now: str) -> None:
    """Bump the quote's ``updated`` (its tree changed) and keep the Sale's values (``copy_to_sale``)."""
    store.touch("quote", quote_id, now)
    copy_to_sale(store, quote_id, now)


def copy_to_sale(store: Store, quote_id: int, now: str) -> None:
    """With ``UseValuesFromQuote = 1``, the favourite's totals become the Sale's Amount and Earning (the sale's
    ``updated`` moves only when a value did)."""
    quote = store.get("quote", quote_id)
    if quote is None or int(quote.data.get("UseValuesFromQuote") or 0) != 1:
        return
    sale = store.get("sale", int(quote.cols["sale_id"]))
    favorite = favorite_alternative(store, quote)
    if sale is None or favorite is None:
        return
    values = {field: float(favorite.data.get(source) or 0.0) for field, source in SALE_VALUES}
    if any(sale.data.get(field) != value for field, value in values.items()):
        store.update("sale", sale.id, {**sale.data, **values}, now)


def product_by_key(store: Store, key: str) -> Row:
    rows = store.find("product", "erp_key = ?", (key,))
    if not rows:
        raise SoError(404, f"Product with ERPProductKey {key!r} not found")
    return rows[0]
