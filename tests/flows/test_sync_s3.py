"""The ``sync`` flow with ``SLUICE_DATASETS=s3://...`` (moto's S3 server on 127.0.0.1), its AWS keys in
Prefect Secret blocks only, as a worker without an AWS profile would run it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.demo import DemoSystems, edit_both_sides, simulators
from sluice.datasets import DatasetStore
from tests.datasets.s3server import ACCESS_KEY, SECRET_KEY, MotoS3

REPO = Path(__file__).resolve().parents[2]
KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


@pytest.fixture
def s3_systems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[DemoSystems, str]]:
    with MotoS3() as s3, simulators(contacts=30, customers=8, seed=7) as demo:
        root = f"s3://{s3.new_bucket()}/datasets"
        for key, value in (demo.env(root) | s3.env | {"SLUICE_CACHE": str(tmp_path / "cache")}).items():  # type: ignore[arg-type]
            monkeypatch.setenv(key, value)
        for key in KEYS:  # set, then removed: the test's end removes what the flow exported from the blocks
            monkeypatch.delenv(key)
        for key in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(key, raising=False)
        yield demo, root


def run_sync() -> dict[str, Any]:
    from flows.sync import sync

    state = sync(project_dir=str(REPO), return_state=True)
    assert state.is_completed(), state.message
    return state.result()


@pytest.mark.slow
def test_the_flow_syncs_an_s3_root_with_the_aws_keys_from_secret_blocks(
    prefect_server: str, s3_systems: tuple[DemoSystems, str]
) -> None:
    from prefect.blocks.system import Secret

    systems, root = s3_systems
    Secret(value=ACCESS_KEY).save("aws-access-key-id", overwrite=True)
    Secret(value=SECRET_KEY).save("aws-secret-access-key", overwrite=True)
    try:
        first = run_sync()
        assert first["flows"][0]["creates"] > 0
        edit_both_sides(systems)
        second = run_sync()
    finally:  # the other flow tests run without them
        Secret.delete("aws-access-key-id")
        Secret.delete("aws-secret-access-key")
    assert second["flows"][0]["updates_to_shop"] + second["flows"][0]["updates_to_superoffice"] > 0
    assert SECRET_KEY not in json.dumps([first, second], default=str)
    with DatasetStore(root) as store:  # the flow's datasets and state, in the bucket
        assert len(store.current_arrow("link_contact_customer")) == 30
        assert store.side_files(".sync").read("watermarks.json") is not None
        assert store.side_files(".pipes").read("contact_customer_superoffice.json") is not None
