"""Mutated device requests get a 4xx on a connection that stays usable (finding 11: a byte-flipped /register
envelope got a 500, a truncated /logs one a dropped connection)."""

from __future__ import annotations

import http.client
from collections import Counter
from collections.abc import Iterator

from evesim.controller import Controller
from tests.controller.conftest import Device

from .mutations import mutations, seeds

PROTO = {"Content-Type": "application/x-proto-binary"}


def _mutated(device: Device, onboard, count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    return mutations(seeds(device.uuid, device.token, device.seal, onboard), device.seal, count, seed)


def test_the_core_answers_every_mutation_below_500(ctl: Controller, onboard, device: Device) -> None:
    statuses = Counter(ctl.handle("POST", path, body, PROTO).status
                       for path, body in _mutated(device, onboard, 10_000, seed=11))
    assert max(statuses) < 500, statuses
    assert statuses[400] > 1000 and statuses[401] > 100, "the mutations reach the checks"


def test_over_http_every_mutation_gets_a_4xx_on_one_kept_connection(ctl: Controller, onboard, device: Device,
                                                                    served: str) -> None:
    host, port = served.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    statuses: Counter[int] = Counter()
    for path, body in _mutated(device, onboard, 3_000, seed=12):
        conn.request("POST", path, body, PROTO)
        response = conn.getresponse()
        response.read()
        statuses[response.status] += 1
        assert not response.will_close, f"{path}: the server closed the connection after {response.status}"
    conn.close()
    assert max(statuses) < 500, statuses
