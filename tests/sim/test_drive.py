"""The sim backend's driver: a handler that fails is reported with the device, the agent and the effect."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from evesim.agent import effects as fx
from evesim.sim import backend
from evesim.sim.ports import AgentHost
from evesim.sim.world import Group, World, WorldSpec


def _world() -> World:
    return World(WorldSpec(seed=3, groups=(Group("probe", 1),), power_on_spread_s=0.0))


def _agent(*effects: Any) -> Generator[Any, Any, list[Any]]:
    results = []
    for effect in effects:
        results.append((yield effect))
    return results


def test_a_failing_handler_names_the_device_the_agent_and_the_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(dev: AgentHost, eff: fx.ReadFile) -> bytes:
        raise OSError(5, "Input/output error")

    monkeypatch.setitem(backend.INSTANT, fx.ReadFile, broken)
    world = _world()
    world.devices[0].start_agent("zedagent", _agent(fx.Now(), fx.ReadFile("/persist/status/x")))
    with pytest.raises(fx.EffectFailed) as failed:
        world.run(1.0)
    message = str(failed.value)
    assert "probe-00000" in message and "zedagent" in message and "ReadFile(path='/persist/status/x')" in message
    assert "OSError: [Errno 5] Input/output error" in message


def test_an_unknown_effect_is_a_failed_effect() -> None:
    world = _world()
    world.devices[0].start_agent("nim", _agent(object()))
    with pytest.raises(fx.EffectFailed, match="nim.*cannot perform"):
        world.run(1.0)


def test_an_agent_that_raises_is_not_blamed_on_the_backend() -> None:
    def crashing() -> Generator[Any, Any, None]:
        yield fx.Now()
        raise RuntimeError("zedagent lost its mind")

    world = _world()
    world.devices[0].start_agent("zedagent", crashing())
    with pytest.raises(RuntimeError, match="lost its mind"):
        world.run(1.0)
