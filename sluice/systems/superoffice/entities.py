"""The SuperOffice entities Sluice reads and writes, declared as data.

Rule: behaviour is read off these declarations (paths, keys, watermark columns, whether
PATCH is allowed), never guessed. Archive column names are camelCase, carrier fields
PascalCase, ``Dynamic`` provider fields ``table.column`` as in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sluice.errors import ApiError

if TYPE_CHECKING:
    import requests

NOISE = frozenset({"TableRight", "FieldProperties", "_Links"})
"""Carrier members that describe rights and links, not data: dropped from every read."""


@dataclass(frozen=True)
class Entity:
    name: str
    """Short name: dataset ``superoffice_<name>``, ids ``superoffice-<name>:<key>``."""
    path: str
    """REST collection under ``/api/v1`` (the OData list; ``{path}/{id}`` is the carrier)."""
    list_key: str
    """Archive primary-key column: the list is ordered and seek-paged by it."""
    carrier_key: str
    """Carrier primary-key field."""
    updated_column: str
    """Archive change column ('date' restriction: compares the date part only)."""
    dynamic_table: str
    """Database table for ``Archive/Dynamic`` (datetime-precise ``afterTime``)."""
    dynamic_key: str
    """Database primary-key column of ``dynamic_table``."""
    carrier_updated: str | None = "UpdatedDate"
    """Carrier timestamp (UTC) used to drop boundary-day repeats and for If-Unmodified-Since."""
    patchable: bool = True
    """PATCH with a merge patch is allowed (else read-modify-PUT)."""
    list_filter: str | None = None
    """A restriction every list read adds (``priceListId eq 1``: one price list's products)."""
    dynamic_filter: str | None = None
    """The same restriction on ``dynamic_table`` for ``Archive/Dynamic`` reads (``product.PriceListId eq 1``)."""

    @property
    def dynamic_key_column(self) -> str:
        return f"{self.dynamic_table}.{self.dynamic_key}"

    @property
    def dynamic_updated_column(self) -> str:
        return f"{self.dynamic_table}.updated"

    def carrier_path(self, key: int) -> str:
        return f"{self.path}/{int(key)}"


CONTACT = Entity(
    name="contact",
    path="Contact",
    list_key="contactId",
    carrier_key="ContactId",
    updated_column="updatedDate",
    dynamic_table="contact",
    dynamic_key="contact_id",
)
SALE = Entity(
    name="sale",
    path="Sale",
    list_key="saleId",
    carrier_key="SaleId",
    updated_column="updatedDate",
    dynamic_table="sale",
    dynamic_key="sale_id",
)
PRODUCT = Entity(
    name="product",
    path="Product",
    list_key="productId",
    carrier_key="ProductId",
    updated_column="updatedDate",
    dynamic_table="product",
    dynamic_key="product_id",
    carrier_updated=None,  # the Product carrier has no timestamps (and PUT declares no 412)
    patchable=False,  # PUT only (no PATCH on /Product/{id})
)
PRICELIST = Entity(
    name="pricelist",
    path="Pricelist",
    list_key="priceListId",
    carrier_key="PriceListId",
    updated_column="updatedDate",
    dynamic_table="pricelist",
    dynamic_key="pricelist_id",
    carrier_updated=None,  # PriceList carries ValidFrom/ValidTo, no change timestamp
)

ENTITIES = {e.name: e for e in (CONTACT, SALE, PRODUCT, PRICELIST)}


def entity(name_or_entity: str | Entity) -> Entity:
    """Look an entity up by name (``"contact"``) or pass one through."""
    if isinstance(name_or_entity, Entity):
        return name_or_entity
    try:
        return ENTITIES[name_or_entity.lower()]
    except KeyError:
        raise ValueError(f"unknown SuperOffice entity {name_or_entity!r}; known: {sorted(ENTITIES)}") from None


def strip_noise(value: object) -> object:
    """A copy without ``TableRight``/``FieldProperties``/``_Links`` at any depth."""
    if isinstance(value, dict):
        return {k: strip_noise(v) for k, v in value.items() if k not in NOISE}
    if isinstance(value, list):
        return [strip_noise(v) for v in value]
    return value


def json_object(response: requests.Response, what: str) -> dict[str, Any]:
    """The JSON object an answer carries, without noise; a clear ApiError (naming ``what``) otherwise."""
    try:
        body = response.json()
    except ValueError:
        raise ApiError(f"{what}: the answer is not JSON", status=response.status_code) from None
    if not isinstance(body, dict):
        raise ApiError(f"{what}: expected a JSON object", status=response.status_code)
    return strip_noise(body)  # type: ignore[return-value]
