"""Quote agent methods on the quote, its versions and their alternatives.

Rule: one quote per sale; the active version is always the latest, and creating a version archives the one
that was active (``State = Archived``, its state kept in ``ArchivedState``, E-qvs). In strict mode
``SaveQuoteAlternative`` stores the carrier as sent and only ``RecalculateQuoteAlternative`` computes totals,
as on a real tenant, where the connector computes them on Recalculate (op:v1QuoteAgent_RecalculateQuoteAlternative).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from sluice.simulators.superoffice.carriers import complete
from sluice.simulators.superoffice.quote_carriers import (
    alternative_carrier,
    quote_entity,
    quote_simple,
    version_carrier,
)
from sluice.simulators.superoffice.quote_math import alternative_totals
from sluice.simulators.superoffice.quote_tree import (
    body_int,
    checked,
    need,
    query_int,
    quote_changed,
    quote_of_alternative,
    recalculate,
)
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.store import Store, utc_now

QUOTE_OWNED = ("QuoteId", "SaleId", "ActiveQuoteVersionId", "ActiveQuoteVersion", "FavoriteQuoteAlternative")
"""Quote fields a save may not set: keys, and what versions decide."""

# --- quote --------------------------------------------------------------------------------------------------


def get_quote_entity_from_sale(store: Store, body: dict[str, Any], request: Request) -> Any:
    rows = store.find("quote", "sale_id = ?", (body_int(body, "SaleId"),))
    return quote_entity(store, rows[0]) if rows else None


def get_quote_from_sale(store: Store, body: dict[str, Any], request: Request) -> Any:
    rows = store.find("quote", "sale_id = ?", (body_int(body, "SaleId"),))
    return quote_simple(store, rows[0]) if rows else None


def get_quote_entity(store: Store, body: dict[str, Any], request: Request) -> Any:
    return quote_entity(store, need(store, "quote", body_int(body, "QuoteId"), "Quote"))


def get_quote(store: Store, body: dict[str, Any], request: Request) -> Any:
    return quote_simple(store, need(store, "quote", body_int(body, "QuoteId"), "Quote"))


def create_and_save_quote(store: Store, body: dict[str, Any], request: Request) -> Any:
    """Quote + version (Rank 1, Draft) + first alternative; at most one quote per sale (409 otherwise)."""
    sale_id = body_int(body, "SaleId")
    need(store, "sale", sale_id, "Sale")
    now = utc_now()
    with store.transaction():
        if store.find("quote", "sale_id = ?", (sale_id,)):
            raise SoError(409, f"Sale {sale_id} already has a quote")
        connection = body.get("ConnectionId") if isinstance(body.get("ConnectionId"), int) else 1
        data = {"QuoteConnectionId": connection, "UseValuesFromQuote": 1}
        quote_id = store.insert("quote", data, now, sale_id=sale_id)
        version_id = _new_version(store, quote_id, now, str(body.get("FirstAlternativeName") or "Alternative 1"))
        store.update("quote", quote_id, {**data, "ActiveQuoteVersionId": version_id}, now)
        quote_changed(store, quote_id, now)
    return quote_entity(store, need(store, "quote", quote_id, "Quote"))


def save_quote(store: Store, body: dict[str, Any], request: Request, *, carrier: str = "Quote") -> Any:
    """``SaveQuote {Quote}`` / ``SaveQuoteEntity {QuoteEntity}``: the quote's own fields (not its versions)."""
    data = checked(carrier, body.get(carrier))
    quote = need(store, "quote", int(data.get("QuoteId") or 0), "Quote")
    for name in (*QUOTE_OWNED, "QuoteVersions"):
        data.pop(name, None)
    now = utc_now()
    with store.transaction():
        store.update("quote", quote.id, {**quote.data, **data}, now)
        quote_changed(store, quote.id, now)
    row = need(store, "quote", quote.id, "Quote")
    return quote_entity(store, row) if carrier == "QuoteEntity" else quote_simple(store, row)


def delete_quote(store: Store, body: dict[str, Any], request: Request) -> Any:
    quote_id = body_int(body, "QuoteId")
    with store.transaction():
        need(store, "quote", quote_id, "Quote")
        for version in store.find("quote_version", "quote_id = ?", (quote_id,)):
            for alt in store.find("quote_alternative", "version_id = ?", (version.id,)):
                store.query("DELETE FROM quote_line WHERE alternative_id = ?", (alt.id,))
                store.delete("quote_alternative", alt.id)
            store.delete("quote_version", version.id)
        store.delete("quote", quote_id)
    return Response(status_code=204)


