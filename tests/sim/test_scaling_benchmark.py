"""``benchmarks/scaling.py`` measures each size in a process of its own and draws the plot (tiny fleets; no timing
is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).parents[2] / "benchmarks" / "scaling.py"


def test_each_size_is_measured_recorded_and_plotted(tmp_path: Path) -> None:
    results, plot = tmp_path / "rows.jsonl", tmp_path / "scaling.png"
    done = subprocess.run([sys.executable, str(SCRIPT), "--sizes", "3,6", "--hours", "0.1", "--plot", str(plot)],
                          capture_output=True, text=True, cwd=SCRIPT.parent, timeout=300,
                          env={"EVESIM_BENCH_RESULTS": str(results), "PATH": ""})
    assert done.returncode == 0, done.stderr
    table = [line.split() for line in done.stdout.splitlines() if len(line.split()) == 6]
    assert [row[0] for row in table] == ["3", "6"]
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert {row["benchmark"] for row in rows} == {"scaling (3 devices, 0.1 h of steady state)",
                                                  "scaling (6 devices, 0.1 h of steady state)"}
    memory = [row for row in rows if row["measure"] == "memory per device (KB)"]
    assert len(memory) == 2 and all(row["target"] == "<= 50" for row in memory)  # a tiny fleet's growth is noise
    per_request = [row for row in rows if row["measure"] == "time per controller request, one core (us)"]
    assert len(per_request) == 2 and all(row["value"] > 0 for row in per_request)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
