"""SuperOffice Quoteline ↔ Customwebshop order line: the lines of the orders the Sale + Quotealternative ↔ Order
flow syncs, as records of their own (linked QuoteLineId ↔ shop line id, agreed state per line).

Rule: the identity, the mapping and the directions live in ``superoffice.sql`` beside this file; this module
holds what SQL cannot: the match key (the line's key stamped in the shop's ``external_refs`` and, for a line born
in the shop, in SuperOffice's ``ERPQuoteLineKey``), which fields a shop edit writes back (quantity, unit price,
discount: the Quote agent's ``SaveQuoteLine`` then ``RecalculateQuoteAlternative``), and the two sinks that send a
run's line changes parent by parent (``sluice/sync/line_sinks.py``). A line added in the shop is created in
SuperOffice (``born_in_b``), a line removed in the shop deletes its quote line (``delete_in_a``), a line gone in
SuperOffice is removed from its order.

Why lines are their own flow and not a list field of the order: a list compared whole would make a CRM edit on one
line and a shop edit on another line of the same order a conflict that one side loses; line by line, both survive.
Why an order is created bare and its lines PATCHed in the same run (and not POSTed with its lines): the order
flow commits its link first, then this flow adds the lines with their own keys and links; a retry of either step
is idempotent on its own key (the order's idempotency key and ``superoffice_order_key``, the line's
``external_refs``), at the price of one more request per new order.
"""

from __future__ import annotations

from typing import Any

from sluice.datasets import DatasetStore
from sluice.sync.dataflow import Dataflow, Declaration, MatchKey
from sluice.sync.line_sinks import OrderLinesSink, QuoteLinesSink

CARRIER = {
    "quantity": "Quantity",
    "unit_price": "UnitListPrice",
    "discount_percent": "DiscountPercent",
    "sku": "Code",
    "name": "Name",
    "vat_rate": "VAT",
    "position": "Rank",
}
"""A line field (the shop's name) -> its ``QuoteLine`` carrier field: the write-back and a shop-added line's values."""
WRITTEN_BACK = ("quantity", "unit_price", "discount_percent")


def _setter(carrier_field: str) -> Any:
    def setter(carrier: dict[str, Any], value: Any) -> None:
        carrier[carrier_field] = float(value)

    return setter


def quote_lines(flow: Dataflow, client: Any, store: DatasetStore, settings: Any) -> QuoteLinesSink:
    return QuoteLinesSink(client, store, a_dataset=flow.a_dataset, b_dataset=flow.b_dataset, carrier_fields=CARRIER,
                          concurrency=settings.concurrency)  # fmt: skip


def order_lines(flow: Dataflow, client: Any, store: DatasetStore, settings: Any) -> OrderLinesSink:
    return OrderLinesSink(client, store, a_dataset=flow.a_dataset, b_dataset=flow.b_dataset,
                          orders_dataset="customwebshop_order", product_link="link_product_product",
                          concurrency=settings.concurrency)  # fmt: skip


FLOW = Declaration(
    a="superoffice.quote",
    b="customwebshop.orders",
    match_keys=(MatchKey("external_refs.superoffice_quoteline_id", casefold=False),),
    setters={name: _setter(CARRIER[name]) for name in WRITTEN_BACK},
    deactivate_fields={"removed": True},
    reactivate_fields={},
    born_in_b="cws:",
    delete_in_a=True,
    sink_a=quote_lines,
    sink_b=order_lines,
    enabled=False,
    examples={"quantity": 3, "unit_price": 120.5, "discount_percent": 10},
)
