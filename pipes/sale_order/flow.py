"""SuperOffice Sale + Quotealternative ↔ Customwebshop Order: the order header flow's declaration and the
setters that write shop-side edits back into a SuperOffice ``SaleEntity``.

Rule: the identity (one order per alternative of the active quote version, ``sale:<SaleId>:<ordinal>``), the
mapping and the fields' directions live in ``superoffice.sql`` beside this file; this module holds what SQL
cannot: the status vocabulary going back, the ``orders_for`` option and the write-back. Only the status and
the title go back, as a Sale PATCH of the changed fields guarded by ``If-Unmodified-Since`` (never
``PlaceOrder``); orders are created from SuperOffice to the shop only. An order whose contact is not linked
waits (``sync_waiting``) and is never dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sluice.datasets import DatasetStore
from sluice.errors import ConfigError, PermanentError
from sluice.sync.dataflow import Declaration, MatchKey, apply_setters

Setter = Callable[[dict[str, Any], Any], None]

SALE_STATUS = {"pending": "Open", "confirmed": "Sold", "completed": "Sold", "on_hold": "Stalled", "cancelled": "Lost"}
"""A shop order status in SuperOffice's ``SaleStatus`` vocabulary (the pipes compare in it)."""
ORDERS_FOR = ("all_alternatives", "favorite")


def _status(carrier: dict[str, Any], value: Any) -> None:
    if value not in SALE_STATUS:
        raise PermanentError(f"no SuperOffice sale status for the shop status {value!r}")
    carrier["Status"] = SALE_STATUS[value]


def _heading(carrier: dict[str, Any], value: Any) -> None:
    carrier["Heading"] = "" if value is None else str(value)


SETTERS: dict[str, Setter] = {"status": _status, "title": _heading}


def apply_to_sale(carrier: dict[str, Any], changes: dict[str, Any], lookups: Any) -> dict[str, Any]:
    """A copy of a ``SaleEntity`` carrier with the shop-side changes written into it."""
    return apply_setters(carrier, changes, SETTERS)


def sale_key(a_id: str) -> int:
    """``sale:17:2`` -> 17: the sale an order's write-back goes to."""
    parts = str(a_id).split(":")
    if len(parts) != 3 or parts[0] != "sale" or not parts[1].isdigit():
        raise PermanentError(f"{a_id!r} is not an order key (sale:<SaleId>:<ordinal>)")
    return int(parts[1])


def orders_for(store: DatasetStore, settings: Mapping[str, Any]) -> str | None:
    """``favorite``: only the favourite alternative's order (the pipe's ``sync_scope``); all of them: no scope."""
    wanted = settings.get("orders_for", "all_alternatives")
    if wanted not in ORDERS_FOR:
        raise ConfigError(f"sluice.toml [flows.sale_order] orders_for = {wanted!r}; known: {', '.join(ORDERS_FOR)}")
    return "favorite" if wanted == "favorite" else None


FLOW = Declaration(
    a="superoffice.sale",
    b="customwebshop.orders",
    match_keys=(MatchKey("order_number", casefold=False),),
    setters=SETTERS,
    write_back=apply_to_sale,
    deactivate_fields={"status": "cancelled"},
    options={"orders_for": "all_alternatives"},
    enabled=False,  # runs once [flows.sale_order] enabled = true
    scope=orders_for,
    examples={"status": "on_hold"},
    a_key=sale_key,
    patch=True,
)
