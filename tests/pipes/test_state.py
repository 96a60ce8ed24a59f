from __future__ import annotations

from pathlib import Path

from sluice.datasets.sidefiles import LocalSideFiles
from sluice.pipes.state import PipeState, StateFiles


def test_round_trip_and_currency(tmp_path: Path) -> None:
    files = StateFiles(LocalSideFiles(tmp_path / ".pipes"))
    assert files.read("out") is None
    state = PipeState("abc", {"raw": 10}, output_offset=5, ran_at="2026-11-26T08:00:00+00:00")
    files.write("out", state)
    assert files.read("out") == state
    assert state.is_current("abc", {"raw": 10}, 5)
    assert not state.is_current("abd", {"raw": 10}, 5)
    assert not state.is_current("abc", {"raw": 11}, 5)
    assert not state.is_current("abc", {"raw": 10}, 6)


def test_unreadable_state_means_rerun(tmp_path: Path) -> None:
    files = StateFiles(LocalSideFiles(tmp_path))
    (tmp_path / "out.json").write_text("{not json")
    assert files.read("out") is None
