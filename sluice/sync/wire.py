"""Plans, outcomes and cursors as JSON, for the steps of one run that may run on different machines.

Rule: what one task leaves for the next (``FlowRunner.start`` -> ``push`` -> ``finish``) is plain JSON in
the root's ``.sync`` state, never a pickle of in-memory objects: a worker with another Python process, or
another machine, reads it back into equal values. The sync's own dataclasses are tagged with their name
(only those in ``KINDS`` decode); the values a record carries keep their type (dates, times, decimals,
tuples, bytes, the ``MISSING`` base). Anything else is refused when written, not guessed at when read.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import json
from typing import Any

from sluice.errors import SluiceError
from sluice.sync.changes import Cursor
from sluice.sync.merge import MISSING, Conflict
from sluice.sync.model import Ambiguity, Change, Link, Plan, PushOutcome, SideRecord, Stranded

KINDS: dict[str, type] = {
    cls.__name__: cls for cls in (Ambiguity, Change, Conflict, Cursor, Link, Plan, PushOutcome, SideRecord, Stranded)
}
TAG = "~"
"""The key of a tagged value: ``{"~": kind, ...}``; a plain dict with that key is tagged too."""


def dumps(value: Any) -> bytes:
    return json.dumps(_encode(value), separators=(",", ":"), allow_nan=True).encode()


def loads(data: bytes) -> Any:
    try:
        return _decode(json.loads(data))
    except (ValueError, KeyError, TypeError) as exc:
        raise SluiceError(f"the state between sync steps is damaged ({exc}); run the sync again") from exc


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if value is MISSING:
        return {TAG: "missing"}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [_encode(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: _encode(v) for k, v in value.items()}
        return {TAG: "dict", "v": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, dt.datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {TAG: "time", "v": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {TAG: "decimal", "v": str(value)}
    if isinstance(value, bytes):
        return {TAG: "bytes", "v": base64.b64encode(value).decode()}
    if dataclasses.is_dataclass(value) and type(value).__name__ in KINDS:
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {TAG: type(value).__name__, **fields}
    raise TypeError(f"cannot pass a {type(value).__name__} between sync steps")


SCALARS = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "decimal": decimal.Decimal,
    "bytes": base64.b64decode,
}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get(TAG)
    if kind is None:
        return {k: _decode(v) for k, v in value.items()}
    if kind == "missing":
        return MISSING
    if kind == "tuple":
        return tuple(_decode(v) for v in value["v"])
    if kind == "dict":
        return {_decode(k): _decode(v) for k, v in value["v"]}
    if kind in SCALARS:
        return SCALARS[kind](value["v"])
    cls = KINDS[kind]
    return cls(**{k: _decode(v) for k, v in value.items() if k != TAG})
