"""The CLI with ``SLUICE_DATASETS=s3://bucket/prefix`` (moto's S3 server on 127.0.0.1): the same commands, the
same answers, and no AWS secret on a line or in a log file when something fails."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sluice.cli.failures import redact
from sluice.cli.main import app
from sluice.datasets import DatasetStore
from sluice.sync.state import DeadLetter, replace_dead_letters
from tests.datasets.s3server import SECRET_KEY, MotoS3

REPO = Path(__file__).resolve().parents[2]
LOG = re.compile(r"\(details: (\S+\.log)\)$")
runner = CliRunner()


@pytest.fixture(scope="module")
def s3() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


@pytest.fixture
def s3_root(s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in s3.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SLUICE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # where an S3 root's failure logs go
    (tmp_path / "tmp").mkdir()
    root = f"s3://{s3.new_bucket()}/prod/datasets"
    monkeypatch.setenv("SLUICE_DATASETS", root)
    monkeypatch.setenv("SLUICE_PROJECT", str(REPO))
    return root


def sluice(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def letter() -> DeadLetter:
    return DeadLetter(
        flow="contact_customer", key="b:update:7", target="customwebshop.customers", op="update", a_id="7",
        b_id="70", request={"email": "bad"}, status=422, response="{}", reason="email is not valid",
        first_failed="2026-12-01T10:00:00+00:00", last_failed="2026-12-01T10:00:00+00:00", attempts=1,
    )  # fmt: skip


def test_datasets_pipes_and_dead_letters_on_an_s3_root(s3_root: str, tmp_path: Path) -> None:
    rows = tmp_path / "customers.jsonl"
    rows.write_text("".join(json.dumps({"id": i, "name": f"Customer {i}"}) + "\n" for i in range(25)))
    code, out, err = sluice("datasets", "load", "customer", str(rows), "--key", "id", "--json")
    assert code == 0, err
    assert json.loads(out)["new"] == 25
    code, out, _ = sluice("datasets", "list", "--json")
    assert code == 0 and [(d["name"], d["live"]) for d in json.loads(out)] == [("customer", 25)]
    code, out, _ = sluice("datasets", "show", "customer", "--json")
    assert code == 0 and "Customer 19" in out

    with DatasetStore(s3_root) as store:
        replace_dead_letters(store, "contact_customer", [letter()], scope=None)
    code, out, _ = sluice("deadletters", "list", "--json")
    assert code == 0 and [d["reason"] for d in json.loads(out)] == ["email is not valid"]

    code, out, err = sluice("pipes", "list", "--json")  # the repository's pipes over the bucket's datasets
    assert code == 0, err
    assert "contact_customer_superoffice" in {p["name"] for p in json.loads(out)}
    assert not (REPO / "s3:").exists() and not Path("s3:").exists()  # no URL was taken for a local folder


def test_an_s3_failure_is_one_line_and_names_no_secret(
    s3_root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_DATASETS", "s3://no-such-bucket-for-sluice/datasets")
    code, out, err = sluice("datasets", "list")
    assert code == 1 and out == ""
    [line] = err.splitlines()
    assert "no-such-bucket-for-sluice" in line and "NoSuchBucket" in line
    log = Path(LOG.search(line).group(1))  # type: ignore[union-attr]
    assert log.parent == tmp_path / "tmp" / "sluice-logs"  # a bucket holds no log files
    for text in (line, log.read_text()):
        assert SECRET_KEY not in text


def test_aws_secrets_are_redacted() -> None:
    env = {"AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_SESSION_TOKEN": "a-session-token-value"}
    text = redact(f"failed with {SECRET_KEY} and a-session-token-value", env)
    assert SECRET_KEY not in text and "a-session-token-value" not in text and text.count("***") == 2