def sale_has_quote(store: Store, body: dict[str, Any], request: Request) -> Any:
    return bool(store.find("quote", "sale_id = ?", (body_int(body, "SaleId"),)))


# --- versions -----------------------------------------------------------------------------------------------


def _new_version(store: Store, quote_id: int, now: str, first_alternative: str) -> int:
    version_id = store.insert("quote_version", {"State": "Draft", "Status": "Ok", "Rank": 1}, now, quote_id=quote_id)
    alt_id = store.insert(
        "quote_alternative",
        alternative_totals({"Name": first_alternative, "Status": "Ok"}, []),
        now,
        version_id=version_id,
    )
    data = need(store, "quote_version", version_id, "QuoteVersion").data
    store.update("quote_version", version_id, {**data, "LikelyQuoteAlternativeId": alt_id}, now)
    return version_id


def get_versions(store: Store, body: dict[str, Any], request: Request) -> Any:
    quote_id = body_int(body, "QuoteId")
    need(store, "quote", quote_id, "Quote")
    return [version_carrier(store, v) for v in store.find("quote_version", "quote_id = ?", (quote_id,))]


def get_version(store: Store, body: dict[str, Any], request: Request) -> Any:
    return version_carrier(store, need(store, "quote_version", body_int(body, "QuoteVersionId"), "QuoteVersion"))


def create_and_save_version(store: Store, body: dict[str, Any], request: Request) -> Any:
    """A new Draft version (next Rank) copying the given version's alternatives and lines under new ids; it
    becomes active and the version active before it is archived."""
    source = need(store, "quote_version", body_int(body, "QuoteVersionId"), "QuoteVersion")
    quote_id = source.cols["quote_id"]
    now = utc_now()
    with store.transaction():
        quote = need(store, "quote", quote_id, "Quote")
        _archive(store, int(quote.data.get("ActiveQuoteVersionId") or 0), now)
        rank = 1 + max(int(v.data.get("Rank") or 0) for v in store.find("quote_version", "quote_id = ?", (quote_id,)))
        copied = {k: v for k, v in source.data.items() if k not in ("ArchivedState", "LikelyQuoteAlternativeId")}
        version_id = store.insert("quote_version", {**copied, "Rank": rank, "State": "Draft"}, now, quote_id=quote_id)
        likely = int(source.data.get("LikelyQuoteAlternativeId") or 0)
        originals = _alternatives(store, source.id)
        copies = {a.id: _copy_alternative(store, a.id, a.data, version_id, now) for a in originals}
        version = need(store, "quote_version", version_id, "QuoteVersion")
        new_likely = copies.get(likely) or next(iter(copies.values()), 0)
        store.update("quote_version", version_id, {**version.data, "LikelyQuoteAlternativeId": new_likely}, now)
        store.update("quote", quote_id, {**quote.data, "ActiveQuoteVersionId": version_id}, now)
        quote_changed(store, quote_id, now)
    return version_carrier(store, need(store, "quote_version", version_id, "QuoteVersion"))


def _alternatives(store: Store, version_id: int) -> list[Any]:
    return store.find("quote_alternative", "version_id = ?", (version_id,))


def _archive(store: Store, version_id: int, now: str) -> None:
    version = store.get("quote_version", version_id)
    if version is None or version.data.get("State") == "Archived":
        return
    state = version.data.get("State") or "Draft"
    store.update("quote_version", version_id, {**version.data, "State": "Archived", "ArchivedState": state}, now)


def _copy_alternative(store: Store, alt_id: int, data: dict[str, Any], version_id: int, now: str) -> int:
    new_alt = store.insert("quote_alternative", data, now, version_id=version_id)
    for line in store.find("quote_line", "alternative_id = ?", (alt_id,)):
        store.insert("quote_line", {**line.data, "QuoteAlternativeId": new_alt}, now, alternative_id=new_alt)
    return new_alt


