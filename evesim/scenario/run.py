"""Running a scenario: build the world, arm the timeline, advance time, judge, write the outputs."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

import evesim
from evesim.controller.rollout import Campaign
from evesim.scenario import build, outputs
from evesim.scenario.expect import Judge, app_state
from evesim.scenario.loader import Loaded
from evesim.scenario.timeline import Timeline
from evesim.scenario.vocab import DEVICE_STATES
from evesim.sim import outcome
from evesim.sim.events import write_parquet
from evesim.sim.world import World

TICKS = 200
MAX_TICK_S = 3600.0
PACE_STEP_S = 0.05
"""A paced run advances at most this much wall time's worth of simulated time between looks at the clock."""


@dataclass
class RunResult:
    """What a run produced."""

    loaded: Loaded
    seed: int
    world: World
    judge: Judge
    wall_s: float
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.judge.failed

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content (computed once)."""
        return self._summary

    @cached_property
    def _summary(self) -> dict[str, Any]:
        world = self.world
        devices = world.devices
        duration = self.loaded.scenario.duration
        return {
            "scenario": self.loaded.scenario.name,
            "file": self.loaded.path,
            "scenario_sha256": self.loaded.digest,
            "seed": self.seed,
            "fixes": sorted(self.loaded.scenario.fixes),
            "evesim_version": evesim.__version__,
            "duration_s": duration,
            "wall_s": round(self.wall_s, 3),
            "speedup": round(duration / self.wall_s, 1) if self.wall_s else None,
            "devices": len(devices),
            "onboarded": sum(1 for d in devices if d.uuid),
            "bricked": sum(1 for d in devices if d.state == "bricked"),
            "states": dict(sorted(Counter(d.state for d in devices).items())),
            "versions": dict(sorted(Counter(d.running_version for d in devices).items())),
            "outcomes": self.outcomes(),
            "apps": self.app_states(),
            "campaigns": [campaign_summary(campaign, world.epoch) for campaign in world.core.rollouts.list()],
            "controller": {"requests": world.controller.served,
                           "max_queue_wait_s": round(world.controller.max_wait_s, 6)},
            "events": len(world.log),
            "event_counts": dict(sorted(world.log.counts.items())),
            "event_log_sha256": world.log.digest(),
            "expectations": [
                {"name": o.name, "kind": o.kind, "passed": o.passed, "at_s": o.at, "value": o.value,
                 "population": o.population, "detail": o.detail}
                for o in self.judge.outcomes
            ],
            "unfired_actions": self.unfired_actions(),
            "passed": self.passed,
        }

    def unfired_actions(self) -> list[dict[str, Any]]:
        """Timeline actions that never ran (a ``when`` whose event never came, an ``at`` past the end): index, action,
        line in the file."""
        fired = {event.data()["index"] for event in self.world.log.events
                 if event.kind == "action" and event.agent == "timeline"}
        lines = self.loaded.timeline_lines
        return [{"index": index, "action": action.action, "line": lines[index] if index < len(lines) else 0}
                for index, action in enumerate(self.loaded.scenario.timeline) if index not in fired]

    @cached_property
    def device_outcomes(self) -> list[str]:
        """Each device's update outcome, in fleet order (classified once)."""
        return [outcome.classify(self.world, d) for d in self.world.devices]

    def outcomes(self) -> dict[str, int]:
        """Devices per update outcome (every key of ``OUTCOMES``, zero included)."""
        counts = Counter(self.device_outcomes)
        return {name: counts.get(name, 0) for name in outcome.OUTCOMES}

    def app_states(self) -> dict[str, dict[str, int]]:
        """For each app the scenario defines: running devices per state of their instance of it."""
        apps = [a.name for a in self.loaded.scenario.apps]
        states = {name: Counter(app_state(d, name) for d in self.world.devices) for name in apps}
        return {name: dict(sorted((s, n) for s, n in counts.items() if s is not None))
                for name, counts in states.items()}

    def devices_frame(self) -> pd.DataFrame:
        """One row per device with its final state."""
        rows = [
            {
                "device": d.name, "group": d.group, "board": d.hw.profile.name, "serial": d.serial, "uuid": d.uuid,
                "state": d.state, "partition": d.running_label or "", "version": d.running_version, "boots": d.boots,
                "power_cycles": d.hw.power_cycles, "led": d.led.name, "tx_bytes": d.tx_bytes, "rx_bytes": d.rx_bytes,
                "outcome": kind,
                "imga": d.hw.disk.partition_state("IMGA"), "imgb": d.hw.disk.partition_state("IMGB"),
            }
            for d, kind in zip(self.world.devices, self.device_outcomes, strict=False)
        ]
        return pd.DataFrame(rows).astype({"boots": "int64", "power_cycles": "int64", "tx_bytes": "int64",
                                          "rx_bytes": "int64"})

    def metrics_frame(self) -> pd.DataFrame:
        """Fleet time series in long form: time, series, value."""
        rows = [{"time": s["time"], "series": k, "value": float(v)} for s in self.samples for k, v in s.items()
                if k != "time"]
        return pd.DataFrame(rows, columns=["time", "series", "value"])

    def write(self, out: Path) -> None:
        """Write events.parquet, devices.parquet, metrics.parquet and then summary.json into ``out`` (all or
        none: ``OutputError`` if they cannot be written)."""
        summary = json.dumps(self.summary(), indent=2, sort_keys=False) + "\n"
        outputs.write_all(out, {
            "events.parquet": self.world.log.write_parquet,
            "devices.parquet": lambda path: write_parquet(self.devices_frame(), path),
            "metrics.parquet": lambda path: write_parquet(self.metrics_frame(), path),
            "summary.json": lambda path: path.write_text(summary),
        })


