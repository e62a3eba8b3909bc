"""``evesim sweep``: exit codes, output files and their columns."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evesim.cli import app
from evesim.scenario import cli as scenario_cli
from evesim.scenario import executors, loader
from evesim.scenario import sweep as sweep_mod
from evesim.scenario.sweep import expectation_columns
from evesim.sim.outcome import OUTCOMES

TINY = str(Path(__file__).with_name("tiny-update.yaml"))
runner = CliRunner()


def sweep(*args: str):
    return runner.invoke(app, ["sweep", TINY, "--quiet", *args])


def test_passing_sweep_exits_0_and_writes_its_outputs(tmp_path):
    result = sweep("--seeds", "3", "--first-seed", "5", "--workers", "2", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    replicas = pd.read_parquet(tmp_path / "replicas.parquet")
    names = expectation_columns(loader.load(TINY).scenario)
    assert list(replicas.columns) == [
        "seed", "passed", "error", *names, *[f"outcome_{o}" for o in OUTCOMES],
        "devices", "onboarded", "bricked", "events", "event_log_sha256", "controller_requests",
    ]
    assert list(replicas["seed"]) == [5, 6, 7]
    assert replicas["passed"].all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["scenario"] == "tiny-update"
    assert summary["seeds"] == {"first": 5, "last": 7}
    assert (summary["replicas"], summary["passed"], summary["failed"], summary["errors"]) == (3, 3, 0, 0)
    assert summary["workers"] == 2 and summary["executor"] == "local"
    assert summary["scenario_sha256"] == loader.load(TINY).digest
    assert summary["replicas_per_s"] > 0
    assert set(summary["outcomes"]) == set(OUTCOMES)
    assert not {"wall_s", "replicas_per_s"} & set(replicas.columns)


def test_default_seeds_start_at_the_scenarios_seed(tmp_path):
    result = sweep("--seeds", "2", "--workers", "1", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    seed = loader.load(TINY).scenario.seed
    assert list(pd.read_parquet(tmp_path / "replicas.parquet")["seed"]) == [seed, seed + 1]


def test_a_failing_expectation_exits_1_and_names_the_seeds(tmp_path):
    result = sweep("--seeds", "2", "--workers", "2", "--set", "expectations.0.always.max=-1", "--out", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert "failing seeds" in result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    seed = loader.load(TINY).scenario.seed
    assert summary["failing_seeds"] == [seed, seed + 1]
    assert summary["expectations"]["expect_no_device_is_ever_bricked"]["passed"] == 0


def test_scenario_errors_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(TINY).read_text().replace("duration: 45m", "duration: 45m\nfleat: []"))
    result = runner.invoke(app, ["sweep", str(bad), "--seeds", "2", "--quiet"])
    assert result.exit_code == 2
    assert "unknown key 'fleat'" in result.output
    assert sweep("--seeds", "2", "--set", "duration=-5").exit_code == 2
    assert runner.invoke(app, ["sweep", str(tmp_path / "missing.yaml"), "--seeds", "2"]).exit_code == 2


def test_a_target_error_exits_2_before_any_replica_runs(monkeypatch):
    from evesim.scenario import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "sweep", lambda *args, **kwargs: pytest.fail("a replica ran"))
    result = sweep("--seeds", "2", "--workers", "1", "--set", "timeline.0.target=group:nope")
    assert result.exit_code == 2, result.output
    assert "timeline[0].target.group: no group 'nope' (groups: edge) (from --set timeline.0.target)" in result.output


def test_bad_options_exit_2():
    assert sweep("--seeds", "0").exit_code == 2
    assert sweep("--seeds", "2", "--workers", "0").exit_code == 2
    assert sweep("--seeds", "2", "--set", "novalue").exit_code == 2
    result = sweep("--seeds", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2
    assert "--scheduler needs --executor dask" in result.output
    assert "unknown executor" in sweep("--seeds", "2", "--executor", "ray").output


def test_a_replica_that_raises_exits_3_with_its_seed(monkeypatch, tmp_path):
    @contextmanager
    def threads(kind, workers, scheduler):
        with ThreadPoolExecutor(2) as pool:
            yield executors.Pool(kind, pool, 2)

    real = sweep_mod.run

    def run(loaded, seed, on_tick=None):
        if seed == 12:
            raise ZeroDivisionError("division by zero")
        return real(loaded, seed, on_tick)

    monkeypatch.setattr(scenario_cli.executors, "open_pool", threads)
    monkeypatch.setattr(sweep_mod, "run", run)
    result = sweep("--seeds", "3", "--out", str(tmp_path))
    assert result.exit_code == 3, result.output
    assert "seed 12: ZeroDivisionError: division by zero" in result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["error_seeds"] == {"12": "ZeroDivisionError: division by zero"}
    assert summary["errors"] == 1 and summary["passed"] == 2


def test_dask_with_a_scheduler_address_gives_the_local_rows(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        result = sweep("--seeds", "3", "--executor", "dask", "--scheduler", cluster.scheduler_address,
                       "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    loaded = loader.load(TINY)
    seeds = range(loaded.scenario.seed, loaded.scenario.seed + 3)
    expected = sweep_mod.frame(sweep_mod.run_chunk(loaded, seeds), loaded.scenario)
    written = pd.read_parquet(tmp_path / "replicas.parquet", dtype_backend="numpy_nullable")
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["executor"] == "dask" and summary["workers"] == 2