def save_version(store: Store, body: dict[str, Any], request: Request) -> Any:
    data = checked("QuoteVersion", body.get("QuoteVersion"))
    version = need(store, "quote_version", int(data.get("QuoteVersionId") or 0), "QuoteVersion")
    for name in ("QuoteVersionId", "QuoteId", "QuoteAlternatives", "Updated", "Registered"):
        data.pop(name, None)
    now = utc_now()
    with store.transaction():
        store.update("quote_version", version.id, {**version.data, **data}, now)
        quote_changed(store, version.cols["quote_id"], now)
    return version_carrier(store, need(store, "quote_version", version.id, "QuoteVersion"))


# --- alternatives -------------------------------------------------------------------------------------------


def get_alternatives(store: Store, body: dict[str, Any], request: Request) -> Any:
    version_id = body_int(body, "QuoteVersionId")
    need(store, "quote_version", version_id, "QuoteVersion")
    return [alternative_carrier(a) for a in _alternatives(store, version_id)]


def get_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    """``GetQuoteAlternative?quoteAlternativeId=``: the id is in the query string only
    (op:v1QuoteAgent_GetQuoteAlternative)."""
    alt_id = query_int(request, "quoteAlternativeId")
    return alternative_carrier(need(store, "quote_alternative", alt_id, "QuoteAlternative"))


def create_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    version_id = body_int(body, "QuoteVersionId")
    version = need(store, "quote_version", version_id, "QuoteVersion")
    data = {"Name": str(body.get("QuoteAlternativeName") or "Alternative"), "Status": "Ok"}
    data["Description"] = str(body.get("QuoteAlternativeDescription") or "")
    now = utc_now()
    with store.transaction():
        alt_id = store.insert("quote_alternative", alternative_totals(data, []), now, version_id=version_id)
        quote_changed(store, version.cols["quote_id"], now)
    return alternative_carrier(need(store, "quote_alternative", alt_id, "QuoteAlternative"))


def create_default_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    return complete("QuoteAlternative", {})


def save_alternative(store: Store, body: Any, request: Request, *, strict: bool = False) -> Any:
    """Body is a bare QuoteAlternative; id 0 creates one in its QuoteVersionId. Totals are recomputed here only
    in lenient mode; strict mode leaves them for ``RecalculateQuoteAlternative``."""
    data = checked("QuoteAlternative", body)
    alt_id = int(data.pop("QuoteAlternativeId", 0) or 0)
    version_id = int(data.pop("QuoteVersionId", 0) or 0)
    now = utc_now()
    with store.transaction():
        if alt_id:
            current = need(store, "quote_alternative", alt_id, "QuoteAlternative")
            store.update("quote_alternative", alt_id, {**current.data, **data}, now)
        else:
            need(store, "quote_version", version_id, "QuoteVersion")
            alt_id = store.insert("quote_alternative", data, now, version_id=version_id)
        if not strict:
            return alternative_carrier(recalculate(store, alt_id, now))
        quote_changed(store, int(quote_of_alternative(store, alt_id) or 0), now)
    return alternative_carrier(need(store, "quote_alternative", alt_id, "QuoteAlternative"))


def delete_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    alt_id = body_int(body, "QuoteAlternativeId")
    now = utc_now()
    with store.transaction():
        need(store, "quote_alternative", alt_id, "QuoteAlternative")
        quote_id = quote_of_alternative(store, alt_id)
        store.query("DELETE FROM quote_line WHERE alternative_id = ?", (alt_id,))
        store.delete("quote_alternative", alt_id)
        if quote_id:
            quote_changed(store, quote_id, now)
    return Response(status_code=204)


def recalculate_alternative(store: Store, body: dict[str, Any], request: Request) -> Any:
    """``RecalculateQuoteAlternative {QuoteAlternative: <id>}`` (the carrier names the int32 id so)."""
    alt_id = body_int(body, "QuoteAlternative")
    with store.transaction():
        need(store, "quote_alternative", alt_id, "QuoteAlternative")
        lines_before = [line.data for line in store.find("quote_line", "alternative_id = ?", (alt_id,))]
        row = recalculate(store, alt_id, utc_now())
        lines_after = [line.data for line in store.find("quote_line", "alternative_id = ?", (alt_id,))]
    return {"QuoteLinesHasChanged": lines_before != lines_after, "ChangedQuoteAlternative": alternative_carrier(row),
            "Changes": None}  # fmt: skip
