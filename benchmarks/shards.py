"""Sharding efficiency: one fleet run in one process, then split over N shard processes, with the same outputs.

The fleet is the steady-state one of ``fleet.py`` (devices powering on over ten minutes, EVE's timers) as a
scenario, with a staged rollout half-way so that the campaigns' exchange at boundaries is in the measure.
Prints both wall times, the speed-up (target: >= 1.8x on 2 processes) and whether ``summary.json`` and the
event log are the same; and the 1,000-device fleet-day at the sharded run's rate (an upper bound: onboarding
and the rollout cost more than steady state). ``--scenario FILE`` measures a scenario file at its full size
instead (``staged-rollout-10k``'s target: 5 minutes).
Usage: ``python benchmarks/shards.py [--devices 1000] [--hours 2] [--shards 2] [--scenario FILE]``.
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
SCENARIO = """
name: shard-bench
seed: 1
duration: {hours}h
power_on_spread: 10m
fleet: [{{name: bench, count: {devices}}}]
images: [{{version: 14.6.0, size: 50MB}}]
timeline:
  - {{at: {rollout_s}, action: rollout, version: 14.6.0, batch_fraction: [0.1, 1.0], wait: 5m}}
"""


def comparable(result: RunResult) -> dict[str, object]:
    """The summary without its wall time."""
    return {key: value for key, value in result.summary().items() if key not in ("wall_s", "speedup")}


def timed(loaded: Loaded, shards: int) -> tuple[float, float, bool]:
    """Wall seconds in one process and on ``shards`` shards, and whether the outputs are the same."""
    started = time.perf_counter()
    one = run(loaded)
    single = time.perf_counter() - started
    started = time.perf_counter()
    split = run_sharded(loaded, shards)
    sharded = time.perf_counter() - started
    return single, sharded, comparable(one) == comparable(split)


def fleet(devices: int, hours: float, shards: int) -> None:
    """The steady-state fleet with a rollout half-way."""
    loaded = loader.loads(SCENARIO.format(devices=devices, hours=hours, rollout_s=hours * 1800.0), "shard-bench.yaml")
    single, sharded, same = timed(loaded, shards)
    speedup = single / sharded
    day = sharded * 24.0 / hours * 1000.0 / devices
    print(f"{devices} devices, {hours:g} simulated hours:")
    print(f"  one process: {single:.1f} s; {shards} shards: {sharded:.1f} s; speed-up {speedup:.2f}x "
          f"(target >= {TARGET:g}x on 2)")
    print(f"  same summary.json and event log: {'yes' if same else 'NO'}")
    print(f"  1,000-device fleet-day at this run's rate (onboarding and a rollout included): {day:.0f} s on "
          f"{shards} shards")
    name = f"shards ({devices} devices, {hours:g} h)"
    record(name, f"speed-up, {shards} shards / 1 process", f"{speedup:.2f}x", f">= {TARGET:g}x",
           speedup >= TARGET if shards == 2 else None)
    record(name, "same outputs as one process", "yes" if same else "no", "yes", same)
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
    parser.add_argument("--scenario", type=Path, help="measure this scenario file at full size instead")
    args = parser.parse_args()
    if args.scenario is not None:
        scenario(args.scenario, args.shards)
    else:
        fleet(args.devices, args.hours, args.shards)


if __name__ == "__main__":
    main()
