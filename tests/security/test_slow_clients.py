"""Slow clients cannot lock the fleet out (finding 6: uvicorn ran with no request deadline and no connection cap).

Hundreds of connections that trickle their headers are closed at the request deadline, and a device is served
meanwhile; past ``--max-connections`` new requests get 503 rather than a hang.
"""

from __future__ import annotations

import signal
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.controller import served as served_mod

pytestmark = pytest.mark.e2e


class Served(served_mod.Served):
    """``evesim controller serve`` and what a slow client needs of it."""

    def __init__(self, data: Path, *args: str) -> None:
        super().__init__(data, *args)
        self.host, port = (data / "server").read_text().strip().rsplit(":", 1)
        self.port = int(port)
        self.context = ssl.create_default_context(cafile=str(data / "root-certificate.pem"))

    def slow(self) -> ssl.SSLSocket:
        """A connection that has sent part of a request line."""
        sock = self.context.wrap_socket(socket.create_connection((self.host, self.port), timeout=10),
                                        server_hostname=self.host)
        sock.sendall(b"POST /api/v2/edgedevice/id/x/config HTTP/1.1\r\nHost: x\r\n")
        return sock

    def ping(self) -> tuple[int, float]:
        started = time.monotonic()
        with httpx.Client(verify=self.context, timeout=10) as client:
            status = client.get(f"{self.url()}/api/v2/edgedevice/ping").status_code
        return status, time.monotonic() - started


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    server = Served(tmp_path, *request.param)
    yield server
    server.stop(signal.SIGTERM)


def _closed(sock: ssl.SSLSocket) -> bool:
    try:
        sock.settimeout(0.01)
        return sock.recv(1) == b""
    except (TimeoutError, ssl.SSLWantReadError, BlockingIOError):
        return False
    except OSError:
        return True


@pytest.mark.parametrize("served", [("--request-timeout", "2")], indirect=True)
def test_slow_connections_are_closed_at_the_deadline_and_devices_served_meanwhile(served: Served) -> None:
    slow = [served.slow() for _ in range(300)]
    for _ in range(2):
        for sock in slow:
            sock.sendall(b"X")  # a trickle: each byte would restart an idle timer, not the deadline
        status, took = served.ping()
        assert status == 200 and took < 1.0
        time.sleep(0.5)
    time.sleep(2.0)
    closed = sum(_closed(sock) for sock in slow)
    assert closed == len(slow), f"{closed} of {len(slow)} slow connections closed by the deadline"
    for sock in slow:
        sock.close()


@pytest.mark.parametrize("served", [("--max-connections", "20", "--request-timeout", "2")], indirect=True)
def test_past_the_connection_cap_requests_get_503_until_slow_ones_expire(served: Served) -> None:
    slow = [served.slow() for _ in range(25)]
    status, took = served.ping()
    assert status == 503 and took < 1.0
    time.sleep(2.5)
    assert served.ping()[0] == 200
    for sock in slow:
        sock.close()
