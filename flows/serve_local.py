"""``make serve``: a local Prefect server (unless one is configured), the demo simulators and ``sluice serve``.

Rule: stop everything it started, and only that: on Ctrl-C (or when ``sluice serve`` exits) each
child process is terminated by its own handle, the simulator threads are stopped, and a server
named by ``PREFECT_API_URL`` is left alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO

import requests
from rich.console import Console

from flows.demo import DEMO_DIR, REPO, prefect_settings, simulators

SERVE_DATASETS = DEMO_DIR / "serve-datasets"
"""The served syncs' dataset root: emptied at each start, because the simulators start afresh (in memory)
and links to their previous records would point at nothing. ``make demo``'s root stays untouched."""

SERVER_START_TIMEOUT = 180.0
"""Seconds to wait for ``prefect server start`` (its first start migrates a database: slow on a busy machine)."""


@dataclass(frozen=True)
class LocalPlan:
    """What ``make serve`` will start: a Prefect server (or not) and where its API and UI are."""

    api_url: str
    start_server: bool
    port: int | None = None

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/").removesuffix("/api")


def plan(environ: Mapping[str, str], port: int | None = None) -> LocalPlan:
    """Use the configured server when ``PREFECT_API_URL`` is set, else a new one on 127.0.0.1."""
    configured = environ.get("PREFECT_API_URL")
    if configured:
        return LocalPlan(configured, start_server=False)
    port = port or free_port()
    return LocalPlan(f"http://127.0.0.1:{port}/api", start_server=True, port=port)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(port: int) -> list[str]:
    return [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]


def serve_command() -> list[str]:
    return [sys.executable, "-m", "sluice.cli.main", "serve", "--project", str(REPO)]


@contextmanager
def child(
    command: list[str], env: Mapping[str, str], name: str, stdout: IO[bytes] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process that is terminated (then killed) when the block ends, however it ends; its output
    goes to ``stdout`` (both streams) when given, else to ours."""
    process = subprocess.Popen(
        command, env=dict(env), cwd=REPO, stdout=stdout, stderr=subprocess.STDOUT if stdout else None
    )
    try:
        yield process
    finally:
        stop(process, name)


def stop(process: subprocess.Popen[bytes], name: str, grace: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop within {grace:.0f} s; killing it", file=sys.stderr)
        process.kill()
        process.wait()


def wait_healthy(api_url: str, process: subprocess.Popen[bytes], timeout: float = SERVER_START_TIMEOUT) -> None:
    """Block until the server answers ``/health``; fail early when its process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server exited with code {process.returncode} before it was ready")
        try:
            if requests.get(f"{api_url}/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise TimeoutError(f"prefect server at {api_url} not ready after {timeout:.0f} s")


def run(console: Console) -> int:
    """Start the pieces, wait for ``sluice serve``; returns its exit code (130 after Ctrl-C)."""
    settings = prefect_settings()
    target = plan(os.environ)
    env = {**os.environ, **settings, "PREFECT_API_URL": target.api_url}
    with ExitStack() as stack:
        if target.start_server and target.port:
            console.print(f"starting a Prefect server on {target.ui_url} (PREFECT_HOME={settings['PREFECT_HOME']})")
            server = stack.enter_context(child(server_command(target.port), env, "prefect server"))
            wait_healthy(target.api_url, server)
        systems = stack.enter_context(simulators())
        shutil.rmtree(SERVE_DATASETS, ignore_errors=True)
        env.update(systems.env(SERVE_DATASETS))
        console.print(f"SuperOffice simulator: {systems.tenant_url}   shop simulator: {systems.shop.url}")
        console.print(f"datasets: {SERVE_DATASETS}")
        console.print(f"[bold]Prefect UI: {target.ui_url}[/bold]   (Ctrl-C stops everything started here)")
        served = stack.enter_context(child(serve_command(), env, "sluice serve"))
        try:
            return served.wait()
        except KeyboardInterrupt:
            console.print("stopping ...")
            return 130


def stop_on_sigterm() -> None:
    """Treat SIGTERM like Ctrl-C, so the children are stopped too (Python's default would skip cleanup)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


if __name__ == "__main__":
    stop_on_sigterm()
    sys.exit(run(Console()))
