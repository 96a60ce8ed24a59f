"""The schemas of the datasets a Customwebshop pull writes, declared so pipes plan before the first pull.

Rule: each schema is the resource as the shop's API documents it (its ``/openapi.json``), typed as
a pull writes it, tombstone fields included; a test pulls from the simulator and compares, so the two
cannot drift. A young dataset may lack columns nobody set yet; a declaration lists them all.
"""

from __future__ import annotations

import pyarrow as pa

_TEXT = pa.string()
_ADDRESS = pa.struct(
    [("line1", _TEXT), ("line2", _TEXT), ("postal_code", _TEXT), ("city", _TEXT), ("country_code", _TEXT)]
)

CUSTOMER_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("company_name", _TEXT),
        ("organization_number", _TEXT),
        ("department", _TEXT),
        ("email", _TEXT),
        ("phone", _TEXT),
        ("website", _TEXT),
        ("billing_address", _ADDRESS),
        ("shipping_address", _ADDRESS),
        ("customer_group", _TEXT),
        ("accepts_marketing", pa.bool_()),
        ("note", _TEXT),
        ("active", pa.bool_()),
        ("external_refs", pa.struct([("superoffice_contact_id", _TEXT)])),  # the refs Sluice sets
        ("version", pa.int64()),
        ("created_at", _TEXT),  # RFC 3339, as the shop writes it
        ("updated_at", _TEXT),
        ("deleted", pa.bool_()),  # tombstones only: {"id", "deleted", "deleted_at", "updated_at"}
        ("deleted_at", _TEXT),
    ]
)
"""``customwebshop_customer``: the ``customers`` resource."""

PRODUCT_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("sku", _TEXT),
        ("name", _TEXT),
        ("description", _TEXT),
        ("price", _TEXT),  # decimals are kept as written ("2"), pipes cast them
        ("cost", _TEXT),
        ("vat_rate", _TEXT),
        ("currency", _TEXT),
        ("unit", _TEXT),
        ("category", _TEXT),
        ("stock_quantity", _TEXT),
        ("url", _TEXT),
        ("active", pa.bool_()),
        ("external_refs", pa.struct([("superoffice_product_id", _TEXT)])),  # the refs Sluice sets
        ("version", pa.int64()),
        ("created_at", _TEXT),
        ("updated_at", _TEXT),
        ("deleted", pa.bool_()),
        ("deleted_at", _TEXT),
    ]
)
"""``customwebshop_product``: the ``products`` resource."""

_ORDER_LINE = pa.struct(
    [("id", pa.int64()), ("product_id", pa.int64()), ("sku", _TEXT), ("name", _TEXT), ("quantity", _TEXT),
     ("unit_price", _TEXT), ("discount_percent", _TEXT), ("vat_rate", _TEXT), ("line_total", _TEXT),
     ("position", pa.int64()), ("external_refs", pa.struct([("superoffice_quoteline_id", _TEXT)]))]
)  # fmt: skip
_ORDER_REFS = pa.struct([("superoffice_sale_id", _TEXT), ("superoffice_quotealternative_id", _TEXT)])
"""The refs Sluice sets on an order."""
ORDER_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("order_number", _TEXT),
        ("customer_id", pa.int64()),
        ("status", _TEXT),  # pending, confirmed, on_hold, cancelled, completed
        ("title", _TEXT),
        ("order_date", _TEXT),
        ("currency", _TEXT),
        ("sales_rep", _TEXT),
        ("subtotal", _TEXT),  # decimals as written; computed from the lines when there are lines
        ("discount_percent", _TEXT),
        ("discount_amount", _TEXT),
        ("vat_amount", _TEXT),
        ("total", _TEXT),
        ("note", _TEXT),
        ("lines", pa.list_(_ORDER_LINE)),
        ("external_refs", _ORDER_REFS),
        ("version", pa.int64()),
        ("created_at", _TEXT),
        ("updated_at", _TEXT),
        ("deleted", pa.bool_()),
        ("deleted_at", _TEXT),
    ]
)
"""``customwebshop_order``: the ``orders`` resource."""

DATASET_SCHEMAS: dict[str, pa.Schema] = {
    "customwebshop_customer": CUSTOMER_SCHEMA,
    "customwebshop_product": PRODUCT_SCHEMA,
    "customwebshop_order": ORDER_SCHEMA,
}
"""Declared schema of each dataset a Customwebshop pull writes, by dataset name."""
