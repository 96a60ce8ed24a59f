"""Property-based fuzzing of the live shop from its own published ``/openapi.json`` (schemathesis).

Each operation gets a bounded number of generated requests (valid and invalid); the shop must never
answer 5xx, and every answer must match the published schema: status, content type, headers, body.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


SHOP = CustomwebshopSimulator(customers=20, seed=1)  # seeded, so reads and updates of ids 1..n hit records
schema = schemathesis.openapi.from_asgi("/openapi.json", SHOP.app)  # the document the live server publishes


@pytest.fixture(scope="module")
def shop_url() -> Iterator[str]:
    with ServerThread(SHOP.app) as server:
        yield server.url


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_schema_conformant_answers(case: schemathesis.Case, shop_url: str) -> None:
    case.call_and_validate(base_url=shop_url, headers={"Authorization": f"Bearer {DEMO_API_KEY}"}, checks=CHECKS)
