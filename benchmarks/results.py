"""A benchmark's figures for ``run_all.py``'s table: each call adds one row to the JSON-lines file named by
``EVESIM_BENCH_RESULTS`` (nothing when it is not set, as when a benchmark is run on its own)."""

from __future__ import annotations

import json
import os


def record(benchmark: str, measure: str, value: float | str, target: str = "", met: bool | None = None) -> None:
    """One figure: what was measured, its value (with its unit in ``measure``), the target and whether it is met."""
    path = os.environ.get("EVESIM_BENCH_RESULTS")
    if not path:
        return
    row = {"benchmark": benchmark, "measure": measure, "value": value, "target": target, "met": met}
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(row) + "\n")
