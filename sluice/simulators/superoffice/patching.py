"""PATCH bodies as the WebAPI documents them: JSON Patch (RFC 6902: add, replace, remove, test) and
JSON Merge Patch (RFC 7396, where an object sent for an array field appends to it).

Rule: pure functions on a deep copy; a bad operation raises ``PatchError`` (400) and a failed ``test`` raises
``PatchTestFailed`` (409), so the stored entity is never half-patched.
"""

from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    """The patch document is malformed or points nowhere (-> 400)."""


class PatchTestFailed(ValueError):
    """A ``test`` operation did not match (-> 409)."""


def json_patch(document: dict[str, Any], operations: Any) -> dict[str, Any]:
    """Apply RFC 6902 operations; paths are case-insensitive and the leading ``/`` is optional."""
    if not isinstance(operations, list):
        raise PatchError("a JSON Patch body is an array of operations")
    result = copy.deepcopy(document)
    for number, op in enumerate(operations):
        if not isinstance(op, dict) or not isinstance(op.get("op"), str) or not isinstance(op.get("path"), str):
            raise PatchError(f"operation {number}: needs string 'op' and 'path'")
        _apply(result, op["op"].lower(), op["path"], op.get("value"), number)
    return result


def _apply(document: dict[str, Any], name: str, path: str, value: Any, number: int) -> None:
    if name in ("move", "copy"):
        raise PatchError(f"operation {number}: '{name}' is not supported by the WebAPI")
    if name not in ("add", "replace", "remove", "test"):
        raise PatchError(f"operation {number}: unknown op {name!r}")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.strip("/").split("/")]
    if not parts or parts == [""]:
        raise PatchError(f"operation {number}: empty path")
    parent = document
    for part in parts[:-1]:
        parent = _child(parent, part, number, path)
    last = parts[-1]
    if isinstance(parent, list):
        _apply_list(parent, name, last, value, number, path)
        return
    if not isinstance(parent, dict):
        raise PatchError(f"operation {number}: {path} does not point into an object or array")
    key = _key(parent, last)
    if name == "test":
        if parent.get(key) != value:
            raise PatchTestFailed(f"test failed at {path}: {parent.get(key)!r} != {value!r}")
    elif name == "remove":
        if key not in parent:
            raise PatchError(f"operation {number}: nothing to remove at {path}")
        parent[key] = None
    elif name == "add" and isinstance(parent.get(key), list) and not isinstance(value, list):
        parent[key].append(value)
    else:
        parent[key] = value


def _apply_list(items: list[Any], name: str, last: str, value: Any, number: int, path: str) -> None:
    if last == "-" and name == "add":
        items.append(value)
        return
    try:
        index = int(last)
    except ValueError as exc:
        raise PatchError(f"operation {number}: {path}: {last!r} is not an array index") from exc
    if not 0 <= index < len(items) + (name == "add"):
        raise PatchError(f"operation {number}: {path}: index out of range")
    if name == "add":
        items.insert(index, value)
    elif name == "remove":
        items.pop(index)
    elif name == "replace":
        items[index] = value
    elif items[index] != value:
        raise PatchTestFailed(f"test failed at {path}")


def _key(parent: dict[str, Any], part: str) -> str:
    """The existing key matching ``part`` case-insensitively, else ``part`` as given."""
    lower = part.lower()
    return next((k for k in parent if k.lower() == lower), part)


def _child(parent: Any, part: str, number: int, path: str) -> Any:
    if isinstance(parent, dict):
        key = _key(parent, part)
        if parent.get(key) is None:
            parent[key] = {}
        return parent[key]
    if isinstance(parent, list):
        try:
            return parent[int(part)]
        except (ValueError, IndexError) as exc:
            raise PatchError(f"operation {number}: {path}: bad array index {part!r}") from exc
    raise PatchError(f"operation {number}: {path} does not exist")


def merge_patch(document: dict[str, Any], patch: Any) -> dict[str, Any]:
    """RFC 7396 with the WebAPI twist: an object sent where the document has an array is appended to it."""
    if not isinstance(patch, dict):
        raise PatchError("a JSON Merge Patch body is an object")
    return _merge(copy.deepcopy(document), patch)


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for raw_key, value in patch.items():
        key = _key(target, str(raw_key))
        current = target.get(key)
        if value is None:
            target[key] = None
        elif isinstance(current, list) and isinstance(value, dict):
            current.append(value)
        elif isinstance(value, dict) and isinstance(current, dict):
            target[key] = _merge(current, value)
        else:
            target[key] = value
    return target
