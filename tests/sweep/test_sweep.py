"""Sweeps through the Python API: same rows on every executor, errors reported with their seed."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.scenario import executors, loader
from evesim.scenario import sweep as sweep_mod
from evesim.scenario.sweep import chunk, expectation_columns, run_chunk, schema, slug, sweep
from evesim.sim.events import write_parquet
from evesim.sim.outcome import OUTCOMES

TINY = Path(__file__).with_name("tiny-update.yaml")
SEEDS = range(11, 17)


@pytest.fixture(scope="module")
def tiny() -> loader.Loaded:
    return loader.load(TINY)


@pytest.fixture(scope="module")
def reference(tiny: loader.Loaded) -> pd.DataFrame:
    """The sweep's rows computed in this process, one replica after another."""
    return sweep_mod.frame(run_chunk(tiny, SEEDS), tiny.scenario)


# ---------------------------------------------------------------- executor equivalence


@pytest.mark.parametrize("kind,workers", [("local", 1), ("local", 2), ("dask", 2)])
def test_rows_are_identical_whatever_the_executor(tiny, reference, kind, workers, tmp_path):
    with executors.open_pool(kind, workers) as pool:
        result = sweep(tiny, SEEDS, pool.executor, pool.slots, pool.kind)
    pd.testing.assert_frame_equal(result.replicas, reference)
    assert result.summary()["executor"] == kind
    result.write(tmp_path)
    write_parquet(reference, tmp_path / "reference.parquet")
    assert (tmp_path / "replicas.parquet").read_bytes() == (tmp_path / "reference.parquet").read_bytes()
    assert list(pd.read_parquet(tmp_path / "replicas.parquet")["seed"]) == list(SEEDS)


def test_replicas_differ_by_seed_and_repeat_by_seed(tiny, reference):
    assert reference["event_log_sha256"].nunique() == len(SEEDS)
    again = sweep_mod.frame(run_chunk(tiny, [SEEDS[2]]), tiny.scenario)
    assert again.iloc[0].equals(reference.iloc[2])


# ---------------------------------------------------------------- rows


def test_row_columns_and_their_consistency(tiny, reference):
    assert list(reference.columns) == list(schema(tiny.scenario))
    assert (reference["error"] == "").all()
    outcome_total = reference[[f"outcome_{name}" for name in OUTCOMES]].sum(axis=1)
    assert (outcome_total == reference["devices"]).all()
    expectations = reference[expectation_columns(tiny.scenario)]
    assert (expectations.all(axis=1) == reference["passed"]).all()
    assert (reference["onboarded"] <= reference["devices"]).all()
    assert (reference["controller_requests"] > 0).all()


def test_summary_aggregates_the_rows(tiny, reference):
    result = sweep_mod.SweepResult(tiny, reference, "local", 1, 2.0, {"duration": "45m"})
    summary = result.summary()
    assert summary["replicas"] == len(SEEDS)
    assert summary["seeds"] == {"first": SEEDS[0], "last": SEEDS[-1]}
    assert summary["passed"] + summary["failed"] + summary["errors"] == len(SEEDS)
    assert summary["replicas_per_s"] == len(SEEDS) / 2.0
    assert summary["overrides"] == {"duration": "45m"}
    for name in OUTCOMES:
        column = reference[f"outcome_{name}"]
        assert summary["outcomes"][name]["total"] == column.sum()
        assert summary["outcomes"][name]["mean"] == pytest.approx(column.mean())


def test_overrides_reach_every_replica():
    loaded = loader.load(TINY, {"fleet.0.count": 2})
    with ThreadPoolExecutor(2) as pool:
        result = sweep(loaded, range(3), pool, 2)
    assert (result.replicas["devices"] == 2).all()


# ---------------------------------------------------------------- errors


