"""SuperOffice Product ↔ Customwebshop Product: the flow's declaration, its price list and the setters that
write shop-side edits back into a SuperOffice ``Product`` carrier.

Rule: the mapping and the fields' directions live in ``superoffice.sql`` beside this file; this module holds
what SQL cannot: which price list the flow syncs (``scope``), the match key and one setter per field going
back. A product carrier has no timestamps and its PUT declares no 412, so ``guard`` names the carrier fields
the sink re-reads and compares before writing: a product edited in SuperOffice since the pull is never
overwritten (a reported conflict, retried by the next run). Creation goes from SuperOffice to the shop only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sluice.datasets import DatasetStore
from sluice.errors import ConfigError, PermanentError
from sluice.sync.dataflow import Declaration, MatchKey, apply_setters
from sluice.sync.pull import set_aside, unread_error

Setter = Callable[[dict[str, Any], Any], None]


def _text(key: str) -> Setter:
    def setter(carrier: dict[str, Any], value: Any) -> None:
        carrier[key] = "" if value is None else str(value)

    return setter


def _number(key: str) -> Setter:
    """SuperOffice keeps doubles; the shop's decimals arrive as ``Decimal`` or text."""

    def setter(carrier: dict[str, Any], value: Any) -> None:
        if value is None or str(value).strip() == "":
            raise PermanentError(f"SuperOffice keeps a number in {key}: it cannot be emptied from the shop")
        try:
            carrier[key] = float(Decimal(str(value).strip()))
        except InvalidOperation:
            raise PermanentError(f"{key}: {value!r} is not a number") from None

    return setter


SETTERS: dict[str, Setter] = {
    "sku": _text("Code"),
    "name": _text("Name"),
    "description": _text("Description"),
    "price": _number("UnitListPrice"),
    "cost": _number("UnitCost"),
    "vat_rate": _number("VAT"),
    "unit": _text("QuantityUnit"),
    "category": _text("ProductCategoryKey"),
    "stock_quantity": _number("InStock"),
    "url": _text("Url"),
}

GUARD = (
    "Code", "Name", "Description", "UnitListPrice", "UnitCost", "VAT", "QuantityUnit", "ProductCategoryKey",
    "InStock", "Url", "InAssortment", "ERPPriceListKey",
)  # fmt: skip
"""Every carrier field the pipe maps: compared with the pulled product before a write-back."""


def apply_to_product(carrier: dict[str, Any], changes: dict[str, Any], lookups: Any) -> dict[str, Any]:
    """A copy of a ``Product`` carrier with the shop-side changes written into it."""
    return apply_setters(carrier, changes, SETTERS)


def price_list(store: DatasetStore, settings: Mapping[str, Any]) -> str:
    """The ``ERPPriceListKey`` the flow syncs: the list ``price_list`` names (id, ERP key, name or currency),
    else the one in the shop's currency (the currency its products carry)."""
    lists = store.current_arrow("superoffice_pricelist").to_pylist() if store.exists("superoffice_pricelist") else []
    lists.sort(key=lambda p: int(p.get("PriceListId") or 0))
    known = ", ".join(f"{p.get('ERPPriceListKey')} ({p.get('Currency')})" for p in lists) or "none"
    wanted = settings.get("price_list")
    if wanted is None:
        wanted = _shop_currency(store)
        if wanted is None:
            raise ConfigError(
                "flow product_product: the shop has no products to tell its currency; set [flows.product_product] "
                f"price_list (the tenant has: {known})"
            )
    text = str(wanted).strip().casefold()
    for field in ("PriceListId", "ERPPriceListKey", "Name", "Currency"):
        found = [p for p in lists if str(p.get(field) or "").strip().casefold() == text]
        if len(found) == 1:
            return str(found[0]["ERPPriceListKey"])
        if len(found) > 1:
            raise ConfigError(f"flow product_product: {len(found)} price lists match {wanted!r}; name one of: {known}")
    if unread := set_aside(store, "superoffice_pricelist"):  # not missing: its read failed (faults)
        raise unread_error("superoffice_pricelist", unread, f"flow product_product: price list {wanted!r}")
    raise ConfigError(f"flow product_product: SuperOffice has no price list {wanted!r}; the tenant has: {known}")


def _shop_currency(store: DatasetStore) -> str | None:
    if not store.exists("customwebshop_product"):
        return None
    rows = store.current("customwebshop_product").query("p", "SELECT to_json(p)->>'currency' AS c FROM p").fetchall()
    counts = Counter(str(c).upper() for (c,) in rows if c)
    return counts.most_common(1)[0][0] if counts else None


FLOW = Declaration(
    a="superoffice.product",
    b="customwebshop.products",
    match_keys=(MatchKey("sku", casefold=False),),
    setters=SETTERS,
    write_back=apply_to_product,
    deactivate_fields={"active": False},
    options={"price_list": None},
    enabled=False,  # runs once [flows.product_product] enabled = true (after choosing the price list)
    scope=price_list,
    guard=GUARD,
)
