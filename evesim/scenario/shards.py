"""One scenario's fleet split over shards that advance in lock-step, with the outputs of one process.

Each shard runs the devices of some of the controller's cells (``evesim.sim.sharding.Shard``), in a forked
process or a Dask actor (``evesim.scenario.shard_hosts``). Devices of different cells share nothing
inside a window but app traffic, and ``plan`` keeps the cells of devices that send each other traffic on
one shard. Every shard advances to the next boundary (every ``TICK_S``, the campaigns' tick) or
look at the fleet, where the campaigns settle on a report merged from every shard, and the expectations
and samples add up the shards' counts. The event logs merge in canonical order, so ``events.parquet``
and ``summary.json`` are those of an unsharded run, seed for seed; only the run's wall time differs. A
scenario whose devices interact in ways a window cannot hold (a ``when`` trigger counted across the fleet
or acting on other devices, a fault rule with a request ``count``) is refused with the reason.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from evesim.scenario import model
from evesim.scenario.expect import Judge
from evesim.scenario.loader import Loaded
from evesim.scenario.progress import Status
from evesim.scenario.run import MAX_TICK_S, TICKS, FleetEnd, RunResult, add_samples, stops
from evesim.scenario.shard_hosts import DaskActors, Forked, Host, ShardingError
from evesim.sim.campaigns import Report
from evesim.sim.service import split
from evesim.sim.sharding import Shard, deal
from evesim.sim.world import windows

MAX_SHARDS = 64
AUTO_MIN_DEVICES = 50
"""``--shards auto`` splits fleets from this size (below it, starting the shards costs about what they save)."""


def problems(scenario: model.Scenario) -> list[str]:
    """Why a scenario's fleet cannot be split over shards (empty: it can)."""
    found = [f"controller.faults.{i}.count: the count is of requests to the whole controller"
             for i, rule in enumerate(scenario.controller.faults) if rule.count is not None]
    for i, action in enumerate(scenario.timeline):
        if isinstance(action, model.ControllerFault) and action.rule.count is not None:
            found.append(f"timeline.{i}.rule.count: the count is of requests to the whole controller")
        when = action.when
        if when is None:
            continue
        if when.limit is not None:
            found.append(f"timeline.{i}.when.limit: the limit counts triggers across the fleet")
        if "target" not in type(action).model_fields or "target" in action.model_fields_set:
            found.append(f"timeline.{i}: a '{action.action}' triggered by one device acts beyond that device")
    return found


def auto_shards(scenario: model.Scenario) -> int:
    """``--shards auto``: one shard per core this process may use (at most as many as ``plan`` deals) for a fleet of
    ``AUTO_MIN_DEVICES`` or more that can be split; else 1, the reference path."""
    if sum(group.count for group in scenario.fleet) < AUTO_MIN_DEVICES or problems(scenario):
        return 1
    return len(plan(scenario, min(len(os.sched_getaffinity(0)), MAX_SHARDS)))


def plan(scenario: model.Scenario, shards: int) -> list[Shard]:
    """The shards a run over ``shards`` processes uses: at most one per controller cell, with the cells of devices
    that send each other app traffic on one shard."""
    cells = cell_count(scenario)
    return deal(cells, shards, talking(scenario, cells))


def cell_count(scenario: model.Scenario) -> int:
    """The controller's cells (at most one per worker)."""
    return len(split(scenario.controller.workers, scenario.controller.cells))


def talking(scenario: model.Scenario, cells: int) -> list[set[int]]:
    """For each set of apps linked by ``traffic``, the cells of every device that may run one of them (in a group's
    ``apps`` or a ``deploy_app`` target): a flow reaches its peer inside a window, so they stay on one shard."""
    linked = nx.Graph()
    linked.add_edges_from((app.name, flow.to) for app in scenario.apps for flow in app.traffic)
    if not linked:  # no traffic: no need to walk the whole roster
        return []
    hosts = _hosts(scenario)
    return [{index % cells for app in apps for index in hosts.get(app, ())}
            for apps in nx.connected_components(linked)]


