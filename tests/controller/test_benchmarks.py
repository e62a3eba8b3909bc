"""``benchmarks/controller.py`` and ``benchmarks/loadgen.py`` run and record their figures (tiny sizes; no timing is
asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def _rows(script: str, *args: str, tmp_path: Path) -> tuple[str, dict[str, dict[str, object]]]:
    results = tmp_path / "rows.jsonl"
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                          cwd=BENCHMARKS, timeout=300, env={"EVESIM_BENCH_RESULTS": str(results), "PATH": ""})
    assert done.returncode == 0, done.stderr
    return done.stdout, {row["measure"]: row for row in map(json.loads, results.read_text().splitlines())}


def test_the_core_is_measured_over_processes_with_stores_of_their_own_and_over_one_sqlite_file(
        tmp_path: Path) -> None:
    out, rows = _rows("controller.py", "--devices", "4", "--seconds", "0.2", "--processes", "2", tmp_path=tmp_path)
    assert "one SQLite file (WAL)" in out and "a MemoryStore each" in out
    for label in ("a MemoryStore each", "one SQLite file (WAL)"):
        one = rows[f"poll-304, 1 process, {label} (per s)"]["value"]
        two = rows[f"poll-304, 2 processes, {label} (per s)"]["value"]
        assert isinstance(one, int) and isinstance(two, int) and one > 0 and two > 0
        assert rows[f"scaling, 2 processes / 1, {label}"]["value"] == f"{two / one:.2f}x"


def test_served_polls_are_measured_with_the_cpu_each_costs_the_server_and_the_clients(tmp_path: Path) -> None:
    out, rows = _rows("loadgen.py", "--connections", "1,4", "--seconds", "0.5", tmp_path=tmp_path)
    assert "us of CPU per poll" in out
    four = rows["signed 304 polls, 4 connection(s) (per s)"]
    assert four["target"] == ">= 10,718 (2x Adam)" and four["met"] is (four["value"] >= 10_718)
    for count in (1, 4):
        assert rows[f"server CPU per poll, {count} connection(s) (us)"]["value"] > 0
        assert rows[f"client CPU per poll, {count} connection(s) (us)"]["value"] > 0


def test_the_abuse_benchmark_runs_a_fleet_beside_attackers_and_records_its_targets(tmp_path: Path) -> None:
    out, rows = _rows("abuse.py", "--devices", "2", "--fuzz", "60", "--slow", "5", "--seconds", "1",
                      tmp_path=tmp_path)
    assert "acknowledged infos" in out
    assert rows["5xx answers"]["value"] == 0 and rows["5xx answers"]["met"] is True
    assert rows["acknowledged writes lost"]["value"] == 0 and rows["acknowledged writes lost"]["met"] is True
