"""The shop's wire shapes as pydantic models: what ``/openapi.json`` publishes and what writes are checked against.

Rule: money, quantities and rates are decimal strings (``DECIMAL_PATTERN``), never floats; every writable
field is nullable (a JSON merge patch sets a field to ``null`` to clear it) and unknown fields are refused.
Write models (``*Write``) describe request bodies; read models (``*Record``) describe responses.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DECIMAL_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
DecimalStr = Annotated[str, Field(pattern=DECIMAL_PATTERN, description="A decimal number as a string, e.g. `1249.50`")]
Text = Annotated[str, Field(max_length=2000)]
ShortText = Annotated[str, Field(max_length=255)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Url = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")]
ExternalRefs = dict[Annotated[str, Field(min_length=1, max_length=100)], Annotated[str, Field(max_length=255)] | None]
Timestamp = Annotated[
    str, Field(description="RFC 3339 in UTC with microseconds", examples=["2026-11-26T07:00:00.123456Z"])
]
OrderStatus = Literal["pending", "confirmed", "on_hold", "cancelled", "completed"]


class _Write(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Address(_Write):
    line1: ShortText | None = None
    line2: ShortText | None = None
    postal_code: ShortText | None = None
    city: ShortText | None = None
    country_code: CountryCode | None = None


class CustomerWrite(_Write):
    """A customer body: required fields are checked after a merge patch is applied."""

    company_name: ShortText | None = Field(None, description="Required on create; may not be cleared")
    organization_number: ShortText | None = None
    department: ShortText | None = None
    email: Email | None = Field(None, description="Unique (case-insensitive) among active customers")
    phone: ShortText | None = None
    website: Url | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    customer_group: ShortText | None = None
    accepts_marketing: bool | None = None
    note: Text | None = None
    active: bool | None = None
    external_refs: ExternalRefs | None = None


class ProductWrite(_Write):
    sku: ShortText | None = Field(None, description="Required on create; unique")
    name: ShortText | None = Field(None, description="Required on create")
    description: Text | None = None
    price: DecimalStr | None = Field(None, description="Unit price excluding VAT")
    cost: DecimalStr | None = None
    vat_rate: DecimalStr | None = Field(None, description="Percent, e.g. `25.00`")
    currency: Currency | None = None
    unit: ShortText | None = None
    category: ShortText | None = None
    stock_quantity: DecimalStr | None = None
    url: Url | None = None
    active: bool | None = None
    external_refs: ExternalRefs | None = None


class OrderLineWrite(_Write):
    """A line: with the ``id`` of a stored line it is merged into that line (fields it leaves out, ``external_refs``
    included, keep their stored values); ``sku``, ``name``, ``unit_price`` and ``vat_rate`` default to the
    product's when ``product_id`` is given (or changed)."""

    id: int | None = Field(None, ge=1, le=2**53)
    product_id: int | None = Field(None, ge=1, le=2**53)
    sku: ShortText | None = None
    name: ShortText | None = None
    quantity: DecimalStr | None = Field(None, description="Required")
    unit_price: DecimalStr | None = Field(None, description="Required unless the product has a price")
    discount_percent: DecimalStr | None = None
    vat_rate: DecimalStr | None = None
    position: int | None = Field(None, ge=0, le=2**31)
    external_refs: ExternalRefs | None = None


class OrderWrite(_Write):
    order_number: ShortText | None = Field(None, description="Unique")
    customer_id: int | None = Field(None, ge=1, le=2**53, description="Required; an existing customer")
    status: OrderStatus | None = None
    title: ShortText | None = None
    order_date: date | None = None
    currency: Currency | None = None
    sales_rep: ShortText | None = None
    subtotal: DecimalStr | None = Field(None, description="Computed from the lines when there are lines")
    discount_percent: DecimalStr | None = None
    discount_amount: DecimalStr | None = None
    vat_amount: DecimalStr | None = Field(None, description="Computed from the lines when there are lines")
    total: DecimalStr | None = Field(None, description="Computed from the lines when there are lines")
    note: Text | None = None
    lines: list[OrderLineWrite] | None = Field(
        None,
        max_length=500,
        description="The whole new list: an element with a stored line's id merges into it, one without id is a "
        "new line, a stored line not named is removed",
    )
    external_refs: ExternalRefs | None = None


