"""The shop's rules: validation, unique keys, references, order totals, versions, the change feed.

Rule: a write validates everything before it stores anything, so a refused write (4xx) leaves no trace;
the HTTP layer (``app``) only parses requests and renders answers.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from sluice.simulators.customwebshop import cursor as cursors
from sluice.simulators.customwebshop.clock import format_ts
from sluice.simulators.customwebshop.decimals import keep_formatting
from sluice.simulators.customwebshop.merge import merge_patch
from sluice.simulators.customwebshop.models import REQUIRED, WRITE_MODELS, CustomerRecord, OrderRecord, ProductRecord
from sluice.simulators.customwebshop.problems import ProblemError, field_error
from sluice.simulators.customwebshop.store import Row, ShopStore
from sluice.simulators.customwebshop.totals import AmountError, compute

FIELDS: dict[str, tuple[str, ...]] = {
    name: tuple(
        f
        for f in model.model_fields
        if f not in ("id", "version", "created_at", "updated_at", "external_refs", "lines")
    )
    for name, model in (("customers", CustomerRecord), ("products", ProductRecord), ("orders", OrderRecord))
}
LINE_FIELDS = ("id", "product_id", "sku", "name", "quantity", "unit_price", "discount_percent", "vat_rate")


def validation_errors(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[dict[str, str]]:
    """pydantic errors as ``{"field", "message"}`` with dotted paths (``billing_address.country_code``)."""
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in (*prefix, *err["loc"]) if p != "body"]
        errors.append({"field": ".".join(loc) or "body", "message": err["msg"]})
    return errors


def parse_write(resource: str, body: Any) -> dict[str, Any]:
    """A request body checked against the resource's write model, as the fields the caller sent."""
    if not isinstance(body, dict):
        raise ProblemError(
            422, "the body must be a JSON object", errors=[{"field": "body", "message": "not an object"}]
        )
    model: type[BaseModel] = WRITE_MODELS[resource]
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        errors = validation_errors(exc)
        raise ProblemError(422, f"{len(errors)} invalid field(s): {errors[0]['field']}", errors=errors) from exc
    return parsed.model_dump(mode="json", exclude_unset=True)


def render(resource: str, row: Row) -> dict[str, Any]:
    """A stored row as the API shows it: every field present (``null`` when unset)."""
    if row.deleted_at is not None:
        return {
            "id": row.id,
            "deleted": True,
            "deleted_at": format_ts(row.deleted_at),
            "updated_at": format_ts(row.updated_at),
        }
    record: dict[str, Any] = {"id": row.id}
    for name in FIELDS[resource]:
        record[name] = row.data.get(name)
    if resource == "orders":
        record["lines"] = [_render_line(line) for line in row.data.get("lines") or []]
    record["external_refs"] = row.data.get("external_refs") or {}
    record.update(version=row.version, created_at=format_ts(row.created_at), updated_at=format_ts(row.updated_at))
    return record


def _render_line(line: dict[str, Any]) -> dict[str, Any]:
    shown = {name: line.get(name) for name in LINE_FIELDS}
    shown.update(line_total=line.get("line_total"), position=line.get("position", 0))
    shown["external_refs"] = line.get("external_refs") or {}
    return shown


