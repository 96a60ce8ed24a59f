"""Plans, outcomes and cursors as JSON, for the steps of one run that may run on different machines.

Rule: what one task leaves for the next (``FlowRunner.start`` -> ``push`` -> ``finish``) is plain JSON in
the root's ``.sync`` state, never a pickle of in-memory objects: a worker with another Python process, or
another machine, reads it back into equal values. The sync's own dataclasses are tagged with their name
(only those in ``KINDS`` decode); the values a record carries keep their type (dates, times, decimals,
tuples, bytes, the ``MISSING`` base). Anything else is refused when written, not guessed at when read.
"""

from __future__ import annotations

import base64
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
        return json.loads(data, object_hook=_decode)
    except (ValueError, KeyError, TypeError) as exc:
        raise SluiceError(f"the state between sync steps is damaged ({exc}); run the sync again") from exc


PLAIN = (str, int, float, bool, type(None))


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in PLAIN:
        return value
    if kind is dict:
        if TAG not in value and all(type(k) is str for k in value):
            return {k: v if type(v) in PLAIN else _encode(v) for k, v in value.items()}
        return {TAG: "dict", "v": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if kind is list:
        return [v if type(v) in PLAIN else _encode(v) for v in value]
    if kind.__name__ in KINDS and KINDS[kind.__name__] is kind:
        fields = {name: v if type(v) in PLAIN else _encode(v) for name, v in vars(value).items()}
        return {TAG: kind.__name__, **fields}
    if value is MISSING:
        return {TAG: "missing"}
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [_encode(v) for v in value]}
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
    if isinstance(value, PLAIN):  # a subclass (an enum of str): its plain value
        return value
    raise TypeError(f"cannot pass a {kind.__name__} between sync steps")


SCALARS = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "decimal": decimal.Decimal,
    "bytes": base64.b64decode,
}


def _decode(value: dict[str, Any]) -> Any:
    """One JSON object, its members already decoded (``json`` calls this innermost first)."""
    kind = value.get(TAG)
    if kind is None:
        return value
    if kind == "missing":
        return MISSING
    if kind == "tuple":
        return tuple(value["v"])
    if kind == "dict":
        return {k: v for k, v in value["v"]}
    if kind in SCALARS:
        return SCALARS[kind](value["v"])
    cls = KINDS[kind]
    return cls(**{k: v for k, v in value.items() if k != TAG})
