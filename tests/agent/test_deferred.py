"""zedagent's deferred queue: replace, link backoff, per-item backoff, drop."""

from __future__ import annotations

import pytest

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.topics import DpcState, NetworkStatus
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


def test_transport_failure_ends_the_pass_and_the_ticker_backs_off_1_to_15_minutes() -> None:
    script, queue, z = _setup(fx.Response(None, error="timeout"))
    _put(script, queue, "device", b"x")
    _put(script, queue, "app:1", b"y")
    script.run(deferred.run(z, queue), max_time=4000.0)
    # the two puts' kicks fill the one tick slot: one pass, which stops at the first item
    assert _times(script)[:7] == [0, 60, 180, 420, 900, 1800, 2700]
    assert _payloads(script)[:3] == [b"x", b"x", b"x"]
    assert queue.items["device"].attempts == 0


def test_ticker_noise_is_plus_or_minus_30_s_from_the_device_random_stream() -> None:
    script, queue, z = _setup(fx.Response(None, error="timeout"))
    script.random = [0.0, 1.0, 0.0]
    _put(script, queue, "device", b"x")
    script.run(deferred.run(z, queue), max_time=400.0)
    assert _times(script) == [0, 30, 180, 390]
    assert {r.stream for r in script.effects(fx.Random)} == {"deferred"}


def test_a_good_pass_does_not_reset_the_ticker() -> None:
    # EVE: pkg/pillar/controllerconn/deferred.go handleDeferred: only an empty queue (stopTimer) resets the backoff
    answers = {"held": fx.Response(503), "other": fx.Response(201)}
    script, queue, z = _setup()
    script.responses["info"] = lambda r: answers[envelope.open_envelope(r.body).payload.decode()]
    _put(script, queue, "held", b"held")
    script.at(100.0, lambda: _put(script, queue, "app:1", b"other"))
    script.run(deferred.run(z, queue), max_time=1000.0)
    held = [t for t, p in zip(_times(script), _payloads(script), strict=True) if p == b"held"]
    assert held == [0, 60, 180, 420, 900]


def test_a_put_kicks_a_pass_at_once_even_during_backoff() -> None:
    timeout = fx.Response(None, error="timeout")
    script, queue, z = _setup(timeout, timeout, timeout, fx.Response(201), timeout)
    _put(script, queue, "device", b"x")
    script.at(200.0, lambda: _put(script, queue, "device", b"y"))
    script.run(deferred.run(z, queue), max_time=1050.0)
    assert _times(script) == [0, 60, 180, 200]
    assert queue.items == {}


def test_same_bytes_keep_the_retry_state_new_bytes_reset_it() -> None:
    script, queue, z = _setup(fx.Response(503), fx.Response(201))
    _put(script, queue, "device", b"x")
    script.at(10.0, lambda: _put(script, queue, "device", b"x"))
    script.run(deferred.run(z, queue), max_time=30.0)
    assert _times(script) == [0]
    assert queue.items["device"].attempts == 1
    script.at(40.0, lambda: _put(script, queue, "device", b"z"))
    script.run(deferred.run(z, queue), max_time=50.0)
    assert _times(script) == [0, 40]
    assert queue.items == {}


def test_a_put_during_a_pass_inherits_nothing_and_runs_another_pass() -> None:
    # EVE: pkg/pillar/controllerconn/deferred.go handleDeferred takes the items out of the queue for the pass,
    # so SetDeferred then finds no item to inherit the retry state from
    script, queue, z = _setup(fx.Response(503), fx.Response(201))
    script.latency = 5.0
    _put(script, queue, "device", b"x")
    script.at(2.0, lambda: _put(script, queue, "device", b"x"))
    script.run(deferred.run(z, queue), max_time=50.0)
    assert _times(script) == [5, 10]  # answered after the 5 s latency
    assert queue.items == {}


def test_an_item_whose_retry_time_came_waits_for_the_next_tick() -> None:
    script, queue, z = _setup(fx.Response(503), fx.Response(201))
    script.random = [1.0]
    _put(script, queue, "device", b"x")
    script.run(deferred.run(z, queue), max_time=200.0)
    assert queue.items == {}
    assert _times(script) == [0, 90]


def test_dpc_success_kicks_the_queue_within_a_minute() -> None:
    script, queue, z = _setup(fx.Response(None, error="timeout"))
    script.bus.publish(topics.NETWORK, NetworkStatus(DpcState.FAIL_WITH_IP_AND_DNS, True))
    _put(script, queue, "device", b"x")
    script.publish_at(200.0, topics.NETWORK, NetworkStatus(DpcState.SUCCESS, True))
    script.run(deferred.run(z, queue), max_time=300.0)
    # restarted from 1 s, clamped to noise/2: the first five ticks are uniform over 0-60 s (30 s at a draw of 0.5)
    assert _times(script) == [0, 60, 180, 230, 260, 290]


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
