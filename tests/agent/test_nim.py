"""nim: DPC state from the port and the ``/ping`` answer; LED 1 → 2, and 1 while the address is gone."""

from __future__ import annotations

import pytest

from evesim.agent import effects as fx
from evesim.agent import nim, topics
from evesim.agent.topics import DpcState, Led, NetworkStatus

from .harness import Script
from .support import conn

UP = fx.Link(True, "10.0.0.2")


@pytest.mark.parametrize(
    "link, response, state, usable",
    [
        (fx.Link(False, None), None, DpcState.FAIL, False),
        (fx.Link(True, None), None, DpcState.IPDNS_WAIT, False),
        (UP, fx.Response(200), DpcState.SUCCESS, True),
        (UP, fx.Response(204), DpcState.SUCCESS, True),
        (UP, fx.Response(503), DpcState.REMOTE_WAIT, True),
        (UP, fx.Response(500), DpcState.REMOTE_WAIT, True),
        (UP, fx.Response(None, error="refused"), DpcState.REMOTE_WAIT, True),
        (UP, fx.Response(None, error="cert_invalid"), DpcState.REMOTE_WAIT, True),
        (UP, fx.Response(None, error="timeout"), DpcState.FAIL_WITH_IP_AND_DNS, True),
        (UP, fx.Response(404), DpcState.FAIL_WITH_IP_AND_DNS, True),
    ],
)
def test_dpc_state(link: fx.Link, response: fx.Response | None, state: DpcState, usable: bool) -> None:
    status = nim.classify(link, response)
    assert status.state is state and status.usable is usable


def test_pings_the_controller_and_publishes_success() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    script.run(nim.run(conn()), until=lambda s: s.bus.get(topics.LED) == Led.CONNECTING)
    assert script.bus.get(topics.NETWORK) == NetworkStatus(DpcState.SUCCESS, True)
    assert script.requests()[0] == fx.Request("GET", "/api/v2/edgedevice/ping", None, 15.0)
    assert script.published(topics.LED) == [Led.WAITING_FOR_IP, Led.CONNECTING]


def test_retests_every_port_test_interval_and_on_link_change() -> None:
    script = Script(responses={"ping": [fx.Response(None, error="timeout"), fx.Response(200)]})
    script.publish_at(42.0, topics.LINK, "10.0.0.2")
    script.run(nim.run(conn()), max_time=1000.0)
    times = [s.time for s in script.steps(fx.Request)]
    assert times[:3] == [0.0, 42.0, 342.0]
    assert script.bus.get(topics.NETWORK).state is DpcState.SUCCESS


def test_without_an_address_it_waits_and_stays_at_led_1() -> None:
    script = Script(link=fx.Link(True, None))
    script.run(nim.run(conn()), max_time=100.0)
    assert script.requests() == []
    assert script.bus.get(topics.LED) == Led.WAITING_FOR_IP
    assert [w.timeout for w in script.effects(fx.Wait)][:2] == [30.0, 30.0]


def _lose_address_at(script: Script, time: float) -> None:
    def lose() -> None:
        script.link = fx.Link(True, None)
        script.bus.publish(topics.LINK, None)
    script.at(time, lose)


def _regain_address_at(script: Script, time: float) -> None:
    def regain() -> None:
        script.link = UP
        script.bus.publish(topics.LINK, "10.0.0.2")
    script.at(time, regain)


def test_losing_the_address_shows_led_1_at_once_and_the_stored_value_comes_back() -> None:
    # EVE: pkg/pillar/types/ledmanagertypes.go DeriveLedCounter: no usable address shows 1 over zedagent's 4
    script = Script(responses={"ping": fx.Response(200)})
    script.publish_at(10.0, topics.LED, Led.ONBOARDED)
    _lose_address_at(script, 100.0)
    _regain_address_at(script, 200.0)
    script.run(nim.run(conn()), max_time=250.0)
    shown = [(s.time, s.effect.value) for s in script.steps(fx.Publish) if s.effect.topic == topics.LED]
    assert shown == [(0.0, Led.WAITING_FOR_IP), (0.0, Led.CONNECTING), (100.0, Led.WAITING_FOR_IP),
                     (200.0, Led.ONBOARDED)]


def test_a_value_set_while_there_is_no_address_is_kept_and_shown_when_it_returns() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    _lose_address_at(script, 100.0)
    script.publish_at(120.0, topics.LED, Led.CONNECTED)
    _regain_address_at(script, 200.0)
    agent = script.drive(nim.run(conn()))
    agent.run(max_time=150.0)
    assert script.bus.get(topics.LED) == Led.WAITING_FOR_IP
    agent.run(max_time=250.0)
    assert script.bus.get(topics.LED) == Led.CONNECTED


def test_the_address_returning_shows_at_least_2() -> None:
    script = Script(responses={"ping": fx.Response(200)}, link=fx.Link(True, None))
    _regain_address_at(script, 50.0)
    agent = script.drive(nim.run(conn()))
    agent.run(max_time=40.0)
    assert script.bus.get(topics.LED) == Led.WAITING_FOR_IP
    agent.run(max_time=100.0)
    assert script.bus.get(topics.LED) == Led.CONNECTING
    # the periodic test keeps its rhythm while nothing but nim's own 1 is on the bus
    assert [s.time for s in script.steps(fx.LinkStatus)] == [0.0, 30.0, 50.0]
