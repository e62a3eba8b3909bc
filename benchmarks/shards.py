"""Sharding efficiency: one fleet run in one process, then split over N shard processes, with the same outputs.

The fleet is the steady-state one of ``fleet.py`` (devices powering on over ten minutes, EVE's timers) as a
scenario, with a staged rollout half-way so that the campaigns' exchange at boundaries is in the measure.
Prints both wall times, the speed-up (target: >= 1.8x on 2 processes) and whether ``summary.json`` and the
event log are the same; and the 1,000-device fleet-day at the sharded run's rate (an upper bound: onboarding
and the rollout cost more than steady state). ``--steady`` leaves the rollout out and times only what follows
30 simulated minutes of onboarding, for the fleet-day of steady state at this size (the 10,000-device target:
10 minutes on 2 shards). ``--scenario FILE`` measures a scenario file at its full size instead
(``staged-rollout-10k``'s target: 5 minutes).
Usage: ``python benchmarks/shards.py [--devices 1000] [--hours 2] [--shards 2] [--steady] [--scenario FILE]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from results import record

from evesim.scenario import loader
from evesim.scenario.loader import Loaded
from evesim.scenario.run import RunResult, run
from evesim.scenario.shards import run_sharded

TARGET = 1.8
SCENARIO_TARGETS_S = {"staged-rollout-10k": 300.0}
"""Wall-time targets of library scenarios at full size, sharded."""
DAY_TARGETS_S = {1000: 60.0, 10_000: 600.0}
"""Fleet-day wall-time targets on 2 shards, by fleet size."""
WARMUP_S = 1800.0
"""``--steady``: the onboarding left out of the measure."""
SCENARIO = """
name: shard-bench
seed: 1
duration: {hours}h
power_on_spread: 10m
fleet: [{{name: bench, count: {devices}}}]
images: [{{version: 14.6.0, size: 50MB}}]
"""
ROLLOUT = """timeline:
  - {{at: {rollout_s}, action: rollout, version: 14.6.0, batch_fraction: [0.1, 1.0], wait: 5m}}
"""


def comparable(result: RunResult) -> dict[str, object]:
    """The summary without its wall time."""
    return {key: value for key, value in result.summary().items() if key not in ("wall_s", "speedup")}


class _Clock:
    """Wall seconds of a run from the first look at or after ``since`` simulated seconds to its end."""

    def __init__(self, since: float) -> None:
        self.since = since
        self.mark: float | None = None

    def tick(self, now: float, _duration: float, _state: object) -> None:
        if self.mark is None and now >= self.since:
            self.mark = time.perf_counter()

    def elapsed(self) -> float:
        assert self.mark is not None, "the run never reached the start of the measure"
        return time.perf_counter() - self.mark


def timed(loaded: Loaded, shards: int, since: float = 0.0) -> tuple[float, float, bool]:
    """Wall seconds in one process and on ``shards`` shards (from ``since`` simulated seconds on), and whether the
    outputs are the same."""
    clock = _Clock(since)
    one = run(loaded, on_tick=clock.tick)
    single = clock.elapsed()
    clock = _Clock(since)
    split = run_sharded(loaded, shards, on_tick=clock.tick)
    return single, clock.elapsed(), comparable(one) == comparable(split)


def fleet(devices: int, hours: float, shards: int, steady: bool) -> None:
    """The fleet with a rollout half-way, or (``steady``) its steady state after the onboarding."""
    text = SCENARIO.format(devices=devices, hours=hours + WARMUP_S / 3600.0 if steady else hours)
    loaded = loader.loads(text if steady else text + ROLLOUT.format(rollout_s=hours * 1800.0), "shard-bench.yaml")
    single, sharded, same = timed(loaded, shards, WARMUP_S if steady else 0.0)
    speedup = single / sharded
    day = sharded * 24.0 / hours
    what = f"{hours:g} h of steady state after {WARMUP_S / 60:g} min of onboarding" if steady else (
        f"{hours:g} simulated hours, with a rollout")
    print(f"{devices} devices, {what}:")
    print(f"  one process: {single:.1f} s; {shards} shards: {sharded:.1f} s; speed-up {speedup:.2f}x "
          f"(target >= {TARGET:g}x on 2)")
    print(f"  same summary.json and event log: {'yes' if same else 'NO'}")
    name = f"shards ({devices} devices, {hours:g} h{' of steady state' if steady else ''})"
    record(name, f"speed-up, {shards} shards / 1 process", f"{speedup:.2f}x", f">= {TARGET:g}x",
           speedup >= TARGET if shards == 2 else None)
    record(name, "same outputs as one process", "yes" if same else "no", "yes", same)
    if steady:
        limit = DAY_TARGETS_S.get(devices) if shards == 2 else None
        print(f"  {devices:,}-device fleet-day of steady state at this rate: {day:.0f} s on {shards} shards")
        record(name, f"{devices:,}-device fleet-day on {shards} shards (s)", round(day),
               f"<= {limit:g}" if limit else "", day <= limit if limit else None)
    else:
        day *= 1000.0 / devices
        print(f"  1,000-device fleet-day at this run's rate (onboarding and a rollout included): {day:.0f} s on "
              f"{shards} shards")
        record(name, f"1,000-device fleet-day on {shards} shards (at this run's rate, onboarding included)",
               f"{day:.0f} s", "<= 60 s", day <= 60.0)


def scenario(file: Path, shards: int) -> None:
    """A scenario file at its full size."""
    loaded = loader.load(file)
    name = loaded.scenario.name
    single, sharded, same = timed(loaded, shards)
    print(f"{name} ({file}), full size:")
    print(f"  one process: {single:.1f} s; {shards} shards: {sharded:.1f} s; speed-up {single / sharded:.2f}x")
    print(f"  same summary.json and event log: {'yes' if same else 'NO'}")
    label = f"shards ({name}, full size)"
    limit = SCENARIO_TARGETS_S.get(name)
    record(label, "wall, one process (s)", round(single))
    record(label, f"wall on {shards} shards (s)", round(sharded), f"<= {limit:g}" if limit else "",
           sharded <= limit if limit else None)
    record(label, "same outputs as one process", "yes" if same else "no", "yes", same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--steady", action="store_true",
                        help="no rollout; time only the hours after 30 minutes of onboarding")
    parser.add_argument("--scenario", type=Path, help="measure this scenario file at full size instead")
    args = parser.parse_args()
    if args.scenario is not None:
        scenario(args.scenario, args.shards)
    else:
        fleet(args.devices, args.hours, args.shards, args.steady)


if __name__ == "__main__":
    main()
