"""One scenario's fleet split over processes (shards) that advance in lock-step, with the outputs of one process.

Each shard runs the devices of some of the controller's cells (``evesim.sim.world.Shard``). Devices of
different cells share nothing inside a window: every shard advances to the next boundary (every
``TICK_S``, the campaigns' tick) or look at the fleet, where the campaigns settle on a report merged
from every shard, and the expectations and samples add up the shards' counts. The event logs merge in
canonical order, so ``events.parquet`` and ``summary.json`` are those of an unsharded run, seed for seed;
only the run's wall time differs. A scenario whose devices interact in ways a window cannot hold (apps
sending traffic to each other, a ``when`` trigger counted across the fleet or acting on other devices,
a fault rule with a request ``count``) is refused with the reason.
"""

from __future__ import annotations

import signal
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from evesim.scenario import build, model
from evesim.scenario.expect import Judge, meters
from evesim.scenario.loader import Loaded
from evesim.scenario.progress import Status
from evesim.scenario.run import MAX_TICK_S, TICKS, FleetEnd, RunResult, add_samples, sample, stops
from evesim.scenario.timeline import Timeline
from evesim.sim.campaigns import Report
from evesim.sim.service import split
from evesim.sim.world import Shard, World, windows

MAX_SHARDS = 64


class ShardingError(ValueError):
    """The scenario cannot be split over shards (the message says why), or a shard failed."""


