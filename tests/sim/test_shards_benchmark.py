"""``benchmarks/shards.py`` runs one fleet, or a scenario file, in one process and on shards and checks the outputs
match (tiny fleets; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).parents[2] / "benchmarks" / "shards.py"


def test_the_fleet_is_run_both_ways_and_the_outputs_compared(tmp_path: Path) -> None:
    results = tmp_path / "rows.jsonl"
    done = subprocess.run([sys.executable, str(SCRIPT), "--devices", "6", "--hours", "0.5"], capture_output=True,
                          text=True, cwd=SCRIPT.parent, timeout=300,
                          env={"EVESIM_BENCH_RESULTS": str(results), "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert "same summary.json and event log: yes" in done.stdout
    rows = {row["measure"]: row for row in map(json.loads, results.read_text().splitlines())}
    assert rows["same outputs as one process"]["met"] is True
    assert rows["speed-up, 2 shards / 1 process"]["value"].endswith("x")


def test_a_scenario_file_is_measured_at_its_size_both_ways(tmp_path: Path) -> None:
    results = tmp_path / "rows.jsonl"
    tiny = Path(__file__).parents[1] / "sweep" / "tiny-update.yaml"
    done = subprocess.run([sys.executable, str(SCRIPT), "--scenario", str(tiny)], capture_output=True,
                          text=True, cwd=SCRIPT.parent, timeout=300,
                          env={"EVESIM_BENCH_RESULTS": str(results), "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert "full size" in done.stdout and "same summary.json and event log: yes" in done.stdout
    rows = {row["measure"]: row for row in map(json.loads, results.read_text().splitlines())}
    assert rows["same outputs as one process"]["met"] is True
    assert isinstance(rows["wall on 2 shards (s)"]["value"], int) and rows["wall on 2 shards (s)"]["met"] is None


def test_steady_state_is_timed_after_the_onboarding_and_gives_the_fleet_day(tmp_path: Path) -> None:
    results = tmp_path / "rows.jsonl"
    done = subprocess.run([sys.executable, str(SCRIPT), "--devices", "6", "--hours", "0.1", "--steady"],
                          capture_output=True, text=True, cwd=SCRIPT.parent, timeout=300,
                          env={"EVESIM_BENCH_RESULTS": str(results), "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert "0.1 h of steady state after 30 min of onboarding" in done.stdout
    rows = {row["measure"]: row for row in map(json.loads, results.read_text().splitlines())}
    assert rows["same outputs as one process"]["met"] is True
    assert rows["6-device fleet-day on 2 shards (s)"]["value"] > 0
