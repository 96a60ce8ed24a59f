"""How the end-to-end tests drive a sync: in process until a run sticks, or as the real ``sluice sync`` CLI in
a subprocess that can be killed with SIGKILL at any moment.

Rule: helpers only run syncs and report what happened; they assert nothing about the data (observe.py looks,
the tests judge). Shared by the fault and kill tests and the soak campaign (tests/soak).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess

import requests

from sluice.errors import SluiceError
from sluice.project import Project
from tests.e2e.conftest import REPO, Systems

SLUICE_SYNC = [str(REPO / ".venv" / "bin" / "sluice"), "sync", "--json"]


def sync_until_settled(project: Project, *, full: bool = False, max_runs: int = 20) -> list[str]:
    """Sync again and again, as a scheduler would, until a run completes with no transient failure.

    Returns what went wrong on the way (aborted runs, failed pushes), so the test can show faults did bite."""
    trouble: list[str] = []
    for _ in range(max_runs):
        try:
            report = project.sync(full=full)
        except SluiceError as exc:  # a pull that ran out of retries aborts the run; the next one redoes it
            trouble.append(f"aborted: {exc}")
            continue
        transient = sum(s.failed - s.dead_lettered for f in report.flows for s in f.sinks)
        if transient == 0:
            return trouble
        trouble.append(f"{transient} failed pushes")
    raise AssertionError(f"no clean run after {max_runs} syncs: {trouble}")


def fault_count(systems: Systems) -> int:
    """Faults both simulators injected since their stats were last reset (the admin endpoints are never faulted)."""
    return sum(
        sum(requests.get(f"{server.url}/_admin/stats").json()["faults"].values())
        for server in (systems.so_server, systems.shop_server)
    )


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
