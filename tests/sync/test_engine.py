"""FlowRunner over both simulators (real HTTP): what it makes durable before and after it sends."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.sync.state import FlowState
from tests.e2e.conftest import start_systems
from tests.e2e.observe import customers_per_contact

pytestmark = pytest.mark.slow


def test_creates_are_journaled_as_intents_so_a_lost_answer_is_looked_up_next_run(tmp_path: Path):
    systems, _ = start_systems(contacts=12, customers=3)
    try:
        with systems.project(tmp_path / "datasets") as project:
            systems.faults(drop_rate=1.0, methods=["POST"])  # every create lands, every answer is lost
            first = project.sync()
            systems.clear_faults()
            [flow] = first.flows
            assert flow.creates > 0 and flow.sinks[0].created == 0

            state = FlowState(project.store, project.flow("contact_customer"), project.sync_state)
            created = {c["external_refs"]["superoffice_contact_id"] for c in systems.customers() if c["external_refs"]}
            assert state.pending_intents() >= created - set(state.links)  # each landed create is looked up next run
            assert state.pending_intents(), "some creates landed without a link"

            systems.edit_contact(sorted(state.pending_intents(), key=int)[0], Name="Renamed after the lost answer AS")
            second = project.sync()
            assert second.flows[0].dead_letters == 0
            assert customers_per_contact(systems) == {str(i): 1 for i in systems.contact_ids()}
            after = FlowState(project.store, project.flow("contact_customer"), project.sync_state)
            assert after.pending_intents() == set()
            names = {c["company_name"] for c in systems.customers()}
            assert "Renamed after the lost answer AS" in names
    finally:
        systems.stop()
