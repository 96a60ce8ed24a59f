"""REST entities (Contact, Person, Sale, Product, Pricelist): read, create, replace, patch and delete carriers.

Rule: the row's columns are the truth for server-owned fields (id, UpdatedDate, CreatedDate, Deleted), which
are overlaid on every carrier that goes out and dropped from every body that comes in; every change sets
``updated``; contacts and persons are soft-deleted, the rest hard-deleted. Conditional headers are honoured
only where the spec declares them (304 / 412): Product and Pricelist PUT and DELETE ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluice.simulators.superoffice.carriers import BodyError, check, complete
from sluice.simulators.superoffice.responses import SoError
from sluice.simulators.superoffice.store import Row, Store, carrier_date, utc_now


@dataclass(frozen=True)
class Kind:
    """What differs between the REST entities."""

    path: str  # URL segment: Contact, Person, Sale, Product
    table: str
    carrier: str  # shape name of the entity carrier
    id_field: str
    links: bool  # *WithLinks carrier (adds _Links)
    patchable: bool
    soft_delete: bool
    provider: str  # archive provider behind GET /api/v1/{path}
    conditional: frozenset[str] = frozenset({"GET", "PUT", "PATCH", "DELETE"})
    """Methods whose If-Modified-Since (GET, 304) / If-Unmodified-Since (412) the spec declares."""

    @property
    def server_fields(self) -> tuple[str, ...]:
        return (self.id_field, "UpdatedDate", "CreatedDate", "Deleted", "_Links")


KINDS = {
    "contact": Kind("Contact", "contact", "ContactEntity", "ContactId", True, True, True, "SimpleContact"),
    "person": Kind("Person", "person", "PersonEntity", "PersonId", True, True, True, "Person"),
    "sale": Kind("Sale", "sale", "SaleEntity", "SaleId", True, True, False, "FindSale"),
    # No 304/412 on Product (no timestamps in its carrier); only Pricelist PATCH declares 412.
    "product": Kind("Product", "product", "Product", "ProductId", False, False, False, "Product", frozenset()),
    "pricelist": Kind(
        "Pricelist", "pricelist", "PriceList", "PriceListId", True, True, False, "PriceList", frozenset({"PATCH"})
    ),
}


class Entities:
    """CRUD over the store for the REST entity kinds."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def row(self, kind: Kind, entity_id: int) -> Row:
        row = self.store.get(kind.table, entity_id)
        if row is None:
            raise SoError(404, f"{kind.path} id {entity_id} not found")
        return row

    def carrier(self, kind: Kind, row: Row, base_url: str) -> dict[str, Any]:
        """The full outgoing carrier: stored fields completed, server fields from the row."""
        carrier = complete(kind.carrier, row.data)
        carrier[kind.id_field] = row.id
        if "UpdatedDate" in carrier:
            carrier["UpdatedDate"] = carrier_date(row.updated)
            carrier["CreatedDate"] = carrier_date(row.registered)
        if kind.table == "contact":
            carrier["Deleted"] = int(row.cols.get("deleted") or 0)
        if kind.links:
            carrier["_Links"] = {"Self": f"{base_url}/api/v1/{kind.path}/{row.id}"}
        return carrier

    def default(self, kind: Kind) -> dict[str, Any]:
        return complete(kind.carrier, {})

    def incoming(self, kind: Kind, body: Any) -> dict[str, Any]:
        """Type-check a body and strip server-owned fields (-> 400 on a wrong type)."""
        try:
            checked = check(kind.carrier, body)
        except BodyError as exc:
            raise SoError(400, str(exc)) from exc
        for name in kind.server_fields:
            checked.pop(name, None)
        return checked

    def create(self, kind: Kind, body: Any) -> Row:
        data = self.incoming(kind, body)
        with self.store.transaction():
            cols = self._columns(kind, data)
            new_id = self.store.insert(kind.table, data, utc_now(), **cols)
        return self.row(kind, new_id)

    def replace(self, kind: Kind, entity_id: int, body: Any) -> Row:
        """PUT replaces the entire entity: fields not sent fall back to their defaults."""
        data = self.incoming(kind, body)
        with self.store.transaction():
            self.row(kind, entity_id)
            self.store.update(kind.table, entity_id, data, utc_now(), **self._columns(kind, data))
        return self.row(kind, entity_id)

    def soft_delete(self, kind: Kind, entity_id: int) -> None:
        now = utc_now()
        with self.store.transaction():
            row = self.row(kind, entity_id)
            if kind.table == "contact":
                self.store.update(kind.table, entity_id, row.data, now, deleted=1, deleted_date=now)
            else:
                self.store.update(kind.table, entity_id, row.data, now, deleted_date=now)

    def delete(self, kind: Kind, entity_id: int) -> None:
        if kind.soft_delete:
            self.soft_delete(kind, entity_id)
            return
        with self.store.transaction():
            self.row(kind, entity_id)
            if kind.table == "sale":
                self._delete_quote_of_sale(entity_id)
            if kind.table == "pricelist":  # its products are members of it (one product = one price list)
                self.store.query("DELETE FROM product WHERE price_list_id = ?", (entity_id,))
            self.store.delete(kind.table, entity_id)

    def _delete_quote_of_sale(self, sale_id: int) -> None:
        """A sale's quote tree goes with it (one quote per sale; nothing may point at a missing sale)."""
        for sql in (
            "DELETE FROM quote_line WHERE alternative_id IN (SELECT a.id FROM quote_alternative a "
            "JOIN quote_version v ON v.id = a.version_id JOIN quote q ON q.id = v.quote_id WHERE q.sale_id = ?)",
            "DELETE FROM quote_alternative WHERE version_id IN (SELECT v.id FROM quote_version v "
            "JOIN quote q ON q.id = v.quote_id WHERE q.sale_id = ?)",
            "DELETE FROM quote_version WHERE quote_id IN (SELECT id FROM quote WHERE sale_id = ?)",
            "DELETE FROM quote WHERE sale_id = ?",
        ):
            self.store.query(sql, (sale_id,))

    def _columns(self, kind: Kind, data: dict[str, Any]) -> dict[str, Any]:
        """The indexed columns a body sets; a reference to a missing row is a 400 (no dangling FKs)."""
        if kind.table == "person":
            return {"contact_id": self._ref("contact", data.get("Contact"), "ContactId")}
        if kind.table == "sale":
            return {
                "contact_id": self._ref("contact", data.get("Contact"), "ContactId"),
                "person_id": self._ref("person", data.get("Person"), "PersonId"),
            }
        if kind.table == "product":
            key = data.get("ERPPriceListKey") or ""
            found = self.store.query(
                "SELECT id FROM pricelist WHERE json_extract(data, '$.ERPPriceListKey') = ?", (key,)
            )
            return {"erp_key": data.get("ERPProductKey") or None, "price_list_id": found[0][0] if found else None}
        return {}

    def _ref(self, table: str, nested: Any, id_field: str) -> int | None:
        ref_id = (nested or {}).get(id_field) or 0
        if not ref_id:
            return None
        if self.store.get(table, ref_id) is None:
            raise SoError(400, f"{id_field} {ref_id} does not exist")
        return int(ref_id)
