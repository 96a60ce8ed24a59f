"""``make serve``'s parts that do not block: what it starts, and that it stops what it started."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.serve_local import child, plan, serve_command, server_command, stop, wait_healthy

REPO = Path(__file__).resolve().parents[2]


def test_without_a_configured_server_it_starts_one_on_localhost() -> None:
    target = plan({}, port=4711)
    assert target.start_server
    assert target.api_url == "http://127.0.0.1:4711/api"
    assert target.ui_url == "http://127.0.0.1:4711"
    command = server_command(4711)
    assert command[1:] == ["-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", "4711"]


def test_a_configured_server_is_used_and_not_started() -> None:
    target = plan({"PREFECT_API_URL": "http://prefect.internal:4200/api"})
    assert not target.start_server
    assert target.ui_url == "http://prefect.internal:4200"


def test_it_serves_the_sync_deployments_of_this_project() -> None:
    command = serve_command()
    assert command[1:4] == ["-m", "sluice.cli.main", "serve"]
    from sluice.cli.main import app

    assert "serve" in {c.name for c in app.registered_commands}


def test_a_child_is_terminated_when_the_block_ends() -> None:
    with child([sys.executable, "-c", "import time; time.sleep(60)"], {}, "sleeper") as process:
        assert process.poll() is None
    assert process.poll() is not None


def test_a_child_that_ignores_terminate_is_killed() -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    started = time.monotonic()
    stop(process, "stubborn", grace=0.5)
    assert process.returncode is not None and process.returncode < 0
    assert time.monotonic() - started < 10


def test_waiting_for_a_server_that_died_fails_at_once() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    with pytest.raises(RuntimeError, match="exited with code 3"):
        wait_healthy("http://127.0.0.1:9/api", process, timeout=30)


def test_sigterm_stops_the_children_too() -> None:
    """``make serve`` stopped by SIGTERM (not Ctrl-C) still stops what it started."""
    script = (
        "import sys\n"
        "from flows.serve_local import child, stop_on_sigterm\n"
        "stop_on_sigterm()\n"
        "try:\n"  # the signal may land as soon as the pid is printed: inside the try, as in serve_local.run
        "    with child([sys.executable, '-c', 'import time; time.sleep(60)'], {}, 'sleeper') as p:\n"
        "        print(p.pid, flush=True)\n"
        "        p.wait()\n"
        "except KeyboardInterrupt:\n"
        "    pass\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=REPO)
    assert parent.stdout is not None
    sleeper = int(parent.stdout.readline())
    parent.terminate()
    assert parent.wait(30) == 0
    assert not alive(sleeper)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