WRITE_MODELS: dict[str, type[_Write]] = {"customers": CustomerWrite, "products": ProductWrite, "orders": OrderWrite}
REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": ("company_name",),
    "products": ("sku", "name"),
    "orders": ("customer_id",),
}


# -- responses ---------------------------------------------------------------------------------


class _Meta(BaseModel):
    id: int
    version: int
    created_at: Timestamp
    updated_at: Timestamp
    external_refs: dict[str, str]


class AddressRecord(BaseModel):
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_code: str | None = None


class CustomerRecord(_Meta):
    company_name: str
    organization_number: str | None
    department: str | None
    email: str | None
    phone: str | None
    website: str | None
    billing_address: AddressRecord | None
    shipping_address: AddressRecord | None
    customer_group: str | None
    accepts_marketing: bool | None
    note: str | None
    active: bool | None


class ProductRecord(_Meta):
    sku: str
    name: str
    description: str | None
    price: DecimalStr | None
    cost: DecimalStr | None
    vat_rate: DecimalStr | None
    currency: str | None
    unit: str | None
    category: str | None
    stock_quantity: DecimalStr | None
    url: str | None
    active: bool | None


class OrderLineRecord(BaseModel):
    id: int
    product_id: int | None
    sku: str | None
    name: str | None
    quantity: DecimalStr
    unit_price: DecimalStr
    discount_percent: DecimalStr
    vat_rate: DecimalStr
    line_total: DecimalStr
    position: int
    external_refs: dict[str, str]


class OrderRecord(_Meta):
    order_number: str | None
    customer_id: int
    status: OrderStatus
    title: str | None
    order_date: str | None = Field(description="YYYY-MM-DD")
    currency: str | None
    sales_rep: str | None
    subtotal: DecimalStr | None
    discount_percent: DecimalStr | None
    discount_amount: DecimalStr | None
    vat_amount: DecimalStr | None
    total: DecimalStr | None
    note: str | None
    lines: list[OrderLineRecord]


class Tombstone(BaseModel):
    """What the change feed shows for a deleted record (``include_deleted=true``)."""

    id: int
    deleted: Literal[True]
    deleted_at: Timestamp
    updated_at: Timestamp


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field, e.g. `lines.0.quantity`")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; extension members (``existing_id``, ``deleted_at``) appear where noted."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
    existing_id: int | None = Field(None, description="409: the record that already holds the unique value")
    deleted_at: Timestamp | None = Field(None, description="404: when the record was deleted")
    current_version: int | None = Field(None, description="412: the record's version now")


def page_model(record: type[BaseModel]) -> type[BaseModel]:
    """``{"data": [...], "next_cursor": ...}`` for one resource."""

    class Page(BaseModel):
        data: list[record | Tombstone]  # type: ignore[valid-type]
        next_cursor: str | None

    Page.__name__ = Page.__qualname__ = f"{record.__name__.removesuffix('Record')}Page"
    return Page


class BatchRequest(BaseModel):
    """Up to 100 items; an item with ``id`` is a merge patch of that record, one without is a create.
    Items are validated one by one (a bad item fails alone), so their shape is the resource's write body
    plus an optional ``id``."""

    model_config = ConfigDict(extra="forbid")
    items: list[dict[str, Any]] = Field(min_length=1, max_length=100)


class BatchItemResult(BaseModel):
    index: int
    status: int = Field(description="The status the single-record call would have answered: 200, 201, 4xx")
    record: dict[str, Any] | None = None
    problem: Problem | None = None


class BatchResponse(BaseModel):
    results: list[BatchItemResult]


RECORD_MODELS: dict[str, type[BaseModel]] = {
    "customers": CustomerRecord,
    "products": ProductRecord,
    "orders": OrderRecord,
}
