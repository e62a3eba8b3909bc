"""``benchmarks/run_all.py`` gathers what each benchmark records into docs/performance.md's table."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_recorded_figures_become_the_pages_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results, run_all = _module("results"), _module("run_all")
    file = tmp_path / "rows.jsonl"
    results.record("fleet", "memory per device (KB)", 1.0, "<= 2", True)  # not recording: no file named
    monkeypatch.setenv("EVESIM_BENCH_RESULTS", str(file))
    results.record("fleet (10 devices)", "memory per device (KB)", 121.5, "<= 50", False)
    results.record("sweep", "replicas/s on 1 worker", 1.25)
    rows = [json.loads(line) for line in file.read_text().splitlines()]
    page = run_all.page(rows, ["abuse.py"], plotted=False)
    assert "![" not in page
    assert "| fleet (10 devices) | memory per device (KB) | 121.5 | <= 50 | **no** |" in page
    assert "| sweep | replicas/s on 1 worker | 1.25 |  |  |" in page
    assert "exited with an error: abuse.py" in page and "CPUs" in page and "Python" in page


def test_the_page_shows_the_scaling_plot_when_it_was_drawn() -> None:
    run_all = _module("run_all")
    assert f"]({run_all.PLOT})" in run_all.page([], [], plotted=True)
