"""The canonical serialisation of an entity's payload: the specification of ``_hash``.

Rule: this is the reference, in plain Python, and it must never change behaviour (a change
re-versions every entity of every dataset). ``hashing.py`` produces the same bytes in DuckDB SQL
for speed; a hypothesis test proves the two agree and a golden test pins the hashes.

The form is JSON-like UTF-8 without whitespace:

- objects: keys sorted by the code points of their NFC form; members whose value is null are omitted
  at every level (so adding a column that is null everywhere changes no hash); top-level keys
  starting with ``_`` are metadata and never hashed;
- lists keep their order; a null element is written ``null`` (dropping it would shift positions);
- integers, and floats that are integral with magnitude below 2**53, are written as integers
  (``3``, ``3.0`` and ``Decimal("3.00")`` are the same); other floats use the shortest repr that
  round-trips (``0.1``, ``1e+20``); NaN and infinities are the strings ``"NaN"``, ``"Infinity"``,
  ``"-Infinity"``; decimals are written without exponent and
  without trailing zeros (``1.50`` -> ``1.5``); negative zero is ``0``;
- strings are JSON-escaped: ``\\"``, ``\\\\``, ``\\b\\t\\n\\f\\r``, other control characters
  as ``\\u00XX`` with upper-case hex; everything else (non-ASCII, ``/``, DEL) verbatim UTF-8;
- the whole text is then NFC-normalised, once (so canonically equivalent strings hash the same; doing it
  after escaping keeps NUL and other control characters out of the normaliser);
- timestamps are UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (naive ones are taken as UTC); dates
  ``YYYY-MM-DD``; times ``HH:MM:SS.ffffff``; bytes base64; booleans ``true``/``false``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import unicodedata
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

MAX_EXACT_FLOAT_INT = 2**53


def canonical(entity: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an entity's payload (its non-``_`` keys)."""
    payload = {k: v for k, v in entity.items() if not k.startswith("_")}
    return _nfc(_object(payload)).encode("utf-8")


def entity_hash(entity: Mapping[str, Any]) -> str:
    """``_hash`` of an entity: md5 hex of its canonical bytes (md5 is for change detection, not security)."""
    return hashlib.md5(canonical(entity)).hexdigest()


def _object(obj: Mapping[str, Any]) -> str:
    members = []
    for key, value in sorted(((str(k), v) for k, v in obj.items()), key=lambda kv: _nfc(kv[0])):
        if value is None:
            continue
        members.append(f"{json_string(key)}:{_value(value)}")
    return "{" + ",".join(members) + "}"


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_float(value)
    if isinstance(value, Decimal):
        return number_decimal(value)
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, dt.datetime):
        return f'"{timestamp_utc(value)}"'
    if isinstance(value, dt.date):
        return f'"{value.isoformat()}"'
    if isinstance(value, dt.time):
        return f'"{value.replace(tzinfo=None).isoformat(timespec="microseconds")}"'
    if isinstance(value, bytes | bytearray | memoryview):
        return f'"{base64.b64encode(bytes(value)).decode("ascii")}"'
    if isinstance(value, uuid.UUID):
        return json_string(str(value))
    if isinstance(value, Mapping):
        return _object(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot hash a value of type {type(value).__name__}")


def number_float(value: float) -> str:
    """Integral floats below 2**53 as integers, NaN and infinities as JSON strings, everything else as the
    shortest round-trip repr."""
    if math.isnan(value):
        return '"NaN"'
    if math.isinf(value):
        return '"Infinity"' if value > 0 else '"-Infinity"'
    if value.is_integer() and abs(value) < MAX_EXACT_FLOAT_INT:
        return str(int(value))
    return repr(value)


def number_decimal(value: Decimal) -> str:
    """Plain notation without trailing zeros: ``Decimal("1.50")`` -> ``1.5``, ``Decimal("2.00")`` -> ``2``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def timestamp_utc(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


ESCAPES = {
    **{code: f"\\u{code:04X}" for code in range(0x20)},
    **{ord("\b"): "\\b", ord("\t"): "\\t", ord("\n"): "\\n", ord("\f"): "\\f", ord("\r"): "\\r"},
    ord('"'): '\\"',
    ord("\\"): "\\\\",
}


def json_string(text: str) -> str:
    """A JSON string literal: quotes, backslashes and control characters escaped (``\\u001F``, upper-case
    hex, as DuckDB's ``to_json`` writes it), everything else verbatim UTF-8."""
    return '"' + text.translate(ESCAPES) + '"'
