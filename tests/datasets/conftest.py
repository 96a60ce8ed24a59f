"""Fixtures for the dataset tests: every store test runs on a local root and on an S3 root (moto on
127.0.0.1), a store on that root, and company-shaped rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.datasets import DatasetStore

from .s3server import MotoS3

AWS_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


@pytest.fixture
def s3_root(s3_server: MotoS3, monkeypatch: pytest.MonkeyPatch) -> str:
    """``s3://<fresh bucket>/datasets``, with the AWS variables pointing at the local server."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return f"s3://{s3_server.new_bucket()}/datasets"


@pytest.fixture
def local_root(tmp_path: Path) -> Path:
    """A local root, for tests about the local layout's files themselves."""
    root = tmp_path / "datasets"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(params=["local", "s3"])
def dataset_root(request: pytest.FixtureRequest) -> Path | str:
    return request.getfixturevalue("local_root" if request.param == "local" else "s3_root")


@pytest.fixture
def store(dataset_root: Path | str) -> Iterator[DatasetStore]:
    with DatasetStore(dataset_root, lock_timeout=2.0) as store:
        yield store


def make_company(i: int, **changes: Any) -> dict[str, Any]:
    row = {
        "id": i,
        "name": f"Company {i}",
        "address": {"street": f"Storgata {i % 50}", "city": "Oslo"},
        "emails": [f"post{i}@example.com"],
        "employees": i % 40,
    }
    return {**row, **changes}


@pytest.fixture
def companies() -> Callable[..., list[dict[str, Any]]]:
    def build(n: int, start: int = 0, **changes: Any) -> list[dict[str, Any]]:
        return [make_company(i, **changes) for i in range(start, start + n)]

    return build
