"""Fixtures: one seeded SuperOffice simulator (no auth) per module on 127.0.0.1, the official spec and a
validator of response bodies against its definitions (jsonschema, draft 4).

Swagger 2 quirk handled by ``validate``: the real service returns null for unset nested carriers and strings,
which the spec does not mark ``x-nullable``; so every property also admits null. Types are otherwise enforced.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import SuperOfficeSimulator

SHARED = Path(os.environ.get("SLUICE_SHARED", Path(__file__).resolve().parents[3].parent / "shared"))


@pytest.fixture(scope="module")
def spec() -> dict:
    path = Path(os.environ.get("SLUICE_SUPEROFFICE_SPEC") or SHARED / "superoffice" / "openapi-subset.json")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def open_sim() -> Iterator[tuple[SuperOfficeSimulator, str]]:
    """A simulator without auth (``--auth none``): (sim, tenant base URL)."""
    sim = SuperOfficeSimulator(seed=3, contacts=40, auth="none")
    with ServerThread(sim.app) as server:
        yield sim, f"{server.url}/{sim.tenant}"


@pytest.fixture
def api(open_sim: tuple[SuperOfficeSimulator, str]) -> str:
    sim, base = open_sim
    sim.faults.reset()
    return f"{base}/api/v1"


def _nullable(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _nullable(v) for k, v in schema.items()}
        if "properties" in out:
            out["properties"] = {k: {"anyOf": [v, {"type": "null"}]} for k, v in out["properties"].items()}
        return out
    if isinstance(schema, list):
        return [_nullable(v) for v in schema]
    return schema


@pytest.fixture(scope="module")
def validate(spec: dict) -> Callable[..., None]:
    definitions = _nullable(copy.deepcopy(spec["definitions"]))
    # Quirk: slim row values are declared {"type": "object"} upstream but are display values (string, number...).
    slim = definitions["SuperOffice.Services.WebApi.OData.ODataSlimResponse"]["properties"]["value"]["anyOf"][0]
    slim["items"]["additionalProperties"] = {}

    def check(body: Any, definition: str, many: bool = False) -> None:
        ref = {"$ref": f"#/definitions/{definition}"}
        schema = {"definitions": definitions, **({"type": "array", "items": ref} if many else ref)}
        jsonschema.Draft4Validator(schema, format_checker=None).validate(body)

    return check
