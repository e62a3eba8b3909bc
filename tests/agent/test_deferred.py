"""zedagent's deferred queue: replace, link backoff, per-item backoff, drop."""

from __future__ import annotations

import pytest

from evesim.agent import effects as fx
from evesim.agent.zedagent import deferred
from evesim.agent.zedagent.state import Zedagent
from evesim.api import envelope
from evesim.api.envelope import CryptoMode

from .harness import HARDWARE, Script
from .support import UUID, conn

INFO = f"/api/v2/edgedevice/id/{UUID}/info"


def _setup(*answers: fx.Response) -> tuple[Script, deferred.Queue, Zedagent]:
    script = Script(responses={"info": list(answers)})
    z = Zedagent(conn=conn(CryptoMode.TRUSTED), uuid=UUID, hardware=HARDWARE)
    return script, deferred.Queue(), z


def _put(script: Script, queue: deferred.Queue, key: str, payload: bytes) -> None:
    effect = queue.put(key, INFO, payload)
    script.bus.publish(effect.topic, effect.value)


def _payloads(script: Script) -> list[bytes]:
    return [envelope.open_envelope(r.body).payload for r in script.requests("info")]


def _times(script: Script) -> list[float]:
    return [s.time for s in script.steps(fx.Request)]


def test_sends_and_forgets_on_success() -> None:
    script, queue, z = _setup(fx.Response(201))
    _put(script, queue, "device", b"one")
    out = script.run(deferred.run(z, queue))
    assert out.stop == "blocked"
    assert _payloads(script) == [b"one"]
    assert queue.items == {}


def test_newer_payload_replaces_the_queued_one() -> None:
    script, queue, z = _setup(fx.Response(201))
    _put(script, queue, "device", b"old")
    _put(script, queue, "device", b"new")
    _put(script, queue, "app:1", b"app")
    script.run(deferred.run(z, queue))
    assert _payloads(script) == [b"new", b"app"]


def test_transport_failure_backs_off_the_queue_1_to_15_minutes() -> None:
    script, queue, z = _setup(fx.Response(None, error="timeout"))
    _put(script, queue, "device", b"x")
    script.run(deferred.run(z, queue), max_time=4000.0)
    assert script.sleeps()[:7] == [60, 120, 240, 480, 900, 900, 900]
    assert queue.items["device"].attempts == 0


def test_link_backoff_resets_after_a_success() -> None:
    timeout = fx.Response(None, error="timeout")
    script, queue, z = _setup(timeout, timeout, timeout, fx.Response(201), timeout)
    _put(script, queue, "device", b"x")
    script.at(1000.0, lambda: _put(script, queue, "device", b"y"))
    script.run(deferred.run(z, queue), max_time=1050.0)
    assert script.sleeps() == [60, 120, 240, 60]
    assert _times(script) == [0, 60, 180, 420, 1000]


@pytest.mark.parametrize("status", [401, 403, 407, 408, 429, 500, 502, 503, 504])
def test_retriable_refusal_backs_off_the_item_1_2_4_to_15_minutes(status: int) -> None:
    script, queue, z = _setup(fx.Response(status))
    _put(script, queue, "device", b"x")
    script.run(deferred.run(z, queue), max_time=4500.0)
    gaps = [b - a for a, b in zip(_times(script), _times(script)[1:], strict=False)]
    assert gaps[:6] == [60, 120, 240, 480, 900, 900]
    assert "device" in queue.items


@pytest.mark.parametrize("status", [400, 404, 405, 409, 413, 422])
def test_other_4xx_drops_the_item(status: int) -> None:
    script, queue, z = _setup(fx.Response(status))
    _put(script, queue, "device", b"x")
    out = script.run(deferred.run(z, queue), max_time=3600.0)
    assert out.stop == "blocked"
    assert len(script.requests()) == 1
    assert queue.items == {}
    (log,) = script.logs("info_dropped")
    assert log.severity == "error" and log.fields["status"] == status


def test_a_backed_off_item_does_not_hold_up_the_others() -> None:
    answers = {"device": fx.Response(503), "app": fx.Response(201)}
    script, queue, z = _setup()
    script.responses["info"] = lambda r: answers[envelope.open_envelope(r.body).payload.decode()]
    _put(script, queue, "device", b"device")
    script.at(10.0, lambda: _put(script, queue, "app:1", b"app"))
    script.run(deferred.run(z, queue), max_time=30.0)
    assert [(t, p) for t, p in zip(_times(script), _payloads(script), strict=False)] == [(0, b"device"), (10, b"app")]
    assert set(queue.items) == {"device"}
