"""Scheduling a scenario's timeline on a world: triggers (at, every, when) and the actions they run."""

from __future__ import annotations

import random
from collections.abc import Callable

from evesim.controller.devconfig import ConfigError
from evesim.controller.rollout import stages
from evesim.scenario import model
from evesim.scenario.build import fault_rule
from evesim.sim import campaigns, faults, rng
from evesim.sim.device import SimDevice
from evesim.sim.events import Event
from evesim.sim.world import World


def select(world: World, target: model.Target, draw: random.Random) -> list[SimDevice]:
    """The devices a target names, in fleet order (random subsets drawn from ``draw``)."""
    devices = world.devices
    if target.group is not None:
        devices = [d for d in devices if d.group == target.group]
    if target.devices is not None:
        wanted = set(target.devices)
        devices = [d for d in devices if d.name in wanted]
    if target.fraction is not None or target.count is not None:
        k = target.count if target.count is not None else round(target.fraction * len(devices))
        chosen = set(draw.sample(range(len(devices)), min(k, len(devices))))
        devices = [d for i, d in enumerate(devices) if i in chosen]
    return devices


class Timeline:
    """Arms every action of a scenario on a world."""

    def __init__(self, world: World, scenario: model.Scenario) -> None:
        self.world = world
        self.scenario = scenario
        self.fired: list[tuple[float, int, str]] = []

    def arm(self) -> None:
        """Schedule every action."""
        for index, action in enumerate(self.scenario.timeline):
            if action.when is not None:
                self._arm_when(index, action)
            else:
                self._arm_time(index, action)

    def _delay(self, action: model.Trigger, *names: str) -> float:
        if not action.jitter:
            return action.delay
        return action.delay + action.jitter * rng.stream(self.world.seed, "jitter", *names).random()

    def _arm_time(self, index: int, action: model.Trigger) -> None:
        start = (action.at or 0.0) + self._delay(action, str(index))
        if action.every is None:
            self.world.at(start, lambda: self.run(index, action))
            return
        until = action.until if action.until is not None else float("inf")

        def tick(k: int = 0) -> None:
            self.run(index, action, str(k))
            if (action.at or 0.0) + (k + 1) * action.every <= until:
                self.world.at(action.every, lambda: tick(k + 1))

        if start <= until:
            self.world.at(start, tick)

    def _arm_when(self, index: int, action: model.Trigger) -> None:
        when = action.when
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

    def run(self, index: int, action: model.Trigger, repeat: str = "0", device: str | None = None) -> None:
        """Perform one action now (on the triggering ``device`` when it has no target of its own)."""
        world = self.world
        draw = rng.stream(world.seed, "timeline", str(index), repeat)
        if device is not None and "target" in type(action).model_fields and "target" not in action.model_fields_set:
            action = action.model_copy(update={"target": model.Target(devices=[device])})
        self.fired.append((world.env.now, index, action.action))
        world.log.append(world.env.now, "world", "timeline", "action",
                         {"index": index, "action": action.action, "trigger_device": device or ""})
        ACTIONS[type(action)](world, action, draw)


def _each(fn: Callable[[World, SimDevice, model.Trigger], None]) -> Callable[[World, model.Trigger, random.Random], None]:
    def apply(world: World, action: model.Trigger, draw: random.Random) -> None:
        for device in select(world, action.target, draw):
            fn(world, device, action)

    return apply


def _controller(edit: Callable[[World, str, model.Trigger], object]) -> Callable[[World, SimDevice, model.Trigger], None]:
    """An edit of the device's config at the controller (once it onboarded); one the controller refuses (a
    retry with no base OS set) is logged as ``refused``, as an operator would see it."""

    def attempt(world: World, device: SimDevice, uuid: str, action: model.Trigger) -> None:
        try:
            edit(world, uuid, action)
        except ConfigError as exc:
            world.log.append(world.env.now, device.name, "controller", "refused",
                             {"action": action.action, "error": str(exc)}, "warning")

    def apply(world: World, device: SimDevice, action: model.Trigger) -> None:
        world.for_device(device, lambda uuid: attempt(world, device, uuid, action))

    return apply


def _update(world: World, uuid: str, action: model.Update) -> int:
    image = world.images[world.image_url(action.version)]
    return world.core.set_base_os(uuid, action.version, url=world.image_url(action.version), sha256=image.sha256,
                                  size_bytes=image.size_bytes, activate=action.activate)


def _rollout(world: World, action: model.Rollout, draw: random.Random) -> None:
    """A rollout campaign on the controller, ticked in simulated time (``evesim.sim.campaigns``)."""
    campaigns.launch(world, select(world, action.target, draw), action.version,
                     batch_size=stages(action.batch_size), batch_fraction=stages(action.batch_fraction),
                     wait_s=action.wait, deadline_s=action.deadline, halt_failure_rate=action.halt_failure_rate)


def _partition(world: World, action: model.Partition, draw: random.Random) -> None:
    faults.partition(world, list(action.nodes), [tuple(link) for link in action.links], action.duration)


def _controller_fault(world: World, action: model.ControllerFault, draw: random.Random) -> None:
    now = world.env.now
    end = now + action.duration if action.duration is not None else None
    faults.controller_fault(world, fault_rule(action.rule, start=now, end=end))


ACTIONS: dict[type, Callable[[World, model.Trigger, random.Random], None]] = {
    model.SetConfigItems: _each(_controller(lambda w, uuid, a: w.core.set_config_items(uuid, dict(a.items)))),
    model.PowerCut: _each(lambda w, d, a: faults.power_cut(
        w, d, None if a.restore_after is None else a.restore_after + a.restore_jitter * d.rng("restore").random())),
    model.PowerOn: _each(lambda w, d, a: d.power_on()),
    model.Brownout: _each(lambda w, d, a: faults.brownout(w, d, a.cycles, a.on, a.off)),
    model.LinkDown: _each(lambda w, d, a: faults.link_down(w, d, a.duration)),
    model.Partition: _partition,
    model.ControllerDown: lambda w, a, r: faults.controller_down(w, a.duration),
    model.ControllerFault: _controller_fault,
    model.HangAgent: _each(lambda w, d, a: faults.hang_agent(d, a.agent)),
    model.ClockJump: _each(lambda w, d, a: faults.clock_jump(d, a.seconds)),
    model.Update: _each(_controller(_update)),
    model.RetryUpdate: _each(_controller(lambda w, uuid, a: w.core.retry_update(uuid))),
    model.Reboot: _each(_controller(lambda w, uuid, a: w.core.reboot(uuid))),
    model.Rollout: _rollout,
    model.DeployApp: _each(lambda w, d, a: w.deploy_app(d, a.app, a.activate)),
    model.AppCommand: _each(lambda w, d, a: w.app_command(d, a.app, a.action.removesuffix("_app"))),
}
