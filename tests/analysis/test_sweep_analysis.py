"""Analyses across a sweep's replicas."""

from __future__ import annotations

import pytest

from evesim import analysis
from evesim.sim.outcome import OUTCOMES


def test_load_sweep_reads_both_outputs(fleet_sweep):
    assert fleet_sweep.summary["replicas"] == len(fleet_sweep.replicas) == 6
    assert fleet_sweep.summary["errors"] == 1
    assert list(fleet_sweep.replicas["seed"]) == sorted(fleet_sweep.replicas["seed"])


def test_outcome_distribution_has_one_row_per_replica_and_outcome(fleet_sweep):
    long = analysis.outcome_distribution(fleet_sweep)
    completed = fleet_sweep.replicas[fleet_sweep.replicas["error"] == ""]
    assert len(long) == len(completed) * len(OUTCOMES)
    assert list(dict.fromkeys(long["outcome"])) == list(OUTCOMES)
    per_seed = long.groupby("seed")["devices"].sum()
    assert per_seed.to_dict() == dict(zip(completed["seed"], completed["devices"], strict=False))


def test_outcome_stats_agree_with_the_summary(fleet_sweep):
    stats = analysis.outcome_stats(fleet_sweep)
    assert list(stats.index) == list(OUTCOMES)
    for name in OUTCOMES:
        assert stats.loc[name, "mean"] == pytest.approx(fleet_sweep.summary["outcomes"][name]["mean"])
        assert stats.loc[name, "min"] <= stats.loc[name, "median"] <= stats.loc[name, "max"]


def test_pass_rates_agree_with_the_summary(fleet_sweep):
    rates = analysis.pass_rates(fleet_sweep)
    completed = fleet_sweep.summary["replicas"] - fleet_sweep.summary["errors"]
    assert list(rates.index) == list(fleet_sweep.summary["expectations"])
    for column, rate in rates.items():
        assert rate == pytest.approx(fleet_sweep.summary["expectations"][column]["passed"] / completed)


def test_outcome_distribution_plot_has_a_box_per_outcome(fleet_sweep):
    figure = analysis.plot_outcome_distribution(fleet_sweep)
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_xticklabels()] == list(OUTCOMES)
    assert axes.get_title() == "Outcomes across 5 replicas"
    figure.canvas.draw()


def test_load_sweep_errors_are_clear(sweep_dir, tmp_path):
    with pytest.raises(analysis.AnalysisError, match="missing .*replicas.parquet"):
        analysis.load_sweep(tmp_path)
    with pytest.raises(analysis.AnalysisError, match="evesim run"):
        analysis.load_run(sweep_dir)
