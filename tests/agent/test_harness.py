"""The scripted-effects harness itself: clock, waits, scheduled actions, stops and resumption."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from evesim.agent import effects as fx

from .harness import EPOCH, Script


def _sleeper() -> Generator[Any, Any, list[float]]:
    seen = []
    for seconds in (5.0, 10.0, 20.0):
        yield fx.Sleep(seconds)
        seen.append((yield fx.Now()))
    return seen


def test_sleep_advances_the_clock_and_wall_clock_follows() -> None:
    script = Script()
    out = script.run(_sleeper())
    assert out == type(out)("returned", [5.0, 15.0, 35.0])
    assert script.now == 35.0

    def wall() -> Generator[Any, Any, float]:
        return (yield fx.WallClock())

    assert script.run(wall()).value == EPOCH + 35.0


def test_max_time_stops_inside_a_sleep_and_resumes_it() -> None:
    script = Script()
    agent = script.drive(_sleeper())
    assert agent.run(max_time=10.0).stop == "time"
    assert script.now == 10.0
    assert agent.run().value == [5.0, 15.0, 35.0]


def _waiter(timeout: float | None) -> Generator[Any, Any, tuple[int, float]]:
    version = yield fx.Wait(("t",), 0, timeout)
    return version, (yield fx.Now())


def test_wait_wakes_on_a_scheduled_publish() -> None:
    script = Script()
    script.publish_at(7.0, "t", 1)
    assert script.run(_waiter(100.0)).value == (1, 7.0)


def test_wait_times_out_and_ignores_other_topics() -> None:
    script = Script()
    script.publish_at(3.0, "other", 1)
    assert script.run(_waiter(10.0)).value == (1, 10.0)


def test_wait_without_timeout_or_actions_blocks_and_can_be_resumed() -> None:
    script = Script()
    agent = script.drive(_waiter(None))
    assert agent.run().stop == "blocked"
    script.bus.publish("t", "x")
    assert agent.run().value == (1, 0.0)


def test_until_and_limit_stop_the_run() -> None:
    script = Script()
    assert script.run(_sleeper(), until=lambda s: s.now >= 15.0).stop == "until"
    assert script.now == 15.0
    assert script.run(_sleeper(), limit=1).stop == "limit"


def test_requests_are_answered_by_action_and_queues_keep_their_last_answer() -> None:
    script = Script(responses={"config": [fx.Response(503), fx.Response(304)]})

    def poll() -> Generator[Any, Any, list[int | None]]:
        statuses = []
        for _ in range(3):
            statuses.append((yield fx.Request("POST", "/x/id/u/config", b"")).status)
        return statuses

    assert script.run(poll()).value == [503, 304, 304]
    with pytest.raises(AssertionError, match="unscripted"):
        script.run(_effects(fx.Request("GET", "/x/ping")))


def _effects(*effects: Any) -> Generator[Any, Any, None]:
    yield from effects


def test_reboot_stops_the_agent_for_good() -> None:
    script = Script()
    agent = script.drive(_effects(fx.Reboot("test"), fx.Sleep(1.0)))
    assert agent.run().stop == "reboot"
    with pytest.raises(AssertionError):
        agent.run()
