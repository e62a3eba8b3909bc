"""Mutated device requests get an answer below 500 on a connection that stays usable (finding 11: a byte-flipped
/register envelope got a 500, a truncated /logs one a dropped connection); bodies, methods, paths and headers."""

from __future__ import annotations

import http.client
import socket
import time
from collections import Counter
from collections.abc import Iterator

from evesim.controller import Controller
from tests.controller.conftest import Device

from .mutations import Request, mutations, seeds


def _mutated(device: Device, onboard, count: int, seed: int) -> Iterator[Request]:
    return mutations(seeds(device.uuid, device.token, device.seal, onboard), device.seal, count, seed)


def test_the_mutations_cover_every_path_method_and_part(onboard, device: Device) -> None:
    valid = seeds(device.uuid, device.token, device.seal, onboard)
    made = list(_mutated(device, onboard, 5_000, seed=1))
    assert {path for path, _ in valid} <= {r.path for r in made}
    assert {r.method for r in made} == {"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST"}
    assert sum(r.path not in dict(valid) for r in made) > 400 and sum("X-" in "".join(r.headers) for r in made) > 50


def test_the_core_answers_every_mutation_below_500(ctl: Controller, onboard, device: Device) -> None:
    statuses = Counter(ctl.handle(r.method, r.path, r.body, r.headers).status
                       for r in _mutated(device, onboard, 10_000, seed=11))
    assert max(statuses) < 500, statuses
    assert statuses[400] > 1000 and statuses[401] > 100, "the mutations reach the checks"


def test_over_http_every_mutation_gets_a_4xx_on_one_kept_connection(ctl: Controller, onboard, device: Device,
                                                                    served: str) -> None:
    host, port = served.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    statuses: Counter[int] = Counter()
    for r in _mutated(device, onboard, 3_000, seed=12):
        conn.request(r.method, r.path, r.body, r.headers)
        response = conn.getresponse()
        response.read()
        statuses[response.status] += 1
        assert not response.will_close, f"{r}: the server closed the connection after {response.status}"
    conn.close()
    assert max(statuses) < 500, statuses


def test_a_body_declared_too_large_is_refused_before_it_is_sent(served: str) -> None:
    host, port = served.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /api/v2/edgedevice/register HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/x-proto-binary\r\nContent-Length: 10000000000\r\n\r\n0123456789")
        started = time.monotonic()
        answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.1 413 ") and time.monotonic() - started < 1.0
