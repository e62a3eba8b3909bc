"""Running a scenario: build the world, arm the timeline, advance time, judge, write the outputs."""

from __future__ import annotations

import heapq
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
from evesim.sim.device import SimDevice
from evesim.sim.events import Event, digest, frame, write_parquet
from evesim.sim.world import World

TICKS = 200
MAX_TICK_S = 3600.0
PACE_STEP_S = 0.05
"""A paced run advances at most this much wall time's worth of simulated time between looks at the clock."""


@dataclass
class FleetEnd:
    """What a run leaves to report: each device at the end (fleet order), the campaigns, the controller's load and
    the event log (canonical order)."""

    rows: list[dict[str, Any]]
    """One per device: its ``devices.parquet`` row."""
    apps: list[dict[str, str | None]]
    """One per device: the state of its instance of each app the scenario defines (None: no running instance)."""
    campaigns: list[dict[str, Any]]
    served: int
    max_wait_s: float
    events: list[Event]
    counts: dict[str, int]

    @staticmethod
    def of(world: World, apps: Iterable[str]) -> FleetEnd:
        """The end of a world's run (the campaigns only from the shard that keeps the world's events)."""
        names = list(apps)
        return FleetEnd(
            rows=[device_row(world, d) for d in world.devices],
            apps=[{name: app_state(d, name) for name in names} for d in world.devices],
            campaigns=[campaign_summary(c, world.epoch) for c in world.core.rollouts.list()] if world.shard.primary
            else [],
            served=world.controller.served, max_wait_s=world.controller.max_wait_s,
            events=world.log.canonical(), counts=dict(world.log.counts))

    @staticmethod
    def merge(parts: list[FleetEnd]) -> FleetEnd:
        """The end of a fleet run in parts (shards), as one run would have left it."""
        order = sorted(((row["index"], k, i) for k, part in enumerate(parts) for i, row in enumerate(part.rows)))
        counts: Counter[str] = Counter()
        for part in parts:
            counts.update(part.counts)
        return FleetEnd(
            rows=[parts[k].rows[i] for _, k, i in order], apps=[parts[k].apps[i] for _, k, i in order],
            campaigns=[c for part in parts for c in part.campaigns],
            served=sum(p.served for p in parts), max_wait_s=max(p.max_wait_s for p in parts),
            events=list(heapq.merge(*(p.events for p in parts), key=Event.key)), counts=dict(counts))


def device_row(world: World, d: SimDevice) -> dict[str, Any]:
    """A device's ``devices.parquet`` row (plus its index in the fleet)."""
    return {
        "index": d.index, "device": d.name, "group": d.group, "board": d.hw.profile.name, "serial": d.serial,
        "uuid": d.uuid, "state": d.state, "partition": d.running_label or "", "version": d.running_version,
        "boots": d.boots, "power_cycles": d.hw.power_cycles, "led": d.led.name, "tx_bytes": d.tx_bytes,
        "rx_bytes": d.rx_bytes, "outcome": outcome.classify(world, d),
        "imga": d.hw.disk.partition_state("IMGA"), "imgb": d.hw.disk.partition_state("IMGB"),
    }


