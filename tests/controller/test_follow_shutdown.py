"""Ctrl-C on ``evesim controller serve`` while an operator follows a device's metrics (``--follow``).

The server ends the live stream cleanly and exits without a traceback; the follower says the stream ended and
exits 0 (it used to be cut after the graceful-shutdown timeout, with an ASGI traceback on the server's side).
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from evesim.controller.client import AdminClient

from . import eve_client as eve
from .test_serve_e2e import CLI, Served

pytestmark = pytest.mark.e2e


def _connections(port: int) -> int:
    """Established TCP connections to local ``port`` (Linux's ``/proc/net/tcp``)."""
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[3] == "01" and int(row[1].rsplit(":", 1)[1], 16) == port)


def test_ctrl_c_with_a_follower_attached_ends_both_cleanly(tmp_path: Path) -> None:
    served = Served(tmp_path / "ctrl")
    admin = AdminClient.resolve(None, served.data, None, None)
    _, cert = eve.self_signed("follow-1")
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    uuid = admin.call("POST", "/device", json={"Cert": pem, "Serial": "F-1"}).json()["uuid"]
    admin.close()
    follower = subprocess.Popen([*CLI, "controller", "metrics", uuid, "--follow", "--data", str(served.data)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while _connections(served.port) == 0:
            assert time.monotonic() < deadline and follower.poll() is None, "the follower never connected"
            time.sleep(0.1)
        served.process.send_signal(signal.SIGINT)
        out, _ = served.process.communicate(timeout=30)
        _, err = follower.communicate(timeout=30)
    finally:
        follower.kill()
        served.process.kill()
    # uvicorn re-raises the SIGINT once stopped: 130 (128 + SIGINT) where it has its default action, 0 where the
    # process inherited it ignored (started in the background by a non-interactive shell, as in CI)
    assert served.process.returncode in (0, 130)
    assert "Traceback" not in out.decode() and "ERROR" not in out.decode(), out.decode()
    assert follower.returncode == 0 and "the controller ended the stream" in err, err
