"""A small rollout run and a small sweep, written once and loaded by the analysis tests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from evesim import analysis
from evesim.scenario import loader
from evesim.scenario import sweep as sweep_mod
from evesim.scenario.run import run

HERE = Path(__file__).parent
ROLLOUT = HERE / "rollout.yaml"
TINY = HERE.parent / "sweep" / "tiny-update.yaml"


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    run(loader.load(ROLLOUT)).write(out)
    return out


@pytest.fixture(scope="session")
def fleet_run(run_dir: Path) -> analysis.Run:
    return analysis.load_run(run_dir)


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five replicas of the tiny update scenario plus one that raised (its row has NAs)."""
    out = tmp_path_factory.mktemp("sweep")
    loaded = loader.load(TINY)
    with ThreadPoolExecutor(1) as pool:
        result = sweep_mod.sweep(loaded, range(1, 6), pool, 1)
    rows = result.replicas.to_dict("records") + [sweep_mod.error_row(6, RuntimeError("boom"))]
    result.replicas = sweep_mod.frame(rows, loaded.scenario)
    result.write(out)
    return out


@pytest.fixture(scope="session")
def fleet_sweep(sweep_dir: Path) -> analysis.Sweep:
    return analysis.load_sweep(sweep_dir)
