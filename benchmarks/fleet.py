"""Steady-state fleet throughput: N devices for a simulated duration, against a bare SimPy loop.

Prints wall time, simulated/wall ratio, agent events (effects) per second, the same number of
timeouts in a bare SimPy loop with as many processes (measured in the same run), the ratio
of per-event costs, and memory per device (RSS growth / devices). ``--breakdown`` adds where
a request's wall time goes (controller core, transport and network, agents and runtime) and
whose memory a device costs (the device twin or the controller's store), from a second run.
Usage: ``python benchmarks/fleet.py [--devices 1000] [--hours 24] [--crypto trusted] [--breakdown]``.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import simpy
from results import record

from evesim.api.envelope import CryptoMode
from evesim.sim import transport
from evesim.sim.world import Group, World, WorldSpec

TARGETS = {"fleet_day_wall_s": 60.0, "per_event_ratio": 5.0, "kb_per_device": 50.0}
MEMORY_SAMPLE = 100
"""Devices in the tracemalloc run of ``--breakdown`` (tracing is slow; heap per device does not depend on N)."""


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


def fleet(devices: int, crypto: str) -> World:
    """The benchmark fleet: ``devices`` devices powering on over ten minutes, started."""
    world = World(WorldSpec(seed=1, groups=(Group("bench", devices),), crypto=CryptoMode(crypto),
                            power_on_spread_s=600.0))
    world.start()
    return world


def run(devices: int, hours: float, crypto: str, warmup_s: float = 1800.0) -> dict[str, float]:
    """Build a fleet, let it onboard, then measure ``hours`` of steady state."""
    gc.collect()
    before = rss_kb()
    world = fleet(devices, crypto)
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


def _timed(fn: Callable[..., Any], totals: dict[str, float], key: str) -> Callable[..., Any]:
    """``fn`` that adds its wall time to ``totals[key]``."""

    def wrapper(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            totals[key] += time.perf_counter() - started

    return wrapper


def time_split(devices: int, hours: float, crypto: str, warmup_s: float = 1800.0) -> dict[str, float]:
    """Microseconds per controller request spent in the controller core, in the transport and network
    model around it, and everywhere else (agents, effects, pubsub, SimPy)."""
    totals = {"exchange": 0.0, "core": 0.0}
    plain = transport.exchange
    transport.exchange = _timed(plain, totals, "exchange")
    try:
        world = fleet(devices, crypto)
        core = world.controller.core
        core.handle = _timed(core.handle, totals, "core")
        world.run(until=warmup_s)
        served = world.controller.served
        totals.update(exchange=0.0, core=0.0)
        started = time.perf_counter()
        world.run(until=warmup_s + hours * 3600.0)
        wall = time.perf_counter() - started
    finally:
        transport.exchange = plain
    per = 1e6 / (world.controller.served - served)
    return {"total_us": wall * per, "core_us": totals["core"] * per,
            "transport_us": (totals["exchange"] - totals["core"]) * per,
            "agents_us": (wall - totals["exchange"]) * per,
            "requests_per_device_hour": (world.controller.served - served) / devices / hours}


def memory_split(devices: int, crypto: str, settle_s: float = 2400.0) -> dict[str, float]:
    """Python heap per device after ``settle_s`` simulated seconds, split into what the controller
    keeps for it (allocated under ``evesim/controller``) and the device twin (everything else)."""
    gc.collect()
    tracemalloc.start(16)
    try:
        world = fleet(devices, crypto)
        world.run(until=settle_s)
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    controller = twin = 0
    for trace in snapshot.traces:
        if any("/evesim/controller/" in frame.filename for frame in trace.traceback):
            controller += trace.size
        else:
            twin += trace.size
    return {"twin_kb": twin / devices / 1024, "controller_kb": controller / devices / 1024}


def print_breakdown(devices: int, hours: float, crypto: str) -> None:
    """Run the fleet again with timers and then with tracemalloc, and print both splits."""
    t = time_split(devices, hours, crypto)
    budget = TARGETS["fleet_day_wall_s"] / (t["requests_per_device_hour"] * 24.0 * 1000.0) * 1e6
    print(f"  per request ({t['requests_per_device_hour']:.0f} per device-hour): {t['total_us']:.1f} us = "
          f"controller core {t['core_us']:.1f} + transport and network {t['transport_us']:.1f} "
          f"+ agents, effects and SimPy {t['agents_us']:.1f} (the fleet-day target allows {budget:.1f})")
    sample = min(devices, MEMORY_SAMPLE)
    m = memory_split(sample, crypto)
    print(f"  Python heap per device (tracemalloc, {sample} devices): device twin {m['twin_kb']:.1f} KB "
          f"+ kept by the controller {m['controller_kb']:.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--crypto", choices=["trusted", "full"], default="trusted")
    parser.add_argument("--breakdown", action="store_true", help="also split request time and memory by part")
    args = parser.parse_args()
    r = run(args.devices, args.hours, args.crypto)
    print(f"fleet: {r['devices']} devices ({r['onboarded']} onboarded), {r['hours']:g} h simulated, "
          f"crypto {args.crypto}")
    print(f"  wall {r['wall_s']:.1f} s, simulated/wall {r['speedup']:.0f}x, {r['requests']} controller requests")
    print(f"  agent events {r['effects']} ({r['effects_per_s']:.0f}/s) in {r['processes']} processes")
    print(f"  bare SimPy, same count of timeouts and processes: {r['bare_s']:.2f} s")
    print(f"  per-event cost vs bare SimPy timeout: {r['per_event_ratio']:.2f}x "
          f"(target <= {TARGETS['per_event_ratio']:g}x)")
    print(f"  1,000-device fleet-day at this rate: {r['fleet_day_wall_s']:.1f} s "
          f"(target <= {TARGETS['fleet_day_wall_s']:g} s)")
    print(f"  memory: {r['kb_per_device']:.1f} KB per device (target <= {TARGETS['kb_per_device']:g} KB)")
    name = f"fleet ({r['devices']} devices, {r['hours']:g} h, crypto {args.crypto})"
    record(name, "simulated / wall", f"{r['speedup']:.0f}x")
    record(name, "per-event cost vs a bare SimPy timeout", f"{r['per_event_ratio']:.2f}x",
           f"<= {TARGETS['per_event_ratio']:g}x", r["per_event_ratio"] <= TARGETS["per_event_ratio"])
    record(name, "1,000-device fleet-day, wall (s)", round(r["fleet_day_wall_s"], 1),
           f"<= {TARGETS['fleet_day_wall_s']:g}", r["fleet_day_wall_s"] <= TARGETS["fleet_day_wall_s"])
    record(name, "memory per device (KB)", round(r["kb_per_device"], 1), f"<= {TARGETS['kb_per_device']:g}",
           r["kb_per_device"] <= TARGETS["kb_per_device"])
    if args.breakdown:
        print_breakdown(args.devices, min(args.hours, 1.0), args.crypto)


if __name__ == "__main__":
    main()
