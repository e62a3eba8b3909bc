"""Run every benchmark with its defaults, one after the other (``make bench``), and write their figures to
``docs/performance.md`` with the machine and the date.

Usage: ``python benchmarks/run_all.py [--out docs/performance.md]``. Each benchmark prints its own report as
it goes; the table gathers the figures each one records (``results.record``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
BENCHMARKS = [["controller.py"], ["loadgen.py"], ["fleet.py"], ["scaling.py"], ["shards.py"],
              ["shards.py", "--devices", "10000", "--hours", "0.5", "--steady"],
              ["rollout.py"], ["sweep.py"], ["abuse.py"], ["compiled.py"]]
"""Each benchmark's script and arguments, in the order they run. ``shards.py --scenario
scenarios/staged-rollout-10k.yaml`` is not among them: in one process alone it runs for more than 40 minutes."""
PLOT = "scaling.png"
"""The scaling plot ``scaling.py`` draws next to the page."""


def machine() -> str:
    """CPU model and count, memory, OS, Python, and the commit measured."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"
    return (f"{cpu}, {os.cpu_count()} CPUs, {memory:.0f} GiB; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; commit {commit}")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def table(rows: list[dict[str, object]]) -> str:
    """The figures as a Markdown table."""
    lines = ["| benchmark | measure | value | target | met |", "|---|---|---|---|---|"]
    for row in rows:
        met = {True: "yes", False: "**no**", None: ""}[row["met"]]  # type: ignore[index]
        lines.append(f"| {row['benchmark']} | {row['measure']} | {row['value']} | {row['target']} | {met} |")
    return "\n".join(lines)


def page(rows: list[dict[str, object]], failed: list[str], plotted: bool) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = f"\nThese benchmarks exited with an error: {', '.join(failed)}.\n" if failed else ""
    picture = (f"\n![Fleet-day wall time and memory per device from 100 to 10,000 devices, with the targets]"
               f"({PLOT})\n") if plotted else ""
    return f"""# Performance

Measured by `python benchmarks/run_all.py` (`make bench`) on {when}: {machine()}.
Each benchmark measures its own baseline in the same run (a bare SimPy loop, the steady state, one
worker, the codec alone, the fleet without abuse), so ratios hold across machines better than the
absolute figures. Run one benchmark alone for its full report; `--help` lists its options.
`shards.py --scenario scenarios/staged-rollout-10k.yaml` (the staged rollout at its full size, which runs for more
than 40 minutes in one process) is not among them: run it alone.
{note}
{table(rows)}
{picture}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    failed = []
    plot = args.out.parent / PLOT
    plot.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results.jsonl"
        results.touch()
        for name, *options in BENCHMARKS:
            print(f"== {' '.join([name, *options])}", flush=True)
            env = {**os.environ, "EVESIM_BENCH_RESULTS": str(results)}
            extra = ["--plot", str(plot)] if name == "scaling.py" else []
            if subprocess.call([sys.executable, str(HERE / name), *options, *extra], env=env) != 0:
                failed.append(" ".join([name, *options]))
        rows = [json.loads(line) for line in results.read_text().splitlines()]
    args.out.write_text(page(rows, failed, plot.exists()), encoding="utf-8")
    print(f"figures written to {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
