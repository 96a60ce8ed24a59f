"""The schemas of the datasets a SuperOffice pull writes, declared so pipes plan before the first pull.

Rule: each schema lists the carrier fields (PascalCase, nested as the carrier nests them) that pipes and
the sync read, typed as a pull writes them; a test pulls from the simulator and compares, so the two
cannot drift. A carrier has more fields than these: a pull keeps them all, a declaration need not.
"""

from __future__ import annotations

import pyarrow as pa

_TEXT = pa.string()
_ITEM = pa.struct([("Value", _TEXT), ("StrippedValue", _TEXT), ("Description", _TEXT)])
"""One e-mail, phone or URL of a contact (``Emails``, ``Phones``, ``Urls`` are lists of these)."""
_ADDRESS_LINE = pa.struct(
    [("Address1", _TEXT), ("Address2", _TEXT), ("Address3", _TEXT), ("City", _TEXT), ("Zipcode", _TEXT)]
)

CONTACT_SCHEMA = pa.schema(
    [
        ("ContactId", pa.int64()),
        ("Name", _TEXT),
        ("Department", _TEXT),
        ("OrgNr", _TEXT),
        ("Description", _TEXT),
        ("UpdatedDate", _TEXT),  # as the carrier writes it; pipes cast it
        ("Deleted", pa.int64()),  # non-zero: soft-deleted
        ("NoMailing", pa.bool_()),
        ("Emails", pa.list_(_ITEM)),
        ("Phones", pa.list_(_ITEM)),
        ("Urls", pa.list_(_ITEM)),
        ("Address", pa.struct([("Street", _ADDRESS_LINE), ("Postal", _ADDRESS_LINE)])),
        ("Country", pa.struct([("CountryId", pa.int64()), ("Name", _TEXT), ("TwoLetterISOCountry", _TEXT)])),
        ("Category", pa.struct([("Id", pa.int64()), ("Value", _TEXT)])),
    ]
)
"""``superoffice_contact``: the ContactEntity carrier of the ``CONTACT`` entity."""

PRODUCT_SCHEMA = pa.schema(
    [
        ("ProductId", pa.int64()),
        ("ERPProductKey", _TEXT),
        ("ERPPriceListKey", _TEXT),
        ("Code", _TEXT),
        ("Name", _TEXT),
        ("Description", _TEXT),
        ("QuantityUnit", _TEXT),
        ("ProductCategoryKey", _TEXT),
        ("Url", _TEXT),
        ("UnitListPrice", pa.float64()),
        ("UnitCost", pa.float64()),
        ("VAT", pa.float64()),  # a percentage
        ("InStock", pa.float64()),
        ("InAssortment", pa.bool_()),
    ]
)
"""``superoffice_product``: the Product carrier of the ``PRODUCT`` entity (no timestamps)."""

PRICELIST_SCHEMA = pa.schema(
    [("PriceListId", pa.int64()), ("ERPPriceListKey", _TEXT), ("Name", _TEXT), ("Currency", _TEXT)]
)
"""``superoffice_pricelist``: the PriceList carrier (``Currency`` is its ISO code)."""

SALE_SCHEMA = pa.schema(
    [
        ("SaleId", pa.int64()),
        ("Heading", _TEXT),
        ("Number", _TEXT),
        ("Status", _TEXT),  # Open, Sold, Lost, Stalled (Unknown)
        ("Saledate", _TEXT),
        ("Amount", pa.float64()),
        ("UpdatedDate", _TEXT),
        ("Contact", pa.struct([("ContactId", pa.int64()), ("Name", _TEXT)])),  # ContactId 0: no contact
        ("Currency", pa.struct([("Id", pa.int64()), ("Value", _TEXT)])),
    ]
)
"""``superoffice_sale``: the SaleEntity carrier of the ``SALE`` entity (``Associate`` is often null, so not declared:
the order pipe reads it through JSON)."""

_ALTERNATIVE = pa.struct(
    [("QuoteAlternativeId", pa.int64()), ("Name", _TEXT), ("Description", _TEXT), ("DiscountPercent", pa.float64()),
     ("DiscountAmount", pa.float64()), ("VAT", pa.float64()), ("SubTotal", pa.float64()),
     ("TotalPrice", pa.float64())]
)  # fmt: skip
_LINE = pa.struct(
    [("QuoteLineId", pa.int64()), ("QuoteAlternativeId", pa.int64()), ("ERPProductKey", _TEXT),
     ("ERPQuoteLineKey", _TEXT), ("Code", _TEXT), ("Name", _TEXT), ("Quantity", pa.float64()),
     ("UnitListPrice", pa.float64()), ("DiscountPercent", pa.float64()), ("VAT", pa.float64()),
     ("TotalPrice", pa.float64()), ("Rank", pa.int64())]
)  # fmt: skip
QUOTE_SCHEMA = pa.schema(
    [
        ("SaleId", pa.int64()),
        ("QuoteId", pa.int64()),
        ("ActiveQuoteVersionId", pa.int64()),
        ("VersionState", _TEXT),  # the active version's QuoteVersionState (Draft..., Sent, Sold, ...)
        ("FavoriteQuoteAlternativeId", pa.int64()),
        ("Alternatives", pa.list_(_ALTERNATIVE)),  # the active version's, by id (the ordinal's order)
        ("Lines", pa.list_(_LINE)),  # the lines of those alternatives
    ]
)
"""``superoffice_quote``: one row per sale with a quote, its active version read whole (``quote_rows.py``)."""

DATASET_SCHEMAS: dict[str, pa.Schema] = {
    "superoffice_contact": CONTACT_SCHEMA,
    "superoffice_sale": SALE_SCHEMA,
    "superoffice_quote": QUOTE_SCHEMA,
    "superoffice_product": PRODUCT_SCHEMA,
    "superoffice_pricelist": PRICELIST_SCHEMA,
}
"""Declared schema of each dataset a SuperOffice pull writes, by dataset name."""
