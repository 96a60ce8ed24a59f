"""The state objects beside the datasets (``sidefiles.py``), on a local root and on an S3 root (moto)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from sluice.datasets import DatasetStore
from sluice.errors import DatasetLockedError


@pytest.fixture
def files(store: DatasetStore):
    return store.side_files(".sync")


def test_write_read_and_delete(files) -> None:
    assert files.read("watermarks.json") is None
    files.write("watermarks.json", b'{"a": "1"}')
    files.write("watermarks.json", b'{"a": "2"}')
    assert files.read("watermarks.json") == b'{"a": "2"}'
    files.delete("watermarks.json")
    files.delete("watermarks.json")  # deleting what is gone is fine
    assert files.read("watermarks.json") is None


def test_concurrent_updates_never_lose_one(files) -> None:
    def add(key: str) -> None:
        files.update("marks.json", lambda old: json.dumps({**json.loads(old or b"{}"), key: key}).encode())

    threads = [threading.Thread(target=add, args=(f"dataset_{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(json.loads(files.read("marks.json"))) == [f"dataset_{i}" for i in range(8)]


def test_appends_read_back_in_order_and_clear_together(files) -> None:
    assert files.read_appended("flow.journal.jsonl") == b""
    for i in range(5):
        files.append("flow.journal.jsonl", f"{i}\n".encode())
    assert files.read_appended("flow.journal.jsonl") == b"0\n1\n2\n3\n4\n"
    files.clear_appended("flow.journal.jsonl")
    assert files.read_appended("flow.journal.jsonl") == b""


def test_an_s3_clear_keeps_a_record_appended_after_the_read(s3_root: str) -> None:
    with DatasetStore(s3_root) as store:
        files = store.side_files(".sync")
        files.append("flow.journal.jsonl", b"folded\n")
        assert files.read_appended("flow.journal.jsonl") == b"folded\n"
        files.append("flow.journal.jsonl", b"appended while folding\n")  # another task of the run
        files.clear_appended("flow.journal.jsonl")
        assert files.read_appended("flow.journal.jsonl") == b"appended while folding\n"


def test_the_lock_has_one_holder(files) -> None:
    with files.lock("sync.lock", 1.0, "sync"), pytest.raises(DatasetLockedError):
        files.lock("sync.lock", 0.3, "sync").__enter__()
    with files.lock("sync.lock", 1.0, "sync"):  # released: free again
        pass


def test_the_state_is_not_a_dataset(store: DatasetStore, files) -> None:
    files.write("watermarks.json", b"{}")
    store.write("company", [{"id": 1}], key="id")
    assert store.names() == ["company"]


def test_an_s3_roots_cache_is_local_and_its_own(s3_root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_CACHE", str(tmp_path / "cache"))
    with DatasetStore(s3_root) as one, DatasetStore(s3_root + "-other") as other:
        mine = one.side_files(".sync").cache_dir
        assert mine.is_relative_to(tmp_path / "cache")
        assert mine != other.side_files(".sync").cache_dir
        assert mine == DatasetStore(s3_root).side_files(".sync").cache_dir  # the same root: the same cache
        prefix = s3_root.removeprefix("s3://").split("/", 1)[1]
        keys = [o["Key"] for o in one.storage.client.list(prefix + "/")]
        one.storage.client.delete(keys)  # the root wiped: its data, and the id of its cache
        assert DatasetStore(s3_root).side_files(".sync").cache_dir != mine
