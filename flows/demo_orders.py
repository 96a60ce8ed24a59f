"""The demo's order edits, made as users make them: a quote line's quantity in the CRM (through the Quote agent),
another line's quantity and an order's status in the shop; and reading each back from the other system.

Rule: like the rest of the demo, only the systems' own APIs; the order edited on both sides is a draft quote's
(a sent or sold version refuses shop line edits), so the CRM edit on one line and the shop edit on another line
of the same order both arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class LineEdit:
    quoteline: int
    sku: str
    before: float
    after: float


@dataclass(frozen=True)
class OrderEdits:
    """What ``edit_orders`` changed, and where to look for it after the next sync."""

    done: list[str]
    order: int  # the shop order whose lines were edited on both sides
    key: str  # its key, ``sale:<SaleId>:<ordinal>``
    crm_line: LineEdit
    shop_line: LineEdit | None  # None while the shop order has no lines (the line flow is off)
    held_sale: int  # the sale whose order the shop put on hold


@dataclass(frozen=True)
class Apis:
    so: requests.Session
    shop: requests.Session
    tenant_url: str
    shop_url: str

    @property
    def agent(self) -> str:
        return f"{self.tenant_url}/api/v1/Agents/Quote"

    def quote(self, method: str, body: dict[str, Any]) -> Any:
        answer = self.so.post(f"{self.agent}/{method}", json=body)
        answer.raise_for_status()
        return answer.json() if answer.content.strip() else None

    def orders(self) -> list[dict[str, Any]]:
        out, cursor = [], None
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = self.shop.get(f"{self.shop_url}/api/v1/orders", params=params).json()
            out += page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return sorted(out, key=order_key)

    def order(self, order_id: int) -> dict[str, Any]:
        return self.shop.get(f"{self.shop_url}/api/v1/orders/{order_id}").json()


def order_key(order: dict[str, Any]) -> tuple[int, int]:
    """``sale:17:2`` (the order's key in ``external_refs``) -> (17, 2); (0, 0) for an order Sluice did not make."""
    key = (order.get("external_refs") or {}).get("superoffice_sale_id") or ""
    parts = key.split(":")
    return (int(parts[1]), int(parts[2])) if len(parts) == 3 else (0, 0)


def _alternative(order: dict[str, Any]) -> int:
    return int((order.get("external_refs") or {}).get("superoffice_quotealternative_id") or 0)


def _quote_lines(apis: Apis, alternative: int) -> list[dict[str, Any]]:
    return sorted(apis.quote("GetQuoteLines", {"QuoteAlternativeId": alternative}) or [], key=lambda x: x["Rank"])


def edit_orders(apis: Apis) -> OrderEdits:
    """On a pending (draft-quote) order with two lines or more: its first line's quantity in the CRM, its second
    line's in the shop; and a one-alternative sale's order put on hold in the shop."""
    orders = apis.orders()
    per_sale: dict[int, int] = {}
    for order in orders:
        per_sale[order_key(order)[0]] = per_sale.get(order_key(order)[0], 0) + 1
    edited, lines = _first(
        ((o, lines) for o in orders if o["status"] == "pending" and _alternative(o)
         for lines in [_quote_lines(apis, _alternative(o))] if len(lines) >= 2),
        "no pending order of a quoted sale with two lines or more (is the order flow on?)",
    )  # fmt: skip
    first = lines[0]
    crm = LineEdit(first["QuoteLineId"], first["Code"], float(first["Quantity"]), float(first["Quantity"]) + 5)
    apis.quote("SaveQuoteLine", {"QuoteLine": {**first, "Quantity": crm.after}})
    apis.quote("RecalculateQuoteAlternative", {"QuoteAlternative": _alternative(edited)})
    done = [f"SuperOffice: order {edited['order_number']}'s quote line {crm.quoteline} ({crm.sku}) quantity "
            f"{crm.before:g} -> {crm.after:g}"]  # fmt: skip
    shop_line = _edit_shop_line(apis, edited, lines[1])
    if shop_line:
        done.append(f"shop: the same order's line {shop_line.sku} quantity {shop_line.before:g} -> {shop_line.after:g}")
    held = _first(
        (o for o in orders
         if o["status"] == "pending" and per_sale[order_key(o)[0]] == 1 and order_key(o)[0] != order_key(edited)[0]),
        "no other pending order of a one-alternative sale",
    )  # fmt: skip
    apis.shop.patch(f"{apis.shop_url}/api/v1/orders/{held['id']}", json={"status": "on_hold"}).raise_for_status()
    done.append(f"shop: order {held['order_number']} status pending -> on_hold (sale {order_key(held)[0]})")
    key = edited["external_refs"]["superoffice_sale_id"]
    return OrderEdits(done, edited["id"], key, crm, shop_line, order_key(held)[0])


def _first(candidates: Iterator[Any], missing: str) -> Any:
    """The first candidate, or a clear error naming what the seeded systems lack (never a bare StopIteration)."""
    for candidate in candidates:
        return candidate
    raise RuntimeError(f"demo order edits: {missing}")


def _edit_shop_line(apis: Apis, order: dict[str, Any], quote_line: dict[str, Any]) -> LineEdit | None:
    """The shop line linked to ``quote_line`` gets 3 more; the order's other lines are sent as they are."""
    ref = str(quote_line["QuoteLineId"])
    target = next((x for x in order["lines"] if (x.get("external_refs") or {}).get("superoffice_quoteline_id") == ref),
                  None)  # fmt: skip
    if target is None:
        return None
    after = float(target["quantity"]) + 3
    body = [{k: v for k, v in x.items() if k != "line_total"} | ({"quantity": f"{after:g}"} if x is target else {})
            for x in order["lines"]]  # fmt: skip
    apis.shop.patch(f"{apis.shop_url}/api/v1/orders/{order['id']}", json={"lines": body}).raise_for_status()
    return LineEdit(quote_line["QuoteLineId"], str(target["sku"]), float(target["quantity"]), after)


def read_back(apis: Apis, edits: OrderEdits) -> list[str]:
    """What a sync made of ``edits``, read from the other system as its user sees it."""
    order = apis.order(edits.order)
    by_ref = {(x.get("external_refs") or {}).get("superoffice_quoteline_id"): x for x in order["lines"]}
    crm = by_ref.get(str(edits.crm_line.quoteline))
    seen = f"{float(crm['quantity']):g}" if crm else "(no lines: the line flow is off)"
    out = [f"shop: order {order['order_number']} line {edits.crm_line.sku} quantity now {seen} "
           f"(edited in the CRM: {edits.crm_line.after:g})"]  # fmt: skip
    if edits.shop_line:
        lines = {x["QuoteLineId"]: x for x in _quote_lines(apis, _alternative(order))}
        line = lines.get(edits.shop_line.quoteline)
        now = f"{float(line['Quantity']):g}" if line else "(gone)"
        out.append(f"SuperOffice: quote line {edits.shop_line.quoteline} ({edits.shop_line.sku}) quantity now {now} "
                   f"(edited in the shop: {edits.shop_line.after:g})")  # fmt: skip
    status = apis.so.get(f"{apis.tenant_url}/api/v1/Sale/{edits.held_sale}").json()["Status"]
    out.append(f"SuperOffice: sale {edits.held_sale} Status now {status!r} (shop: on_hold)")
    return out