def problems(scenario: model.Scenario) -> list[str]:
    """Why a scenario's fleet cannot be split over shards (empty: it can)."""
    found = [f"apps.{i}.traffic: apps send traffic to other devices' apps"
             for i, app in enumerate(scenario.apps) if app.traffic]
    found += [f"controller.faults.{i}.count: the count is of requests to the whole controller"
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


def usable(scenario: model.Scenario, shards: int) -> int:
    """How many shards can have devices: at most one per controller cell."""
    return max(1, min(shards, len(split(scenario.controller.workers, scenario.controller.cells))))


def run_sharded(loaded: Loaded, shards: int, seed: int | None = None,
                on_tick: Callable[[float, float, Status], None] | None = None) -> RunResult:
    """Run a loaded scenario over ``shards`` processes (at most one per controller cell); ``on_tick(now, duration,
    status)`` reports progress at the start and at each sample. Raises ``ShardingError``."""
    scenario = loaded.scenario
    found = problems(scenario)
    if found:
        raise ShardingError("cannot split this fleet over shards: " + "; ".join(found))
    if not 1 <= shards <= MAX_SHARDS:
        raise ShardingError(f"shards must be between 1 and {MAX_SHARDS}, not {shards}")
    seed = scenario.seed if seed is None else seed
    with _Shards(loaded, seed, usable(scenario, shards)) as fleet:
        return fleet.run(on_tick)


@dataclass
class _Look:
    """The fleet's expectation meters and (when asked) sample at one time, added up over the shards."""

    meters: list[tuple[float, int]]
    sample: dict[str, Any] | None


class _Shards:
    """The shard processes of one run, driven from this one."""

    def __init__(self, loaded: Loaded, seed: int, count: int) -> None:
        import multiprocessing

        self.loaded = loaded
        self.seed = seed
        self.apps = [a.name for a in loaded.scenario.apps]
        self.devices = sum(group.count for group in loaded.scenario.fleet)
        context = multiprocessing.get_context("fork")  # not spawn: it would import the caller's main module again
        self.conns: list[Connection] = []
        self.procs = []
        for index in range(count):
            here, there = context.Pipe()
            proc = context.Process(target=_serve, args=(there, loaded, seed, Shard(index, count)),
                                   name=f"evesim-shard-{index}", daemon=True)
            proc.start()
            there.close()
            self.conns.append(here)
            self.procs.append(proc)

    def __enter__(self) -> _Shards:
        return self

    def __exit__(self, *exc: object) -> None:
        for conn in self.conns:
            conn.close()
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()

    def run(self, on_tick: Callable[[float, float, Status], None] | None) -> RunResult:
        scenario = self.loaded.scenario
        duration = scenario.duration
        looked = self._all("start")
        started = time.perf_counter()
        latest = self._add(looked)
        judge = Judge(list(scenario.expectations), [_reader(latest, i) for i in range(len(scenario.expectations))])
        first = latest.sample
        assert first is not None
        samples = [first]
        if on_tick is not None:
            on_tick(0.0, duration, Status.of_sample(first, self.devices))
        now = 0.0
        for stop, sampled in stops(duration, min(MAX_TICK_S, duration / TICKS), judge.deadlines()):
            for edge in windows(now, stop):
                self._advance(edge)
            now = stop
            look = self._add(self._all("look", sampled))
            latest.meters[:] = look.meters
            judge.tick(stop)
            if sampled and look.sample is not None:
                samples.append(look.sample)
                if on_tick is not None:
                    on_tick(stop, duration, Status.of_sample(look.sample, self.devices))
        judge.finish(duration)
        end = FleetEnd.merge(self._all("end"))
        return RunResult(self.loaded, self.seed, end, judge, time.perf_counter() - started, samples)

    def _advance(self, edge: float) -> None:
        reports = self._all("advance", edge)
        if reports[0] is not None:  # every shard has the same campaigns: all settle, or none
            merged = Report.merge(reports)
            self._all("settle", merged)

    def _add(self, parts: list[tuple[list[tuple[float, int]], dict[str, Any] | None]]) -> _Look:
        meters = [(sum(p[0][i][0] for p in parts), sum(p[0][i][1] for p in parts)) for i in range(len(parts[0][0]))]
        samples = [p[1] for p in parts if p[1] is not None]
        return _Look(meters, add_samples(samples, self.apps) if samples else None)

    def _all(self, command: str, argument: Any = None) -> list[Any]:
        """Send a command to every shard, then gather their answers (in shard order)."""
        for conn in self.conns:
            conn.send((command, argument))
        return [self._answer(index, conn) for index, conn in enumerate(self.conns)]

    def _answer(self, index: int, conn: Connection) -> Any:
        try:
            kind, value = conn.recv()
        except EOFError:
            proc = self.procs[index]
            proc.join(timeout=5)
            raise ShardingError(f"shard {index} ended without answering (exit code {proc.exitcode})") from None
        if kind == "error":
            raise ShardingError(f"shard {index} failed:\n{value}")
        return value


def _reader(look: _Look, index: int) -> Callable[[], tuple[float, int]]:
    return lambda: look.meters[index]


def _serve(conn: Connection, loaded: Loaded, seed: int, shard: Shard) -> None:
    """A shard process: build its part of the world, then answer the commands until ``end``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driving process handles Ctrl-C and ends the shards
    try:
        for reply in _answers(conn, loaded, seed, shard):
            conn.send(("ok", reply))
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _answers(conn: Connection, loaded: Loaded, seed: int, shard: Shard) -> Iterator[Any]:
    scenario = loaded.scenario
    world = build.world(scenario, seed, shard)
    Timeline(world, scenario).arm()
    meter = meters(world, list(scenario.expectations))
    world.start()
    while True:
        try:
            command, argument = conn.recv()
        except EOFError:
            return
        if command == "end":
            yield FleetEnd.of(world, (a.name for a in scenario.apps))
            return
        yield _do(world, meter, command, argument)


def _do(world: World, meter: list[Callable[[], tuple[float, int]]], command: str, argument: Any) -> Any:
    if command == "advance":
        return world.campaigns.report() if world.advance(argument) else None
    if command == "settle":
        world.settle(argument)
        return None
    if command == "start":
        return [m() for m in meter], sample(world)
    if command == "look":
        return [m() for m in meter], sample(world) if argument else None
    raise ValueError(f"unknown shard command {command!r}")
