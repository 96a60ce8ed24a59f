"""Every flow's setters against its a-side pipe: the pipe run over a carrier a setter wrote gives back the value.

Generated from the registry: each field that goes back to side a gets a case, so a new flow (or a new
field) is covered without writing a test, and no flow can drift into ping-pong (a setter writing where
the pipe does not read would make every sync send the same change again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice.datasets import DatasetStore
from sluice.pipes.pipe import Pipe, discover
from sluice.pipes.testing import PipeTestCase, load_cases, run_case, values_match
from sluice.project import Project
from sluice.sync.dataflow import Dataflow
from sluice.sync.merge import unflatten
from sluice.systems.registry import stream

REPO = Path(__file__).resolve().parents[2]
PROJECT = Project.open(REPO)
OWN_SINK = {name for name, flow in PROJECT.flows.flows.items() if flow.declaration and flow.declaration.sink_a}
"""Flows that write side a through their own sink (order lines: a line inside a quote row), tested below."""
CASES = [
    (flow.name, rule.name)
    for flow in PROJECT.flows.flows.values()
    if flow.name not in OWN_SINK
    for rule in flow.fields
    if rule.to_a
]


def a_pipe(flow: Dataflow) -> Pipe:
    return next(p for p in discover(PROJECT.config.pipes) if p.name == flow.a_dataset)


def fixtures(pipe: Pipe, dataset: str) -> list[tuple[PipeTestCase, dict[str, Any]]]:
    """Every fixture record of ``dataset`` in the unit tests beside the pipe, with its case."""
    return [(case, row) for case in load_cases(pipe.test_path) for row in case.inputs.get(dataset, [])]


def sample(flow: Dataflow, pipe: Pipe, field: str, current: Any) -> Any:
    """A value the setter accepts and the base record does not already hold."""
    decl = flow.declaration
    assert decl is not None
    if field in decl.examples:
        return decl.examples[field]
    kind = (pipe.header.columns[field].type or "string").lower()
    if kind == "boolean":
        return not current
    if kind in ("decimal", "number"):
        return "123.45"
    if kind == "integer":
        return 17
    return f"Round trip {field}"


def output(pipe: Pipe, inputs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The pipe's one output row over ``inputs`` (via the pipe-test runner, so the SQL runs unchanged)."""
    found: list[dict[str, Any]] = []
    result = run_case(pipe.name, pipe.sql, PipeTestCase("probe", inputs, [{"_id": "<none>"}]))
    assert result.error is None, result.error
    found = result.unexpected
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("flow_name", "field"), CASES, ids=[f"{f}:{n}" for f, n in CASES])
def test_the_pipe_reads_back_what_the_setter_wrote(flow_name: str, field: str, tmp_path: Path) -> None:
    flow = PROJECT.flow(flow_name)
    decl = flow.declaration
    assert decl is not None and decl.write_back is not None
    pipe = a_pipe(flow)
    source = stream(decl.a)
    records = fixtures(pipe, source.dataset)
    assert records, f"{pipe.test_path.name} has no {source.dataset} fixture to write into"
    store = DatasetStore(tmp_path / "datasets")  # the lookups read the pulled records, as in a sync
    store.write(source.dataset, [r for _, r in records], key=source.key, id_prefix=source.id_prefix)
    lookups = decl.lookups(store, flow.settings) if decl.lookups else None

    for case, carrier in records:  # the first record that does not hold the sample already
        current = _get(output(pipe, {**case.inputs, source.dataset: [carrier]}), field)
        value = sample(flow, pipe, field, current)
        if not values_match(value, current):
            break
    else:
        pytest.fail(f"every fixture record already holds {value!r}: declare another example for {field!r}")

    written = decl.write_back(carrier, {field: value}, lookups)
    after = output(pipe, {**case.inputs, source.dataset: [written]})
    assert values_match(unflatten({field: value}), {k: after[k] for k in unflatten({field: value})}), (
        f"{flow_name}: the setter of {field!r} wrote {value!r}, the pipe reads back {_get(after, field)!r}"
    )
    assert carrier in case.inputs[source.dataset], "the setter changed the carrier it was given"


def _get(row: dict[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        value = (value or {}).get(part)
    return value


def test_every_flow_has_round_trip_cases() -> None:
    assert {f for f, _ in CASES} | OWN_SINK == set(PROJECT.flows.names)


@pytest.mark.parametrize("field", ["quantity", "unit_price", "discount_percent"])
def test_the_line_pipe_reads_back_what_a_line_setter_wrote(field: str) -> None:
    """The order lines' setters write a ``QuoteLine`` carrier (inside its sale's quote row, as pulled)."""
    flow = PROJECT.flow("quoteline_orderline")
    decl = flow.declaration
    assert decl is not None and {r.name for r in flow.fields if r.to_a} == set(decl.setters)
    pipe = a_pipe(flow)
    case = load_cases(pipe.test_path)[0]
    quote = case.inputs["superoffice_quote"][0]
    line = dict(quote["Lines"][0])
    value = decl.examples[field]
    decl.setters[field](line, value)
    written = {**quote, "Lines": [line, *quote["Lines"][1:]]}
    result = run_case(pipe.name, pipe.sql, PipeTestCase("probe", {**case.inputs, "superoffice_quote": [written]},
                                                        [{"_id": "<none>"}]))  # fmt: skip
    assert result.error is None, result.error
    row = next(r for r in result.unexpected if r["_id"] == str(line["QuoteLineId"]))
    assert values_match(value, row[field]) and not values_match(value, _field_of(quote["Lines"][0], field))


def _field_of(line: dict[str, Any], field: str) -> Any:
    return line[{"quantity": "Quantity", "unit_price": "UnitListPrice", "discount_percent": "DiscountPercent"}[field]]
