"""Steady-state fleet throughput: N devices for a simulated duration, against a bare SimPy loop.

Prints wall time, simulated/wall ratio, agent events (effects) per second, the same number of
timeouts in a bare SimPy loop with as many processes (measured in the same run), the ratio
of per-event costs, and memory per device (RSS growth / devices).
Usage: ``python benchmarks/fleet.py [--devices 1000] [--hours 24] [--crypto trusted]``.
"""

from __future__ import annotations

import argparse
import gc
import random
import time

import simpy

from evesim.api.envelope import CryptoMode
from evesim.sim.world import Group, World, WorldSpec

TARGETS = {"fleet_day_wall_s": 60.0, "per_event_ratio": 5.0, "kb_per_device": 50.0}


def rss_kb() -> int:
    """Resident set size of this process in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bare_simpy(processes: int, events: int) -> float:
    """Seconds a bare SimPy loop takes for ``events`` random timeouts spread over ``processes``."""
    env = simpy.Environment()
    per = max(events // processes, 1)
    draw = random.Random(1).random

    def proc() -> object:
        for _ in range(per):
            yield env.timeout(draw() * 60.0)

    for _ in range(processes):
        env.process(proc())
    started = time.perf_counter()
    env.run()
    return (time.perf_counter() - started) * events / (per * processes)


def run(devices: int, hours: float, crypto: str, warmup_s: float = 1800.0) -> dict[str, float]:
    """Build a fleet, let it onboard, then measure ``hours`` of steady state."""
    gc.collect()
    before = rss_kb()
    world = World(WorldSpec(seed=1, groups=(Group("bench", devices),), crypto=CryptoMode(crypto),
                            power_on_spread_s=600.0))
    world.start()
    world.run(until=warmup_s)
    effects0, steps0 = world.effects, world.controller.served
    started = time.perf_counter()
    world.run(until=warmup_s + hours * 3600.0)
    wall = time.perf_counter() - started
    effects = world.effects - effects0
    processes = sum(1 for d in world.devices for p in d.procs if p.is_alive)
    bare = bare_simpy(processes, effects)
    onboarded = sum(1 for d in world.devices if d.uuid)
    return {
        "devices": devices, "onboarded": onboarded, "hours": hours, "wall_s": wall,
        "speedup": hours * 3600.0 / wall, "effects": effects, "effects_per_s": effects / wall,
        "requests": world.controller.served - steps0, "processes": processes,
        "bare_s": bare, "per_event_ratio": wall / bare, "kb_per_device": (rss_kb() - before) / devices,
        "fleet_day_wall_s": wall * 24.0 / hours * 1000.0 / devices,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--crypto", choices=["trusted", "full"], default="trusted")
    args = parser.parse_args()
    r = run(args.devices, args.hours, args.crypto)
    print(f"fleet: {r['devices']} devices ({r['onboarded']} onboarded), {r['hours']:g} h simulated, crypto {args.crypto}")
    print(f"  wall {r['wall_s']:.1f} s, simulated/wall {r['speedup']:.0f}x, {r['requests']} controller requests")
    print(f"  agent events {r['effects']} ({r['effects_per_s']:.0f}/s) in {r['processes']} processes")
    print(f"  bare SimPy, same count of timeouts and processes: {r['bare_s']:.2f} s")
    print(f"  per-event cost vs bare SimPy timeout: {r['per_event_ratio']:.2f}x (target <= {TARGETS['per_event_ratio']:g}x)")
    print(f"  1,000-device fleet-day at this rate: {r['fleet_day_wall_s']:.1f} s (target <= {TARGETS['fleet_day_wall_s']:g} s)")
    print(f"  memory: {r['kb_per_device']:.1f} KB per device (target <= {TARGETS['kb_per_device']:g} KB)")


if __name__ == "__main__":
    main()
