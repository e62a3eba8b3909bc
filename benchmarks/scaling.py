"""How the fleet scales: wall time per simulated day and memory per device, from 100 to 10,000 devices.

Each size runs in a process of its own, so that its memory is that fleet's alone, and is measured as
``fleet.py`` measures it: 30 simulated minutes of onboarding, then ``--hours`` of steady state, next to a bare
SimPy loop with as many timeouts. Prints a table, records each size's figures for ``run_all.py``, and with
``--plot PATH`` draws both curves with their targets.
Usage: ``python benchmarks/scaling.py [--sizes 100,300,1000,3000,10000] [--hours 0.5] [--plot docs/scaling.png]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from fleet import run
from results import record

HERE = Path(__file__).parent
DAY_TARGETS = {1000: (120.0, "<= 120 in one process"), 10_000: (600.0, "<= 600 with --shards 2")}
"""Fleet-day wall targets: 1,000 devices in one process; 10,000 devices on two shards (this measures one process)."""
KB_TARGET = 50.0
"""Memory per device, at every size."""
US_TARGET = 20.0
"""Time per controller request on one core."""


def measure(devices: int, hours: float) -> dict[str, float]:
    """One size, measured in a fresh process."""
    done = subprocess.run([sys.executable, str(Path(__file__)), "--one", str(devices), "--hours", str(hours)],
                          capture_output=True, text=True, cwd=HERE)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {devices} devices failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def day_s(r: dict[str, float]) -> float:
    """Wall seconds a simulated day of this fleet takes, from its steady-state rate."""
    return r["wall_s"] * 24.0 / r["hours"]


def report(rows: list[dict[str, float]]) -> None:
    """Print the table and record the figures."""
    print(f"{'devices':>8} {'wall/sim h':>11} {'fleet-day':>10} {'us/request':>11} {'vs SimPy':>9} {'KB/device':>10}")
    for r in rows:
        n = int(r["devices"])
        per_request = r["wall_s"] / r["requests"] * 1e6
        print(f"{n:>8} {r['wall_s'] / r['hours']:>10.1f}s {day_s(r):>9.0f}s {per_request:>11.1f} "
              f"{r['per_event_ratio']:>8.2f}x {r['kb_per_device']:>10.1f}")
        name = f"scaling ({n} devices, {r['hours']:g} h of steady state)"
        limit, target = DAY_TARGETS.get(n, (None, ""))
        record(name, "fleet-day wall, one process (s)", round(day_s(r)), target,
               day_s(r) <= limit if limit is not None else None)
        record(name, "time per controller request, one core (us)", round(per_request, 1), f"<= {US_TARGET:g}",
               per_request <= US_TARGET)
        record(name, "memory per device (KB)", round(r["kb_per_device"], 1), f"<= {KB_TARGET:g}",
               r["kb_per_device"] <= KB_TARGET)


def plot(rows: list[dict[str, float]], path: Path) -> None:
    """Fleet-day wall time and memory per device against fleet size, with the targets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(r["devices"]) for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.loglog(sizes, [day_s(r) for r in rows], "o-", label="measured (one process)")
    left.loglog(list(DAY_TARGETS), [limit for limit, _ in DAY_TARGETS.values()], "r*", markersize=12,
                label="targets (1,000: one process; 10,000: two shards)")
    left.set(xlabel="devices", ylabel="wall seconds per simulated day", title="Time")
    right.semilogx(sizes, [r["kb_per_device"] for r in rows], "o-", label="measured (RSS growth / devices)")
    right.axhline(KB_TARGET, color="r", linestyle="--", label=f"target {KB_TARGET:g} KB")
    right.set(xlabel="devices", ylabel="KB per device", title="Memory", ylim=(0, None))
    for axes in (left, right):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000,3000,10000", help="fleet sizes, comma-separated")
    parser.add_argument("--hours", type=float, default=0.5, help="simulated hours of steady state per size")
    parser.add_argument("--plot", type=Path, help="write the scaling plot (PNG) here")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run(args.one, args.hours, "trusted")))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"  {size} devices ...", flush=True)
        rows.append(measure(size, args.hours))
    report(rows)
    if args.plot is not None:
        plot(rows, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