def campaign_summary(campaign: Campaign, epoch: float) -> dict[str, Any]:
    """A campaign's state, result and batches for ``summary.json`` (times in simulated seconds)."""
    summary = campaign.summary()

    def sim(at: float | None) -> float | None:
        return None if at is None else round(at - epoch, 3)

    return {
        **{key: summary[key] for key in ("id", "version", "state", "reason", "batches_planned", "counts")},
        "failure_rate": round(summary["failure_rate"], 6),
        "batches": [{"index": b.index, "started_s": sim(b.started_at), "settled_s": sim(b.settled_at),
                     "devices": len(b.devices), "counts": b.counts()} for b in campaign.batches],
    }


def _sample(world: World) -> dict[str, Any]:
    devices = world.devices
    sample: dict[str, Any] = {
        "time": world.env.now,
        "onboarded": sum(1 for d in devices if d.uuid),
        "bricked": sum(1 for d in devices if d.state == "bricked"),
        "running": sum(1 for d in devices if d.state == "running"),
        "controller_requests": world.controller.served,
        "events": len(world.log),
    }
    states = Counter(d.state for d in devices)
    for name in DEVICE_STATES:
        sample[f"state:{name}"] = states[name]
    for version, count in Counter(d.running_version for d in devices if d.running_version).items():
        sample[f"version:{version}"] = count
    traffic: Counter[str] = Counter()
    for device in devices:
        traffic.update(device.nics.traffic)
    for port, carried in sorted(traffic.items()):
        sample[f"port:{port}"] = carried
    for app in world.apps:
        for state, count in Counter(app_state(d, app) for d in devices).items():
            if state is not None:
                sample[f"app:{app}:{state}"] = count
    return sample


def stops(duration: float, step: float, deadlines: Iterable[float]) -> Iterator[tuple[float, bool]]:
    """The times a run stops to check expectations, in order: every ``step`` and the end (``True``: also
    sample the fleet there), and exactly at each deadline before the end (``False``)."""
    pending = sorted({d for d in deadlines if d < duration})
    ticks = max(1, math.ceil(duration / step - 1e-9))
    for k in range(1, ticks + 1):
        tick = duration if k == ticks else k * step
        while pending and pending[0] < tick:
            yield pending.pop(0), False
        if pending and pending[0] == tick:
            pending.pop(0)
        yield tick, True


def _paced(world: World, until: float, pace: float, started: float) -> None:
    """Advance to ``until`` in steps of ``PACE_STEP_S`` of wall time, never ahead of ``pace`` times real time."""
    while world.env.now < until:
        world.run(until=min(until, world.env.now + pace * PACE_STEP_S))
        ahead = started + world.env.now / pace - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)


def run(loaded: Loaded, seed: int | None = None,
        on_tick: Callable[[float, float, World], None] | None = None, pace: float | None = None) -> RunResult:
    """Run a loaded scenario to its end; ``on_tick(now, duration, world)`` reports progress at the start and at
    each sample. ``pace`` holds simulated time to that many times real time (the outputs do not change)."""
    scenario = loaded.scenario
    seed = scenario.seed if seed is None else seed
    world = build.world(scenario, seed)
    Timeline(world, scenario).arm()
    judge = Judge(world, list(scenario.expectations))
    world.start()
    samples = [_sample(world)]
    started = time.perf_counter()
    if on_tick is not None:
        on_tick(0.0, scenario.duration, world)
    for now, sample in stops(scenario.duration, min(MAX_TICK_S, scenario.duration / TICKS), judge.deadlines()):
        if pace is None:
            world.run(until=now)
        else:
            _paced(world, now, pace, started)
        judge.tick(now)
        if sample:
            samples.append(_sample(world))
            if on_tick is not None:
                on_tick(now, scenario.duration, world)
    judge.finish(scenario.duration)
    return RunResult(loaded, seed, world, judge, time.perf_counter() - started, samples)