@dataclass
class RunResult:
    """What a run produced (``world`` is None for a run split over shards)."""

    loaded: Loaded
    seed: int
    end: FleetEnd
    judge: Judge
    wall_s: float
    samples: list[dict[str, Any]] = field(default_factory=list)
    world: World | None = None

    @property
    def passed(self) -> bool:
        return not self.judge.failed

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content (computed once)."""
        return self._summary

    @cached_property
    def _summary(self) -> dict[str, Any]:
        end = self.end
        rows = end.rows
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
            "devices": len(rows),
            "onboarded": sum(1 for r in rows if r["uuid"]),
            "bricked": sum(1 for r in rows if r["state"] == "bricked"),
            "states": dict(sorted(Counter(r["state"] for r in rows).items())),
            "versions": dict(sorted(Counter(r["version"] for r in rows).items())),
            "outcomes": self.outcomes(),
            "apps": self.app_states(),
            "campaigns": end.campaigns,
            "controller": {"requests": end.served, "max_queue_wait_s": round(end.max_wait_s, 6)},
            "events": len(end.events),
            "event_counts": dict(sorted(end.counts.items())),
            "event_log_sha256": digest(end.events),
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
        fired = {event.data()["index"] for event in self.end.events
                 if event.kind == "action" and event.agent == "timeline"}
        lines = self.loaded.timeline_lines
        return [{"index": index, "action": action.action, "line": lines[index] if index < len(lines) else 0}
                for index, action in enumerate(self.loaded.scenario.timeline) if index not in fired]

    @property
    def device_outcomes(self) -> list[str]:
        """Each device's update outcome, in fleet order."""
        return [row["outcome"] for row in self.end.rows]

    def outcomes(self) -> dict[str, int]:
        """Devices per update outcome (every key of ``OUTCOMES``, zero included)."""
        counts = Counter(self.device_outcomes)
        return {name: counts.get(name, 0) for name in outcome.OUTCOMES}

    def app_states(self) -> dict[str, dict[str, int]]:
        """For each app the scenario defines: running devices per state of their instance of it."""
        apps = [a.name for a in self.loaded.scenario.apps]
        states = {name: Counter(device[name] for device in self.end.apps) for name in apps}
        return {name: dict(sorted((s, n) for s, n in counts.items() if s is not None))
                for name, counts in states.items()}

    def devices_frame(self) -> pd.DataFrame:
        """One row per device with its final state."""
        rows = [{key: value for key, value in row.items() if key != "index"} for row in self.end.rows]
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
            "events.parquet": lambda path: write_parquet(frame(self.end.events), path),
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


def sample(world: World) -> dict[str, Any]:
    """The fleet's counts now (of this world's devices; a sharded run adds its shards' with ``add_samples``)."""
    devices = world.devices
    counts: dict[str, Any] = {
        "time": world.env.now,
        "onboarded": sum(1 for d in devices if d.uuid),
        "bricked": sum(1 for d in devices if d.state == "bricked"),
        "running": sum(1 for d in devices if d.state == "running"),
        "controller_requests": world.controller.served,
        "events": len(world.log),
    }
    states = Counter(d.state for d in devices)
    for name in DEVICE_STATES:
        counts[f"state:{name}"] = states[name]
    for version, count in sorted(Counter(d.running_version for d in devices if d.running_version).items()):
        counts[f"version:{version}"] = count
    traffic: Counter[str] = Counter()
    for device in devices:
        traffic.update(device.nics.traffic)
    for port, carried in sorted(traffic.items()):
        counts[f"port:{port}"] = carried
    for app in world.apps:
        instances = Counter(state for d in devices if (state := app_state(d, app)) is not None)
        for state, count in sorted(instances.items()):
            counts[f"app:{app}:{state}"] = count
    return counts


def add_samples(parts: list[dict[str, Any]], apps: list[str]) -> dict[str, Any]:
    """The fleet's sample from its shards' (taken at the same time), keys in the order one world gives them."""
    total: Counter[str] = Counter()
    for part in parts:
        total.update({key: value for key, value in part.items() if key != "time"})
    fixed = ["onboarded", "bricked", "running", "controller_requests", "events",
             *(f"state:{name}" for name in DEVICE_STATES)]
    rank = {app: i for i, app in enumerate(apps)}

    def order(key: str) -> tuple[int, int, str]:
        kind, _, rest = key.partition(":")
        if kind == "app":
            return 3, rank[rest.partition(":")[0]], rest.partition(":")[2]
        return {"version": 1, "port": 2}[kind], 0, rest

    variable = sorted((key for key in total if key not in fixed), key=order)
    return {"time": parts[0]["time"], **{key: total[key] for key in [*fixed, *variable]}}


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
    judge = Judge.of(world, list(scenario.expectations))
    world.start()
    samples = [sample(world)]
    started = time.perf_counter()
    if on_tick is not None:
        on_tick(0.0, scenario.duration, world)
    for now, sampled in stops(scenario.duration, min(MAX_TICK_S, scenario.duration / TICKS), judge.deadlines()):
        if pace is None:
            world.run(until=now)
        else:
            _paced(world, now, pace, started)
        judge.tick(now)
        if sampled:
            samples.append(sample(world))
            if on_tick is not None:
                on_tick(now, scenario.duration, world)
    judge.finish(scenario.duration)
    end = FleetEnd.of(world, (a.name for a in scenario.apps))
    return RunResult(loaded, seed, end, judge, time.perf_counter() - started, samples, world)
