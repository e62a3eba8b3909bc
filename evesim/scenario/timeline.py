"""Scheduling a scenario's timeline on a world: triggers (at, every, when) and the actions they run."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import assert_never

from evesim.controller.devconfig import ConfigError
from evesim.controller.netconfig import NetPort
from evesim.controller.rollout import stages
from evesim.scenario import model
from evesim.scenario.build import fault_rule
from evesim.scenario.fields import Target
from evesim.scenario.vocab import ActionName
from evesim.sim import faults, rng
from evesim.sim.campaigns import Launch
from evesim.sim.device import SimDevice
from evesim.sim.events import Event
from evesim.sim.world import World


def chosen(world: World, target: Target, draw: random.Random) -> list[str]:
    """The names of the devices a target names, in fleet order (random subsets drawn from ``draw``), also those
    another shard runs."""
    roster = world.roster
    if target.group is not None:
        roster = [(name, group) for name, group in roster if group == target.group]
    if target.devices is not None:
        wanted = set(target.devices)
        roster = [(name, group) for name, group in roster if name in wanted]
    k = target.count if target.count is not None else (
        round(target.fraction * len(roster)) if target.fraction is not None else None)
    if k is not None:
        picked = set(draw.sample(range(len(roster)), min(k, len(roster))))
        roster = [entry for i, entry in enumerate(roster) if i in picked]
    return [name for name, _ in roster]


def select(world: World, target: Target, draw: random.Random) -> list[SimDevice]:
    """The devices of this world a target names, in fleet order (random subsets drawn from ``draw``)."""
    return [world.by_name[name] for name in chosen(world, target, draw) if name in world.by_name]


class Timeline:
    """Arms every action of a scenario on a world."""

    def __init__(self, world: World, scenario: model.Scenario) -> None:
        self.world = world
        self.scenario = scenario
        self.fired: list[tuple[float, int, ActionName]] = []

    def arm(self) -> None:
        """Schedule every action."""
        for index, action in enumerate(self.scenario.timeline):
            if action.when is not None:
                self._arm_when(index, action, action.when)
            else:
                self._arm_time(index, action)

    def _delay(self, action: model.AnyAction, *names: str) -> float:
        if not action.jitter:
            return action.delay
        return action.delay + action.jitter * rng.stream(self.world.seed, "jitter", *names).random()

    def _arm_time(self, index: int, action: model.AnyAction) -> None:
        start = (action.at or 0.0) + self._delay(action, str(index))
        every = action.every
        if every is None:
            self.world.at(start, lambda: self.run(index, action))
            return
        until = action.until if action.until is not None else float("inf")

        def tick(k: int = 0) -> None:
            self.run(index, action, str(k))
            if (action.at or 0.0) + (k + 1) * every <= until:
                self.world.at(every, lambda: tick(k + 1))

        if start <= until:
            self.world.at(start, tick)

    def _arm_when(self, index: int, action: model.AnyAction, when: model.When) -> None:
        devices = {d.name for d in select(self.world, when.target, rng.stream(self.world.seed, "when", str(index)))}
        hits: dict[str, int] = {}
        fired = 0

        def listener(event: Event) -> bool:
            nonlocal fired
            if event.kind != when.event or event.device not in devices or hits.get(event.device, 0) >= when.per_device:
                return False
            data = event.data()
            if any(data.get(k) != v for k, v in when.fields.items()):
                return False
            hits[event.device] = hits.get(event.device, 0) + 1
            fired += 1
            name = f"{event.device}/{hits[event.device]}"
            self.world.at(self._delay(action, str(index), name), lambda: self.run(index, action, name, event.device))
            return when.limit is not None and fired >= when.limit

        self.world.log.listen(listener)

    def run(self, index: int, action: model.AnyAction, repeat: str = "0", device: str | None = None) -> None:
        """Perform one action now (on the triggering ``device`` when it has no target of its own)."""
        world = self.world
        draw = rng.stream(world.seed, "timeline", str(index), repeat)
        if device is not None and "target" in type(action).model_fields and "target" not in action.model_fields_set:
            action = action.model_copy(update={"target": Target(devices=[device])})
        self.fired.append((world.env.now, index, action.action))
        world.log.append(world.env.now, "world", "timeline", "action",
                         {"index": index, "action": action.action, "trigger_device": device or ""}, owner=device or "")
        perform(world, action, draw)


DeviceAction = (model.SetConfigItems | model.PowerCut | model.PowerOn | model.Brownout | model.LinkDown
                | model.NetworkConfig | model.NetworkFaultAction | model.FillPersist | model.TpmFault
                | model.HangAgent | model.ClockJump | model.Update | model.RetryUpdate | model.Reboot
                | model.DeployApp | model.AppCommand)
"""The actions done to each device of their target, one by one."""


def perform(world: World, action: model.AnyAction, draw: random.Random) -> None:
    """Do ``action`` now: to the world, or to each device of its target (drawn from ``draw``)."""
    match action:
        case model.Partition():
            faults.partition(world, list(action.nodes), list(action.links), action.duration)
        case model.ControllerDown():
            faults.controller_down(world, action.duration)
        case model.ControllerFault():
            _controller_fault(world, action)
        case model.Rollout():
            _rollout(world, action, draw)
        case _:
            for device in select(world, action.target, draw):
                _on_device(world, device, action)


def _on_device(world: World, device: SimDevice, action: DeviceAction) -> None:
    """Do a per-device action to ``device``."""
    match action:
        case model.SetConfigItems():
            _at_controller(world, device, action, lambda uuid: world.core.set_config_items(uuid, dict(action.items)))
        case model.PowerCut():
            restore = action.restore_after
            faults.power_cut(world, device, None if restore is None else
                             restore + action.restore_jitter * device.rng("restore").random())
        case model.PowerOn():
            device.power_on()
        case model.Brownout():
            faults.brownout(world, device, action.cycles, action.on, action.off)
        case model.LinkDown():
            faults.link_down(world, device, action.duration, action.port)
        case model.NetworkConfig():
            ports = [NetPort(p.name, p.mgmt, p.cost, p.addressing, p.adapter, p.proxy or "", p.exceptions, p.address,
                             p.subnet, p.gateway, tuple(p.dns))
                     for p in action.ports]
            _at_controller(world, device, action, lambda uuid: world.core.set_ports(uuid, ports))
        case model.NetworkFaultAction():
            faults.network_fault(world, device, action.fault, action.mtu if action.fault == "mtu" else 0,
                                 action.duration)
        case model.FillPersist():
            faults.fill_persist(world, device, action.free, action.duration)
        case model.TpmFault():
            faults.tpm_fault(device, action.fault == "encryption")
        case model.HangAgent():
            faults.hang_agent(device, action.agent)
        case model.ClockJump():
            faults.clock_jump(device, action.seconds)
        case model.Update():
            _at_controller(world, device, action, lambda uuid: _update(world, uuid, action))
        case model.RetryUpdate():
            counter = action.counter
            _at_controller(world, device, action, lambda uuid: world.core.retry_update(uuid, counter))
        case model.Reboot():
            _at_controller(world, device, action, world.core.reboot)
        case model.DeployApp():
            world.deploy_app(device, action.app, action.activate)
        case model.AppCommand():
            world.app_command(device, action.app, action.action.removesuffix("_app"))
        case _:
            assert_never(action)


def _at_controller(world: World, device: SimDevice, action: DeviceAction, edit: Callable[[str], object]) -> None:
    """An edit of the device's config at the controller (once it onboarded); one the controller refuses (a
    retry with no base OS set) is logged as ``refused``, as an operator would see it."""

    def attempt(uuid: str) -> None:
        try:
            edit(uuid)
        except ConfigError as exc:
            world.log.append(world.env.now, device.name, "controller", "refused",
                             {"action": action.action, "error": str(exc)}, "warning")

    world.for_device(device, attempt)


def _update(world: World, uuid: str, action: model.Update) -> int:
    image = world.images[world.image_url(action.version)]
    return world.core.set_base_os(uuid, action.version, url=world.image_url(action.version), sha256=image.sha256,
                                  size_bytes=image.size_bytes, activate=action.activate)


def _rollout(world: World, action: model.Rollout, draw: random.Random) -> None:
    """A rollout campaign on the controller, launched at the first boundary from now and ticked at each after
    (``evesim.sim.campaigns``)."""
    world.campaigns.request(Launch(tuple(chosen(world, action.target, draw)), action.version,
                                   batch_size=stages(action.batch_size), batch_fraction=stages(action.batch_fraction),
                                   wait_s=action.wait, deadline_s=action.deadline,
                                   halt_failure_rate=action.halt_failure_rate))


def _controller_fault(world: World, action: model.ControllerFault) -> None:
    now = world.env.now
    end = now + action.duration if action.duration is not None else None
    faults.controller_fault(world, fault_rule(action.rule, start=now, end=end))
