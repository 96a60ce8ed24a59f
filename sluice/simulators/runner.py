"""Run a simulator app: in the foreground for the CLI, or in a background thread for tests and the demo.

Rule: servers bind 127.0.0.1 only. A background server binds its socket before it starts,
so a caller that asked for port 0 learns the real port at once, with no race.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

HOST = "127.0.0.1"


class ServerThread:
    """A uvicorn server in a daemon thread; ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, app: object, port: int = 0, log_level: str = "warning") -> None:
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without
        # it every keep-alive answer waits ~40 ms for a delayed ACK (Nagle), 10-50x slower on loopback.
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, port))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level=log_level, access_log=False, timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 20.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"simulator on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(app: object, port: int, log_level: str = "info") -> None:
    """Serve in the foreground until Ctrl-C (the ``sluice simulate`` commands)."""
    uvicorn.run(app, host=HOST, port=port, log_level=log_level)
