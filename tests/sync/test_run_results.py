"""A push run's result handed to its sync run through the root's ``.sync`` state (``run_results.py``), on a
local root and on an S3 root (moto on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.datasets import DatasetStore
from sluice.errors import SluiceError
from sluice.sync.run_results import result_name, save_push_result, take_push_result
from tests.datasets.conftest import AWS_VARIABLES
from tests.datasets.s3server import MotoS3

RESULT = {"flow": "contact_customer", "creates": 3, "sinks": [{"sink": "customwebshop.customers", "created": 3}],
          "planned_at": dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC), "waits": []}  # fmt: skip


@pytest.fixture(scope="module")
def s3_server() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatasetStore]:
    root: Path | str = tmp_path / "datasets"
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        for name in AWS_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        root = f"s3://{server.new_bucket()}/datasets"
    with DatasetStore(root) as store:
        yield store


def test_the_sync_run_reads_what_the_push_run_wrote_once(store: DatasetStore) -> None:
    save_push_result(store.side_files(".sync"), "sync-run-1", "contact_customer", RESULT)
    state = store.side_files(".sync")  # a fresh handle, as on the other machine
    assert take_push_result(state, "sync-run-1", "contact_customer", "push-run-9") == RESULT
    assert state.read(result_name("sync-run-1", "contact_customer")) is None  # taken: the root keeps no litter


def test_results_of_other_runs_and_dataflows_do_not_mix(store: DatasetStore) -> None:
    state = store.side_files(".sync")
    save_push_result(state, "sync-run-1", "contact_customer", RESULT)
    save_push_result(state, "sync-run-2", "contact_customer", {**RESULT, "creates": 7})
    save_push_result(state, "sync-run-1", "product_product", {**RESULT, "flow": "product_product"})
    assert take_push_result(state, "sync-run-2", "contact_customer", "p2")["creates"] == 7
    assert take_push_result(state, "sync-run-1", "contact_customer", "p1")["creates"] == 3
    assert take_push_result(state, "sync-run-1", "product_product", "p3")["flow"] == "product_product"


def test_a_missing_result_is_an_error_naming_the_push_run(store: DatasetStore) -> None:
    with pytest.raises(SluiceError, match=r"push contact_customer \(flow run push-run-9\).*left no result"):
        take_push_result(store.side_files(".sync"), "sync-run-1", "contact_customer", "push-run-9")


@pytest.mark.parametrize("data", [b'{"flow": "contact_customer", "res', b'{"flow": "other", "result": {}}', b"[1]"])
def test_a_damaged_result_is_an_error_naming_the_push_run_and_stays(store: DatasetStore, data: bytes) -> None:
    state = store.side_files(".sync")
    state.write(result_name("sync-run-1", "contact_customer"), data)
    with pytest.raises(SluiceError, match=r"push contact_customer \(flow run push-run-9\).*(damaged|not one)"):
        take_push_result(state, "sync-run-1", "contact_customer", "push-run-9")
    assert state.read(result_name("sync-run-1", "contact_customer")) == data  # kept for whoever looks into it