def _hosts(scenario: model.Scenario) -> dict[str, set[int]]:
    """App name → the fleet indices of the devices that may run it (every device a ``deploy_app`` may pick)."""
    roster = [(f"{group.name}-{i:05d}", group) for group in scenario.fleet for i in range(group.count)]
    hosts: dict[str, set[int]] = {}
    for index, (_, group) in enumerate(roster):
        for app in group.apps:
            hosts.setdefault(app, set()).add(index)
    for action in scenario.timeline:
        if isinstance(action, model.DeployApp):
            target = action.target
            hosts.setdefault(action.app, set()).update(
                index for index, (name, group) in enumerate(roster)
                if target.group in (None, group.name) and (target.devices is None or name in target.devices))
    return hosts


def run_sharded(loaded: Loaded, shards: int, seed: int | None = None,
                on_tick: Callable[[float, float, Status], None] | None = None,
                scheduler: str | None = None) -> RunResult:
    """Run a loaded scenario over ``shards`` shards (as ``plan`` deals them): forked processes, or Dask
    actors on the cluster at ``scheduler``. ``on_tick(now, duration, status)`` reports progress at the start and
    at each sample. Raises ``ShardingError``."""
    scenario = loaded.scenario
    found = problems(scenario)
    if found:
        raise ShardingError("cannot split this fleet over shards: " + "; ".join(found))
    if not 1 <= shards <= MAX_SHARDS:
        raise ShardingError(f"shards must be between 1 and {MAX_SHARDS}, not {shards}")
    seed = scenario.seed if seed is None else seed
    dealt = plan(scenario, shards)
    host: Host = Forked(loaded, seed, dealt) if scheduler is None else DaskActors(loaded, seed, dealt, scheduler)
    try:
        return _Drive(loaded, seed, host).run(on_tick)
    finally:
        host.close()


@dataclass
class _Look:
    """The fleet's expectation meters the judge reads next (by expectation) and (when asked) its sample at one time,
    added up over the shards."""

    meters: dict[int, tuple[float, int]]
    sample: dict[str, Any] | None


class _Drive:
    """A run driven from this process over its shards."""

    def __init__(self, loaded: Loaded, seed: int, host: Host) -> None:
        self.loaded = loaded
        self.seed = seed
        self.host = host
        self.apps = [a.name for a in loaded.scenario.apps]
        self.devices = sum(group.count for group in loaded.scenario.fleet)

    def run(self, on_tick: Callable[[float, float, Status], None] | None) -> RunResult:
        scenario = self.loaded.scenario
        duration = scenario.duration
        latest = self._look(True, [])
        started = time.perf_counter()
        judge = Judge(list(scenario.expectations), [_reader(latest, i) for i in range(len(scenario.expectations))])
        assert latest.sample is not None
        samples = [latest.sample]
        if on_tick is not None:
            on_tick(0.0, duration, Status.of_sample(latest.sample, self.devices))
        now = 0.0
        for stop, sampled in stops(duration, min(MAX_TICK_S, duration / TICKS), judge.deadlines()):
            for edge in windows(now, stop):
                self._advance(edge)
            now = stop
            look = self._look(sampled, judge.open(final=stop >= duration))
            latest.meters = look.meters
            judge.tick(stop)
            if look.sample is not None:
                samples.append(look.sample)
                if on_tick is not None:
                    on_tick(stop, duration, Status.of_sample(look.sample, self.devices))
        judge.finish(duration)
        end = FleetEnd.merge(self.host.all("end"))
        return RunResult(self.loaded, self.seed, end, judge, time.perf_counter() - started, samples)

    def _advance(self, edge: float) -> None:
        reports = self.host.all("advance", edge)
        if reports[0] is not None:  # every shard has the same campaigns: all settle, or none
            self.host.all("settle", Report.merge(reports))

    def _look(self, sampled: bool, wanted: list[int]) -> _Look:
        parts = self.host.all("look", (sampled, wanted))
        meters = {i: (sum(p[0][k][0] for p in parts), sum(p[0][k][1] for p in parts)) for k, i in enumerate(wanted)}
        samples = [p[1] for p in parts if p[1] is not None]
        return _Look(meters, add_samples(samples, self.apps) if samples else None)


def _reader(look: _Look, index: int) -> Callable[[], tuple[float, int]]:
    return lambda: look.meters[index]
