"""The project facade: one sync of a dataset root at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.project import Project, SyncBusyError

REPO = Path(__file__).resolve().parents[1]


def test_a_second_sync_of_the_same_root_waits_then_fails_clearly(tmp_path: Path) -> None:
    first, second = Project.open(REPO, datasets=tmp_path), Project.open(REPO, datasets=tmp_path)
    with first.sync_lock(), pytest.raises(SyncBusyError, match="another sync"), second.sync_lock(timeout=0.1):
        pass
    with second.sync_lock(timeout=0.1):  # released when the first finished
        pass


def test_syncs_of_different_roots_do_not_wait_for_each_other(tmp_path: Path) -> None:
    a, b = Project.open(REPO, datasets=tmp_path / "a"), Project.open(REPO, datasets=tmp_path / "b")
    with a.sync_lock(), b.sync_lock(timeout=0.1):
        pass
