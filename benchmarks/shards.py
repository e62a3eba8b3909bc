"""Sharding efficiency: one fleet run in one process, then split over N shard processes, with the same outputs.

The fleet is the steady-state one of ``fleet.py`` (devices powering on over ten minutes, EVE's timers) as a
scenario, with a staged rollout half-way so that the campaigns' exchange at boundaries is in the measure.
Prints both wall times, the speed-up (target: >= 1.8x on 2 processes) and whether ``summary.json`` and the
event log are the same; and the 1,000-device fleet-day at the sharded run's rate (an upper bound: onboarding
and the rollout cost more than steady state).
Usage: ``python benchmarks/shards.py [--devices 1000] [--hours 2] [--shards 2]``.
"""

from __future__ import annotations

import argparse
import time

from results import record

from evesim.scenario import loader
from evesim.scenario.run import RunResult, run
from evesim.scenario.shards import run_sharded

TARGET = 1.8
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--shards", type=int, default=2)
    args = parser.parse_args()
    loaded = loader.loads(SCENARIO.format(devices=args.devices, hours=args.hours, rollout_s=args.hours * 1800.0),
                          "shard-bench.yaml")
    started = time.perf_counter()
    one = run(loaded)
    single = time.perf_counter() - started
    started = time.perf_counter()
    split = run_sharded(loaded, args.shards)
    sharded = time.perf_counter() - started
    same = comparable(one) == comparable(split)
    speedup = single / sharded
    day = sharded * 24.0 / args.hours * 1000.0 / args.devices
    print(f"{args.devices} devices, {args.hours:g} simulated hours, {one.summary()['events']} events:")
    print(f"  one process: {single:.1f} s; {args.shards} shards: {sharded:.1f} s; speed-up {speedup:.2f}x "
          f"(target >= {TARGET:g}x on 2)")
    print(f"  same summary.json and event log: {'yes' if same else 'NO'}")
    print(f"  1,000-device fleet-day at this run's rate (onboarding and a rollout included): {day:.0f} s on "
          f"{args.shards} shards")
    name = f"shards ({args.devices} devices, {args.hours:g} h)"
    record(name, f"speed-up, {args.shards} shards / 1 process", f"{speedup:.2f}x", f">= {TARGET:g}x",
           speedup >= TARGET if args.shards == 2 else None)
    record(name, "same outputs as one process", "yes" if same else "no", "yes", same)
    record(name, f"1,000-device fleet-day on {args.shards} shards (at this run's rate, onboarding included)",
           f"{day:.0f} s", "<= 60 s", day <= 60.0)


if __name__ == "__main__":
    main()
