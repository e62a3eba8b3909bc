"""Compiled hot modules: the benchmark fleet in one process with evesim's hot modules compiled by mypyc, against the
same code as plain Python, measured in the same run.

Copies ``evesim`` into a scratch directory and compiles ``HOT`` there with mypyc (it needs gcc and Python's
headers), then runs ``fleet.py``'s world alternately as plain Python and compiled, each round in fresh processes,
and compares their CPU time and their event logs. Usage:
``python benchmarks/compiled.py [--devices 300] [--hours 1] [--rounds 4] [--modules evesim/sim/rng.py,...]``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import record

ROOT = Path(__file__).resolve().parents[1]
HOT = ("evesim/sim/backend.py", "evesim/sim/transport.py", "evesim/sim/service.py", "evesim/sim/rng.py",
       "evesim/sim/nics.py", "evesim/net/network.py", "evesim/agent/zedagent/config.py",
       "evesim/agent/zedagent/report.py", "evesim/agent/zedagent/tasks.py", "evesim/agent/controllerconn.py",
       "evesim/agent/pubsub.py", "evesim/agent/nim.py", "evesim/agent/dpc.py", "evesim/controller/core.py",
       "evesim/controller/stores/memory.py", "evesim/api/envelope.py")
"""The modules a profile of the steady fleet spends the most time in (SimPy's own aside)."""


def compile_hot(scratch: Path, modules: list[str]) -> None:
    """Copy evesim and its mypy settings into ``scratch`` and compile ``modules`` there in place."""
    shutil.copytree(ROOT / "evesim", scratch / "evesim", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    shutil.copy(ROOT / "pyproject.toml", scratch / "pyproject.toml")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mypyc", *modules], cwd=scratch, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"mypyc failed:\n{(done.stdout + done.stderr)[-3000:]}")
    print(f"compiled {len(modules)} modules with mypyc in {time.perf_counter() - started:.0f} s")


def measure(devices: int, hours: float, probe: str) -> dict[str, float | str | bool]:
    """Run the fleet here: CPU seconds of ``hours`` of steady state, the event log's digest, and whether module
    ``probe`` (one of those compiled) was imported compiled."""
    from fleet import fleet

    world = fleet(devices, "trusted")
    world.run(until=1800.0)
    started = time.process_time()
    world.run(until=1800.0 + hours * 3600.0)
    cpu = time.process_time() - started
    digest = hashlib.sha256(repr(world.log.canonical()).encode()).hexdigest()
    compiled = not str(importlib.import_module(probe).__file__).endswith(".py")
    return {"cpu_s": cpu, "digest": digest, "compiled": compiled}


def run_once(scratch: Path | None, devices: int, hours: float, probe: str) -> tuple[float, str]:
    """``measure`` in a fresh process (compiled modules from ``scratch`` first on the path, else plain Python): its
    CPU seconds and event-log digest."""
    env = dict(os.environ)
    if scratch is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(scratch), env.get("PYTHONPATH", "")])
    command = [sys.executable, __file__, "--measure", "--devices", str(devices), "--hours", str(hours),
               "--probe", probe]
    done = subprocess.run(command, cwd=Path(__file__).parent, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {'compiled' if scratch else 'plain'} run failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.splitlines()[-1])
    if result["compiled"] is not (scratch is not None):
        raise SystemExit("the run did not import the modules it was meant to")
    return float(result["cpu_s"]), str(result["digest"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=300)
    parser.add_argument("--hours", type=float, default=1.0, help="of steady state, after 30 minutes of onboarding")
    parser.add_argument("--rounds", type=int, default=4, help="runs of each, alternating")
    parser.add_argument("--modules", help="comma-separated paths to compile (default: HOT)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.devices, args.hours, args.probe)))
        return
    modules = args.modules.split(",") if args.modules else list(HOT)
    probe = modules[0].removesuffix(".py").replace("/", ".")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        compile_hot(scratch, modules)
        cpu: dict[str, list[float]] = {"plain": [], "compiled": []}
        digests: set[str] = set()
        for n in range(args.rounds):
            for kind, where in (("plain", None), ("compiled", scratch)):
                seconds, digest = run_once(where, args.devices, args.hours, probe)
                cpu[kind].append(seconds)
                digests.add(digest)
                print(f"  round {n + 1} {kind:<8} {seconds:.2f} s of CPU", flush=True)
    plain, compiled = statistics.median(cpu["plain"]), statistics.median(cpu["compiled"])
    same = len(digests) == 1
    print(f"{args.devices} devices, {args.hours:g} h of steady state, median of {args.rounds}: plain {plain:.2f} s, "
          f"compiled {compiled:.2f} s of CPU: {plain / compiled:.2f}x; same event log: {'yes' if same else 'NO'}")
    name = f"compiled hot modules ({len(modules)} by mypyc, {args.devices} devices, {args.hours:g} h)"
    record(name, "speed-up, compiled / plain Python", f"{plain / compiled:.2f}x")
    record(name, "same event log as plain Python", "yes" if same else "no", "yes", same)
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
