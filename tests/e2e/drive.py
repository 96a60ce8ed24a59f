"""How the end-to-end tests drive the real ``sluice sync`` CLI: in a subprocess, configured by the environment
alone, run to its end or killed with SIGKILL at any moment.

Rule: helpers only run syncs and report what happened; they assert nothing about the data (observe.py looks,
the tests judge). Shared by the kill test and the soak campaign (tests/soak).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess

from tests.e2e.conftest import REPO

SLUICE_SYNC = [str(REPO / ".venv" / "bin" / "sluice"), "sync", "--json"]


def start_cli_sync(env: dict[str, str], *args: str) -> subprocess.Popen:
    """``sluice sync --json`` as an operator starts it, configured by ``env`` alone."""
    return subprocess.Popen([*SLUICE_SYNC, *args], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill(proc: subprocess.Popen) -> bool:
    """SIGKILL; True when the process was still running (the kill really interrupted something)."""
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    return alive


def kill_after(env: dict[str, str], seconds: float) -> bool:
    """Start a CLI sync and SIGKILL it after ``seconds`` (True when it was still running then)."""
    proc = start_cli_sync(env)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=seconds)
    return kill(proc)


def run_cli_sync(env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """A CLI sync run to its end; the caller checks the return code."""
    return subprocess.run(SLUICE_SYNC, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
