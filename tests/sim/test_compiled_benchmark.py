"""``benchmarks/compiled.py`` compiles modules with mypyc into a scratch copy, runs the fleet both ways and compares
the event logs (one small module, a tiny fleet; no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).parents[2] / "benchmarks" / "compiled.py"


def test_the_fleet_runs_compiled_and_plain_with_the_same_event_log(tmp_path: Path) -> None:
    results = tmp_path / "rows.jsonl"
    env = {"EVESIM_BENCH_RESULTS": str(results), "PATH": os.environ["PATH"], "MYPYC_OPT_LEVEL": "0"}
    done = subprocess.run([sys.executable, str(SCRIPT), "--modules", "evesim/sim/rng.py", "--devices", "4",
                           "--hours", "0.1", "--rounds", "1"], capture_output=True, text=True, cwd=SCRIPT.parent,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "compiled 1 modules with mypyc" in done.stdout and "same event log: yes" in done.stdout
    rows = {row["measure"]: row for row in map(json.loads, results.read_text().splitlines())}
    assert rows["same event log as plain Python"]["met"] is True
    assert rows["speed-up, compiled / plain Python"]["value"].endswith("x")
