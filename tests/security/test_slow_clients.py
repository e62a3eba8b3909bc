"""Slow clients cannot lock the fleet out (finding 6: uvicorn ran with no request deadline and no connection cap).

Hundreds of connections that trickle their headers are closed at the request deadline, and a device is served
meanwhile; past ``--max-connections`` new requests get 503 rather than a hang.
"""

from __future__ import annotations

import signal
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.backends.test_e2e import Process, _device_dir, _wait_for
from tests.controller import served as served_mod

pytestmark = pytest.mark.e2e


class Served(served_mod.Served):
    """``evesim controller serve`` and what a slow client needs of it."""

    def __init__(self, data: Path, *args: str) -> None:
        super().__init__(data, *args)
        self.host, port = (data / "server").read_text().strip().rsplit(":", 1)
        self.port = int(port)
        self.context = ssl.create_default_context(cafile=str(data / "root-certificate.pem"))

    def slow(self, source: str = "") -> ssl.SSLSocket:
        """A connection (from loopback address ``source``) that has sent part of a request line."""
        raw = socket.create_connection((self.host, self.port), timeout=10, source_address=(source, 0))
        sock = self.context.wrap_socket(raw, server_hostname=self.host)
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


@pytest.mark.parametrize("served", [("--max-connections-per-client", "10", "--request-timeout", "30")], indirect=True)
def test_one_address_cannot_take_every_connection(served: Served) -> None:
    hog = [served.slow("127.0.0.2") for _ in range(10)]
    refused = served.context.wrap_socket(socket.create_connection((served.host, served.port), timeout=10,
                                                                  source_address=("127.0.0.2", 0)),
                                         server_hostname=served.host)
    assert refused.recv(200).startswith(b"HTTP/1.1 429 Too Many Requests")
    assert served.ping() == (200, pytest.approx(0, abs=1.0)), "another address is served"
    hog.pop().close()
    time.sleep(0.2)
    served.slow("127.0.0.2").close()
    for sock in [*hog, refused]:
        sock.close()


@pytest.mark.parametrize("served", [("--request-timeout", "3")], indirect=True)
def test_a_real_device_onboards_and_polls_while_slow_clients_flood_the_controller(served: Served,
                                                                                    tmp_path: Path) -> None:
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            slow = [served.slow("127.0.0.3") for _ in range(300)]
            while not stop.is_set() and not all(_closed(sock) for sock in slow[:5]):
                for sock in slow:
                    try:
                        sock.sendall(b"X")
                    except OSError:
                        pass
                time.sleep(0.5)
            for sock in slow:
                sock.close()

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    dev = _device_dir(tmp_path, served.data)
    agent = Process(tmp_path / "agent.log", "agent", "--state-dir", str(dev))
    try:
        started = time.monotonic()
        _wait_for(lambda: '"attested"' in agent.output(), agent, "onboarding and attestation under the flood",
                  timeout=60)
        took = time.monotonic() - started
    finally:
        stop.set()
        thread.join(10)
        agent.terminate()
    # the agent waits 10 s after boot before its first request (as EVE's device-steps)
    assert took < 20, f"registration, a config poll and attestation took {took:.1f} s under the flood"
    answered = [e["fields"] for e in agent.events() if e["kind"] in ("register", "config_failed")]
    assert answered[0] == {"status": 201, "error": ""}
    assert all(a["status"] < 500 for a in answered), answered
