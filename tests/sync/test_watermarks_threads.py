"""Watermarks of one root written at once from threads (the sync flow's pulls run on a thread pool, each
task with its own ``Project`` and so its own ``Watermarks`` of the same file): none is lost or torn."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sluice.datasets.sidefiles import LocalSideFiles
from sluice.sync.pull import Watermarks


def test_concurrent_writers_of_one_file_lose_no_watermark(tmp_path: Path) -> None:
    folder = tmp_path / ".sync"

    def pull(dataset: str) -> None:
        marks = Watermarks(LocalSideFiles(folder))  # a task's own instance, as each opens its own project
        for n in range(40):
            marks.set(dataset, f"2026-12-01T12:00:{n:02d}Z")

    datasets = [f"dataset_{i}" for i in range(8)]
    with ThreadPoolExecutor(len(datasets)) as pool:
        list(pool.map(pull, datasets))
    assert Watermarks(LocalSideFiles(folder)).all() == {d: "2026-12-01T12:00:39Z" for d in datasets}
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]  # no temporary file left
