"""A fleet rolling out a new EVE version through power cuts, against the same fleet in steady state.

Both runs use N devices for the same simulated hours in this process; prints wall time and
simulated/wall ratio of each and the cost ratio per simulated hour (target: rollout <= 2x steady).
Usage: ``python benchmarks/rollout.py [--devices 1000] [--hours 2]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from results import record

from evesim.scenario import loader
from evesim.scenario.build import world as build_world
from evesim.scenario.timeline import Timeline

FLAGSHIP = Path(__file__).parents[1] / "scenarios" / "power-loss-during-update.yaml"
TARGET = 2.0


def measure(devices: int, hours: float, with_rollout: bool) -> tuple[float, int]:
    """Wall seconds for ``hours`` simulated after a 15-minute warm-up, and power cuts that landed."""
    x86 = devices * 3 // 4
    overrides = {"fleet.0.count": x86, "fleet.1.count": devices - x86, "duration": f"{hours + 1}h"}
    scenario = loader.load(FLAGSHIP, overrides).scenario
    if not with_rollout:
        scenario = scenario.model_copy(update={"timeline": []})
    world = build_world(scenario)
    Timeline(world, scenario).arm()
    world.start()
    world.run(until=15 * 60.0)
    started = time.perf_counter()
    world.run(until=15 * 60.0 + hours * 3600.0)
    return time.perf_counter() - started, world.log.counts.get("power_cut", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=2.0)
    args = parser.parse_args()
    steady, _ = measure(args.devices, args.hours, with_rollout=False)
    rollout, cuts = measure(args.devices, args.hours, with_rollout=True)
    sim = args.hours * 3600.0
    print(f"{args.devices} devices, {args.hours:g} simulated hours each")
    print(f"  steady state: wall {steady:.1f} s, simulated/wall {sim / steady:.0f}x, "
          f"{steady / args.hours:.1f} s per simulated hour")
    print(f"  rollout with {cuts} power cuts: wall {rollout:.1f} s, simulated/wall {sim / rollout:.0f}x, "
          f"{rollout / args.hours:.1f} s per simulated hour")
    print(f"  rollout / steady per simulated hour: {rollout / steady:.2f}x (target <= {TARGET:g}x)")
    name = f"rollout ({args.devices} devices, {args.hours:g} h)"
    record(name, "steady state, wall per simulated hour (s)", round(steady / args.hours, 1))
    record(name, "rollout / steady state per simulated hour", f"{rollout / steady:.2f}x", f"<= {TARGET:g}x",
           rollout / steady <= TARGET)


if __name__ == "__main__":
    main()
