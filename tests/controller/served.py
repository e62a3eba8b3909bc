"""A controller to test against: ``evesim controller serve`` as a subprocess, or an app served in a thread."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

CLI = [sys.executable, "-c", "from evesim.cli import main; main()"]


class Served:
    """``evesim controller serve --data DATA --port 0 ARGS`` as a subprocess, up once DATA/server is written."""

    def __init__(self, data: Path, *args: str) -> None:
        self.data = data
        for stale in ("server", "admin-server"):  # a previous run's files would pass for this one's
            (data / stale).unlink(missing_ok=True)
        self.process = subprocess.Popen([*CLI, "controller", "serve", "--data", str(data), "--port", "0", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not (data / "server").exists() or ("mtls" in args and not (data / "admin-server").exists()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start: {self.process.communicate()}")
            time.sleep(0.1)

    def url(self, name: str = "server") -> str:
        """``https://host:port`` from DATA/``name``."""
        return "https://" + (self.data / name).read_text().strip()

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        """Send ``sig`` and wait: the exit code and what serve wrote to stderr."""
        self.process.send_signal(sig)
        _, err = self.process.communicate(timeout=30)
        return self.process.returncode, err


@contextmanager
def in_thread(app: object) -> Iterator[str]:
    """``app`` served by uvicorn over plain HTTP on a free loopback port, in a thread: its ``http://host:port``."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",  # type: ignore[arg-type]
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
