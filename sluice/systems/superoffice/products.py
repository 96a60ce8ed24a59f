"""Products and price lists: one price list's products, the price list lookup, assortment, compare-and-set.

Rule: a SuperOffice product belongs to exactly one price list and its carrier has no timestamps, and
``PUT /Product/{id}`` declares no 412; so a write-back re-reads the product and refuses (``PreconditionFailed``)
when a field the caller read has moved since, comparing numbers as numbers (``2.0`` = ``2``). Assortment has
only a toggle, which a retried request could apply twice; ``set_in_assortment`` therefore reads, toggles and
verifies until the product is in the wanted state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sluice.errors import ApiError, ConfigError, NotFoundError, PreconditionFailed

from .entities import PRICELIST, PRODUCT, Entity
from .writes import merge
from .writes import replace as put

if TYPE_CHECKING:
    from .quotes import QuoteAgent
    from .transport import SuperOfficeTransport

ASSORTMENT_ROUNDS = 3


def in_price_list(price_list_id: int) -> Entity:
    """The product entity scoped to one price list: its reads list only that list's products (the full
    scan, the date fallback and ``Archive/Dynamic``, whose table field is ``product.PriceListId``)."""
    key = int(price_list_id)
    return replace(PRODUCT, list_filter=f"priceListId eq {key}", dynamic_filter=f"product.PriceListId eq {key}")


def price_lists(client: SuperOfficeTransport) -> Iterator[dict[str, Any]]:
    """Every price list's carrier (``PriceListWithLinks`` minus noise), by id."""
    yield from client.carriers(PRICELIST, client.iter_ids(PRICELIST))


def find_price_list(client: SuperOfficeTransport, wanted: int | str) -> dict[str, Any]:
    """The one price list named by id, ``ERPPriceListKey``, ``Name`` or ``Currency`` (ISO code).

    ConfigError when none matches, or a currency names several (then the config must name the list)."""
    lists = list(price_lists(client))
    text = str(wanted).strip()
    for field in ("PriceListId", "ERPPriceListKey", "Name"):
        found = [p for p in lists if str(p.get(field) or "").strip().casefold() == text.casefold()]
        if len(found) == 1:
            return found[0]
    by_currency = [p for p in lists if str(p.get("Currency") or "").upper() == text.upper()]
    if len(by_currency) == 1:
        return by_currency[0]
    known = ", ".join(f"{p.get('ERPPriceListKey') or p.get('PriceListId')} ({p.get('Currency')})" for p in lists)
    if by_currency:
        raise ConfigError(f"SuperOffice has {len(by_currency)} price lists in {text}; name one of: {known}")
    raise ConfigError(f"SuperOffice has no price list {text!r}; the tenant has: {known or 'none'}")


def same_value(a: Any, b: Any) -> bool:
    """Equal as the sync means it: numbers (and numeric strings) by value, anything else exactly (a
    boolean is never a number, although Python's ``True == 1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if a == b:
        return True
    left, right = _number(a), _number(b)
    return left is not None and right is not None and left == right


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def moved_fields(current: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    """The fields of ``expected`` whose value in ``current`` differs (``same_value``), in ``expected``'s order."""
    return [name for name, value in expected.items() if not same_value(current.get(name), value)]


def update_if_unchanged(
    client: SuperOfficeTransport, product_id: int, expected: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Re-read the product; refuse with ``PreconditionFailed`` when a field of ``expected`` (what the caller
    read) has moved, else PUT the re-read carrier with ``changes`` overlaid. NotFoundError when it is gone.

    A window remains between the re-read and the PUT (the service offers nothing narrower); it is one
    round trip instead of a whole sync run."""
    current = client.get_carrier(PRODUCT, product_id)
    if current is None:
        raise NotFoundError(f"SuperOffice product {product_id} not found", status=404, method="GET")
    moved = moved_fields(current, expected)
    if moved:
        raise PreconditionFailed(
            f"SuperOffice product {product_id} changed since it was read ({', '.join(moved)}); not overwritten",
            method="PUT",
            url=PRODUCT.carrier_path(product_id),
        )
    return put(client, PRODUCT, merge(current, dict(changes)))


def set_in_assortment(
    client: SuperOfficeTransport, quotes: QuoteAgent, product_id: int, wanted: bool
) -> dict[str, Any]:
    """Bring ``InAssortment`` to ``wanted`` with the toggle, verified by a re-read; the product's carrier."""
    for toggles in range(ASSORTMENT_ROUNDS + 1):
        current = client.get_carrier(PRODUCT, product_id)
        if current is None:
            raise NotFoundError(f"SuperOffice product {product_id} not found", status=404, method="GET")
        if bool(current.get("InAssortment")) is wanted:
            return current
        if toggles == ASSORTMENT_ROUNDS:
            break
        quotes.toggle_product_in_assortment(product_id)
    raise ApiError(f"SuperOffice product {product_id}: InAssortment did not become {wanted} after toggling")
