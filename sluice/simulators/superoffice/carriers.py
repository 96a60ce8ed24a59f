"""Carriers: build, complete and type-check the PascalCase WebAPI bodies from the shapes in ``shapes.py``.

Rule: the store keeps whatever fields were written (seeded rows are sparse); every carrier that leaves the
simulator goes through ``complete`` so it always has every field of its shape, and every body that comes in
goes through ``check`` so a wrong type is a 400 before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sluice.simulators.superoffice.shapes import SHAPES

EMPTY_DATE = "0001-01-01T00:00:00"
FULL_RIGHTS = {"Mask": "Select, Insert, Update, Delete", "Reason": ""}
_SCALAR_DEFAULTS: dict[str, Any] = {"s": "", "t": EMPTY_DATE, "i": 0, "d": 0.0, "b": False}


class BodyError(ValueError):
    """An incoming body does not fit its carrier; the message names the field (-> HTTP 400)."""


@dataclass(frozen=True)
class FieldType:
    """One field's type: kind is s/t/i/d/b/e/ref/list/map; ``inner`` for ref name or element type."""

    kind: str
    inner: FieldType | str | None = None
    choices: tuple[str, ...] = ()


def _parse_type(code: str) -> FieldType:
    if code.startswith("@"):
        return FieldType("ref", code[1:])
    if code.startswith("["):
        return FieldType("list", _parse_type(code[1:-1]))
    if code.startswith("{"):
        return FieldType("map", _parse_type(code[1:-1]))
    if code.startswith("e("):
        return FieldType("e", choices=tuple(code[2:-1].split("|")))
    if code in _SCALAR_DEFAULTS or code == "o":
        return FieldType(code)
    raise ValueError(f"unknown type code {code!r}")


@cache
def shape(name: str) -> dict[str, FieldType]:
    """Field name -> type for one carrier (ordered as in the spec)."""
    fields: dict[str, FieldType] = {}
    for pair in SHAPES[name].split():
        field, code = pair.split(":", 1)
        fields[field] = _parse_type(code)
    return fields


def _default_value(ftype: FieldType) -> Any:
    if ftype.kind in _SCALAR_DEFAULTS:
        return _SCALAR_DEFAULTS[ftype.kind]
    if ftype.kind == "e":
        return ftype.choices[0]
    if ftype.kind == "list":
        return []
    if ftype.kind == "map":
        return {}
    return None  # nested carriers and free objects: null until set, as the real service returns them


def default(name: str) -> dict[str, Any]:
    """A blank carrier: every field present with its zero value; nested carriers null."""
    carrier = {field: _default_value(ftype) for field, ftype in shape(name).items()}
    if "TableRight" in carrier:
        carrier["TableRight"] = dict(FULL_RIGHTS)
    return carrier


def complete(name: str, stored: dict[str, Any] | None) -> dict[str, Any]:
    """``stored`` filled up to the full shape, recursively for nested carriers that are present."""
    carrier = default(name)
    if not stored:
        return carrier
    fields = shape(name)
    for field, value in stored.items():
        ftype = fields.get(field)
        if ftype is None or value is None:
            continue
        carrier[field] = _complete_value(ftype, value)
    return carrier


def _complete_value(ftype: FieldType, value: Any) -> Any:
    if ftype.kind == "ref" and isinstance(value, dict):
        return complete(str(ftype.inner), value)
    if ftype.kind == "list" and isinstance(value, list):
        inner = ftype.inner
        assert isinstance(inner, FieldType)
        return [_complete_value(inner, item) for item in value]
    return value


def check(name: str, body: Any, path: str = "") -> dict[str, Any]:
    """Type-check ``body`` against the carrier; returns it with unknown fields dropped.

    Null is accepted anywhere (it means "the default"); field names match case-insensitively,
    as the real service binds them, and come back in the spec's spelling.
    """
    if not isinstance(body, dict):
        raise BodyError(f"{path or name}: expected an object, got {_json_type(body)}")
    fields = shape(name)
    by_lower = {field.lower(): field for field in fields}
    checked: dict[str, Any] = {}
    for key, value in body.items():
        field = by_lower.get(str(key).lower())
        if field is None:
            continue
        checked[field] = _check_value(fields[field], value, f"{path}{field}")
    return checked


def _check_value(ftype: FieldType, value: Any, path: str) -> Any:
    if value is None:
        return None
    kind = ftype.kind
    if kind == "ref":
        return check(str(ftype.inner), value, path + ".")
    if kind == "list":
        if not isinstance(value, list):
            raise BodyError(f"{path}: expected an array, got {_json_type(value)}")
        inner = ftype.inner
        assert isinstance(inner, FieldType)
        return [_check_value(inner, item, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise BodyError(f"{path}: expected an object, got {_json_type(value)}")
        inner = ftype.inner
        assert isinstance(inner, FieldType)
        return {str(k): _check_value(inner, v, f"{path}.{k}") for k, v in value.items()}
    return _check_scalar(ftype, value, path)


def _check_scalar(ftype: FieldType, value: Any, path: str) -> Any:
    kind = ftype.kind
    ok = {
        "s": isinstance(value, str),
        "t": isinstance(value, str) and parse_datetime(value) is not None,
        "i": isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31,
        "d": isinstance(value, int | float) and not isinstance(value, bool),
        "b": isinstance(value, bool),
        "e": isinstance(value, str) and value in ftype.choices,
        "o": True,
    }[kind]
    if not ok:
        expected = {
            "s": "a string",
            "t": "an ISO 8601 date-time string",
            "i": "a 32-bit integer",
            "d": "a number",
            "b": "a boolean",
            "e": "one of " + "|".join(ftype.choices),
        }[kind]
        raise BodyError(f"{path}: expected {expected}, got {value!r}")
    return float(value) if kind == "d" else value


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(type(value), repr(value))


def parse_datetime(text: str) -> datetime | None:
    """ISO 8601 with or without a zone (a zone-less value is UTC, as the service documents); None if invalid."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def select(carrier: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """``$select=Name,Department`` on an entity: fields not listed are nulled out (the service's behaviour)."""
    if not fields:
        return carrier
    wanted = {f.strip().lower() for f in fields.split(",") if f.strip()}
    return {k: (v if k.lower() in wanted else None) for k, v in carrier.items()}