def _raise_for_seed(seed: int):
    real = sweep_mod.run

    def run(loaded, replica_seed, on_tick=None):
        if replica_seed == seed:
            raise RuntimeError(f"boom at {replica_seed}")
        return real(loaded, replica_seed, on_tick)

    return run


def test_an_exception_becomes_that_seeds_error_row(tiny, monkeypatch):
    monkeypatch.setattr(sweep_mod, "run", _raise_for_seed(13))
    with ThreadPoolExecutor(2) as pool:
        result = sweep(tiny, SEEDS, pool, 2)
    assert result.errors == {13: "RuntimeError: boom at 13"}
    failed = result.replicas.set_index("seed").loc[13]
    assert not failed["passed"]
    assert pd.isna(failed["devices"]) and pd.isna(failed["event_log_sha256"])
    assert len(result.ok) == len(SEEDS) - 1
    assert 13 not in result.failing_seeds
    assert result.summary()["error_seeds"] == {"13": "RuntimeError: boom at 13"}


def _exit_on_seed(seed: int) -> None:
    """Pool initializer: the worker process dies abruptly when it reaches ``seed``."""
    real = sweep_mod.run

    def run(loaded, replica_seed, on_tick=None):
        if replica_seed == seed:
            os._exit(17)
        return real(loaded, replica_seed, on_tick)

    sweep_mod.run = run


def test_a_dead_worker_fails_its_seeds_and_the_sweep_returns(tiny):
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_exit_on_seed, initargs=(12,)) as pool:
        result = sweep(tiny, SEEDS, pool, 6)
    assert list(result.replicas["seed"]) == list(SEEDS)
    assert 12 in result.errors
    assert all(error.startswith("BrokenProcessPool") for error in result.errors.values())
    assert set(result.errors) | set(result.ok["seed"]) == set(SEEDS)


def test_executor_errors_are_clear():
    with pytest.raises(executors.ExecutorError, match="--scheduler needs --executor dask"):
        with executors.open_pool("local", 1, "tcp://127.0.0.1:1"):
            pass
    with pytest.raises(executors.ExecutorError, match="unknown executor"):
        with executors.open_pool("ray", 1):
            pass
    with pytest.raises(executors.ExecutorError, match="at least 1"):
        with executors.open_pool("local", 0):
            pass


# ---------------------------------------------------------------- properties


@given(st.integers(0, 5000), st.integers(0, 500), st.integers(1, 64))
def test_chunks_cover_the_seeds_in_order(first, count, slots):
    seeds = range(first, first + count)
    parts = chunk(seeds, slots)
    assert [s for part in parts for s in part] == list(seeds)
    assert all(1 <= len(part) <= sweep_mod.MAX_CHUNK for part in parts)
    if count >= slots * sweep_mod.CHUNKS_PER_SLOT and count <= slots * sweep_mod.MAX_CHUNK:
        assert len(parts) >= slots


@given(st.lists(st.text(max_size=80) | st.none(), min_size=1, max_size=6))
def test_expectation_columns_are_unique_identifiers(names):
    scenario = loader.load(TINY).scenario
    exp = scenario.expectations[0]
    scenario = scenario.model_copy(update={"expectations": [exp.model_copy(update={"name": n}) for n in names]})
    columns = expectation_columns(scenario)
    assert len(set(columns)) == len(columns) == len(names)
    assert all(c.isidentifier() and c.startswith("expect_") and c == c.lower() for c in columns)
    assert columns == expectation_columns(scenario)


@given(st.text(max_size=200))
def test_slug_is_a_short_identifier_fragment(text):
    value = slug(text)
    assert value and len(value) <= 60
    assert all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in value)
    assert slug(value) == value


def test_ctrl_c_outside_a_sweeps_worker_is_the_callers(monkeypatch) -> None:
    """run_chunk keeps finished rows on SIGINT only in a worker that ignores SIGINT; called directly it re-raises."""
    def interrupted(loaded, seed):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_mod, "replica", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sweep_mod.run_chunk(None, [1, 2])