class ShopService:
    """Create, read, update, delete and list the three resources over one ``ShopStore``."""

    def __init__(self, store: ShopStore) -> None:
        self.store = store

    # -- reads ----------------------------------------------------------------------------------

    def get(self, resource: str, record_id: int) -> Row:
        row = self.store.get(resource, record_id)
        if row is None:
            raise ProblemError(404, f"{resource} {record_id} does not exist")
        if row.deleted_at is not None:
            raise ProblemError(404, f"{resource} {record_id} was deleted", deleted_at=format_ts(row.deleted_at))
        return row

    def page(
        self,
        resource: str,
        *,
        since: int | None,
        include_deleted: bool,
        limit: int,
        cursor: str | None,
        external_ref: str | None,
    ) -> dict[str, Any]:
        try:
            after = cursors.decode(cursor) if cursor else None
        except cursors.BadCursor as exc:
            raise ProblemError(400, str(exc), errors=[{"field": "cursor", "message": str(exc)}]) from exc
        ref = None
        if external_ref is not None:
            key, sep, value = external_ref.partition(":")
            if not sep or not key:
                raise ProblemError(
                    400,
                    "external_ref must be key:value",
                    errors=[{"field": "external_ref", "message": "expected key:value"}],
                )
            ref = (key, value)
        rows = self.store.feed(
            resource, after=after, since=since, include_deleted=include_deleted, external_ref=ref, limit=limit + 1
        )
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = cursors.encode(rows[-1].updated_at, rows[-1].id) if more else None
        return {"data": [render(resource, row) for row in rows], "next_cursor": next_cursor}

    # -- writes ---------------------------------------------------------------------------------

    def create(self, resource: str, body: Any) -> Row:
        data = self._prepare(resource, merge_patch({}, parse_write(resource, body)), current=None)
        return self.store.insert(resource, data, self._unique_key(resource, data))

    def update(self, resource: str, record_id: int, patch: Any, if_match: str | None = None) -> Row:
        fields = parse_write(resource, patch)
        current = self.get(resource, record_id)
        check_version(current, if_match)
        data = self._prepare(resource, merge_patch(current.data, fields), current=current)
        data = keep_formatting(resource, current.data, data)  # "2.0" -> "2" is the same number: no change
        if data == current.data:
            return current  # a patch that changes nothing is not a change (no new version, no feed entry)
        return self.store.replace(resource, current, data, self._unique_key(resource, data))

    def delete(self, resource: str, record_id: int, if_match: str | None = None) -> Row:
        current = self.get(resource, record_id)
        check_version(current, if_match)
        return self.store.soft_delete(resource, current)

    # -- rules ----------------------------------------------------------------------------------

    def _prepare(self, resource: str, data: dict[str, Any], current: Row | None) -> dict[str, Any]:
        missing = [name for name in REQUIRED[resource] if data.get(name) is None]
        if missing:
            errors = [{"field": name, "message": "required"} for name in missing]
            raise ProblemError(422, f"missing required field(s): {', '.join(missing)}", errors=errors)
        if resource == "orders":
            data = self._prepare_order(data, current)
        key = self._unique_key(resource, data)
        if key is not None:
            holder = self.store.holder_of(resource, key, current.id if current else None)
            if holder is not None:
                field = {"customers": "email", "products": "sku", "orders": "order_number"}[resource]
                raise ProblemError(
                    409,
                    f"{field} {data[field]!r} is already used by {resource} {holder}",
                    errors=[{"field": field, "message": f"already used by id {holder}"}],
                    existing_id=holder,
                )
        return data

    @staticmethod
    def _unique_key(resource: str, data: dict[str, Any]) -> str | None:
        if resource == "customers":
            email = data.get("email")
            return email.lower() if email and data.get("active") is not False else None
        return data.get("sku" if resource == "products" else "order_number")

    def _prepare_order(self, data: dict[str, Any], current: Row | None) -> dict[str, Any]:
        if not self.store.exists("customers", data["customer_id"]):
            raise field_error("customer_id", f"customer {data['customer_id']} does not exist")
        data = {**data, "status": data.get("status") or "pending"}
        if "lines" in data:
            data["lines"] = self._prepare_lines(data["lines"], current)
        try:
            return compute(data)
        except AmountError as exc:
            raise field_error(exc.field, str(exc)) from exc

    def _prepare_lines(self, lines: list[dict[str, Any]], current: Row | None) -> list[dict[str, Any]]:
        known = {line["id"] for line in (current.data.get("lines") or [])} if current else set()
        seen: set[int] = set()
        prepared = []
        for index, line in enumerate(lines):
            line = merge_patch({}, line)  # drops nulls, so defaults below apply
            where = f"lines.{index}"
            if line.get("id") is not None:
                if line["id"] not in known or line["id"] in seen:
                    raise field_error(f"{where}.id", f"line {line['id']} is not a line of this order")
                seen.add(line["id"])
            else:
                line["id"] = self.store.next_value("order_line")
            if line.get("product_id") is not None:
                product = self.store.get("products", line["product_id"])
                if product is None or product.deleted_at is not None:
                    raise field_error(f"{where}.product_id", f"product {line['product_id']} does not exist")
                for mine, theirs in (
                    ("sku", "sku"),
                    ("name", "name"),
                    ("unit_price", "price"),
                    ("vat_rate", "vat_rate"),
                ):
                    if line.get(mine) is None and product.data.get(theirs) is not None:
                        line[mine] = product.data[theirs]
            for name in ("quantity", "unit_price"):
                if line.get(name) is None:
                    raise field_error(f"{where}.{name}", "required")
            line.setdefault("discount_percent", "0")
            line.setdefault("vat_rate", "0")
            line.setdefault("position", index + 1)
            prepared.append(line)
        return prepared


def check_version(row: Row, if_match: str | None) -> None:
    """``If-Match`` against the record's version: ``"3"``, ``W/"3"``, ``3`` or ``*``; 412 when it moved on."""
    if if_match is None:
        return
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")]
    if "*" in tags or str(row.version) in tags:
        return
    raise ProblemError(
        412,
        f"the record is at version {row.version}, not {if_match.strip()[:40]}",
        current_version=row.version,
    )
