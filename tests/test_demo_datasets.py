"""The dataset demo runs end to end and reports exactly the edits it made."""

from __future__ import annotations

from pathlib import Path

from sluice.datasets import DatasetStore
from sluice.demo_datasets import main, run


def test_demo_counts_match_its_edits(dataset_root: Path) -> None:
    steps = dict(run(dataset_root, n=1000))
    assert steps["first load"].new == 1000
    assert steps["same data again"].appended == 0
    edited = steps["edited, full load"]
    assert edited.deleted == 5  # every 200th dropped
    assert edited.changed == 1000 // 50 - 5 + 1000 // 70 - 1000 // 350  # renamed or moved, not dropped
    assert DatasetStore(dataset_root).info("superoffice_contact").live == 995


def test_main_prints_a_table(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "demo")]) == 0
    assert "edited, full load" in capsys.readouterr().out
