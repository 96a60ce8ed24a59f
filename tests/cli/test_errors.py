"""Every error the CLI meets is one line naming a log file that holds the traceback (typer's runner and a
real subprocess; real stores, real files, a real dead port)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sluice.cli.failures import redact, redact_argv
from sluice.cli.main import app
from sluice.datasets import DatasetStore

REPO = Path(__file__).resolve().parents[2]
LOG = re.compile(r"\(details: (\S+\.log)\)$")
runner = CliRunner()


def sluice(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def the_line(stderr: str) -> tuple[str, Path]:
    """The one line on stderr, and the log file it names (which must exist)."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    found = LOG.search(lines[0])
    assert found, lines[0]
    path = Path(found.group(1))
    assert path.is_file()
    return lines[0], path


@pytest.fixture(autouse=True)
def _own_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Logs of commands that know no dataset root go to the temp dir: this test's own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp"


def test_an_unknown_dataset(dataset_root: Path) -> None:
    code, out, err = sluice("datasets", "show", "nope")
    assert code == 1 and out == ""
    line, log = the_line(err)
    assert line.startswith("error: dataset 'nope': no such dataset under ")
    assert log.parent == dataset_root / ".sync" / "logs"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "DatasetError: dataset 'nope'" in text
    assert "Traceback" not in err


def test_a_corrupt_dataset_file(dataset_root: Path) -> None:
    with DatasetStore(dataset_root) as store:
        store.write("thing", [{"_id": str(i), "name": f"n{i}"} for i in range(3)])
    [part] = (dataset_root / "thing" / "log").glob("*.parquet")
    part.write_bytes(b"not parquet at all")
    code, _, err = sluice("datasets", "show", "thing")
    assert code == 1
    line, log = the_line(err)
    assert "cannot read the data" in line and str(part) in line and "restore it" in line
    assert "Traceback (most recent call last)" in log.read_text()


def test_an_unexpected_exception(tmp_path: Path, _own_temp_dir: Path) -> None:
    project = tmp_path / "broken"
    project.mkdir()
    (project / "sluice.toml").write_text("[paths]\npipes = 5\n")  # not a path: load_config fails unexpectedly
    code, _, err = sluice("pipes", "list", "--project", str(project))
    assert code == 1
    line, log = the_line(err)
    assert line.startswith("error: unexpected TypeError: ") and "please report it with the log file" in line
    assert log.parent == _own_temp_dir / "sluice-logs"  # no dataset root was known yet
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "sluice pipes list --project" in text


def test_debug_prints_the_traceback_too(dataset_root: Path) -> None:
    code, _, err = sluice("--debug", "datasets", "show", "nope")
    assert code == 1
    assert "Traceback (most recent call last)" in err
    assert err.splitlines()[-1].startswith("error: dataset 'nope'")


def test_secrets_are_redacted_from_lines_and_logs() -> None:
    env = {"SLUICE_CUSTOMWEBSHOP_API_KEY": "shop-key-0123", "SLUICE_SUPEROFFICE_URL": "https://x.example"}
    text = "GET https://u:pw-9876@h.example/a?api_key=abc&x=1 failed with shop-key-0123"
    clean = redact(text, env)
    assert clean.startswith("GET https://u:***@h.example/a?api_key=") and clean.endswith("&x=1 failed with ***")
    assert "pw-9876" not in clean and "abc" not in clean and "shop-key-0123" not in clean
    assert redact_argv(["simulate", "customwebshop", "--api-key", "k-1", "--client-secret=s-2", "--port", "1"]) == [
        "simulate", "customwebshop", "--api-key", "***", "--client-secret=***", "--port", "1",
    ]  # fmt: skip


@pytest.mark.slow
def test_a_dead_port_from_a_real_process(tmp_path: Path) -> None:
    """Off a terminal (pipes, CI) the line is not wrapped at 80 columns, and no secret shows anywhere."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens here
    tenant = "Cust12345-" + "a-tenant-whose-url-runs-well-past-eighty-columns" * 2
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_") and k != "COLUMNS"}
    env |= {
        "SLUICE_SUPEROFFICE_URL": f"http://sysuser:url-secret-4711@127.0.0.1:{port}/{tenant}",
        "SLUICE_SUPEROFFICE_AUTH": "basic",
        "SLUICE_SUPEROFFICE_USERNAME": "sysuser",
        "SLUICE_SUPEROFFICE_PASSWORD": "env-secret-0815",
        "SLUICE_CUSTOMWEBSHOP_URL": f"http://127.0.0.1:{port}",
        "SLUICE_CUSTOMWEBSHOP_API_KEY": "shop-secret-2024",
        "SLUICE_DATASETS": str(tmp_path / "datasets"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "sluice.cli.main", "sync", "--project", str(REPO)],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    line, log = the_line(done.stderr)
    assert f"http://sysuser:***@127.0.0.1:{port}/{tenant}/api/v1/Contact" in line
    assert "is the system up and its URL right?" in line
    assert log.parent == tmp_path / "datasets" / ".sync" / "logs"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and tenant in text
    for secret in ("url-secret-4711", "env-secret-0815", "shop-secret-2024"):
        assert secret not in done.stderr + done.stdout + text
