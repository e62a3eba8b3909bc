"""Sweep throughput: replicas per second of the power-loss scenario on 1 and 2 local workers.

A small fleet (``--set`` style overrides) keeps one replica near a second. Each pool is warmed
up (worker processes started) before timing. Prints replicas/s per worker count, the scaling
ratio (2 workers over 1) and whether both sweeps produced identical rows. Other processes on
the same cores pull the ratio down, so the same pools also time a pure-Python CPU loop: its
ratio is the most this machine allows right now, and the sweep's ratio is reported against it.
Usage: ``python benchmarks/sweep.py [--seeds 16] [--x86 10] [--pi 2]``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from results import record

from evesim.scenario import executors, loader
from evesim.scenario.sweep import SweepResult, sweep

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "power-loss-during-update.yaml"
TARGETS = {"scaling_2_workers": 1.6, "share_of_cpu_loop_scaling": 0.9}
LOOP_TASKS = 16
LOOP_STEPS = 2_000_000


def spin(steps: int) -> int:
    """A pure-Python CPU loop (the parallel-capacity probe)."""
    total = 0
    for i in range(steps):
        total += i & 7
    return total


def measure(loaded: loader.Loaded, seeds: range, workers: int) -> tuple[SweepResult, float]:
    """Sweep ``seeds`` on a warmed-up local pool of ``workers`` processes; also time the CPU loop there."""
    with executors.local(workers) as pool:
        list(pool.executor.map(abs, range(workers * 4)))
        started = time.perf_counter()
        list(pool.executor.map(spin, [LOOP_STEPS] * LOOP_TASKS))
        loop_s = time.perf_counter() - started
        return sweep(loaded, seeds, pool.executor, pool.slots, pool.kind), loop_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16, help="replicas per measurement")
    parser.add_argument("--x86", type=int, default=10, help="devices in the scenario's x86 group")
    parser.add_argument("--pi", type=int, default=2, help="devices in the scenario's pi group")
    args = parser.parse_args()
    loaded = loader.load(SCENARIO, {"fleet.0.count": args.x86, "fleet.1.count": args.pi})
    seeds = range(1, args.seeds + 1)
    started = time.perf_counter()
    measured = {workers: measure(loaded, seeds, workers) for workers in (1, 2)}
    results = {workers: result for workers, (result, _) in measured.items()}
    rates = {workers: len(seeds) / result.wall_s for workers, result in results.items()}
    scaling = rates[2] / rates[1]
    loop_scaling = measured[1][1] / measured[2][1]
    print(f"sweep: {loaded.scenario.name}, {args.x86 + args.pi} devices, {len(seeds)} replicas per measurement")
    for workers, result in results.items():
        print(f"  {workers} worker(s): {result.wall_s:.1f} s, {rates[workers]:.2f} replicas/s, "
              f"{result.wall_s * workers / len(seeds):.2f} s per replica per worker")
    print(f"  scaling 2 workers / 1 worker: {scaling:.2f}x (target >= {TARGETS['scaling_2_workers']:g}x)")
    print(f"  CPU-loop scaling on the same pools: {loop_scaling:.2f}x; the sweep reaches "
          f"{scaling / loop_scaling:.0%} of it (target >= {TARGETS['share_of_cpu_loop_scaling']:.0%})")
    identical = results[1].replicas.equals(results[2].replicas)
    print(f"  rows identical: {'yes' if identical else 'NO'}")
    name = f"sweep ({args.x86 + args.pi} devices, {len(seeds)} replicas)"
    record(name, "replicas/s on 1 worker", round(rates[1], 2))
    record(name, "scaling, 2 workers / 1", f"{scaling:.2f}x", f">= {TARGETS['scaling_2_workers']:g}x",
           scaling >= TARGETS["scaling_2_workers"])
    share = scaling / loop_scaling
    record(name, "share of a CPU loop's scaling", f"{share:.0%}", f">= {TARGETS['share_of_cpu_loop_scaling']:.0%}",
           share >= TARGETS["share_of_cpu_loop_scaling"])
    record(name, "rows identical on 1 and 2 workers", "yes" if identical else "no", "yes", identical)
    print(f"  total benchmark time {time.perf_counter() - started:.1f} s; {os.cpu_count()} CPUs, "
          f"1-minute load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
