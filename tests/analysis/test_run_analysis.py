"""Analyses of one run, checked against each other and against the run's other outputs."""

from __future__ import annotations

import json

import pytest

from evesim import analysis
from evesim.analysis import fleet


def test_load_run_reads_every_output(fleet_run):
    assert fleet_run.summary["scenario"] == "analysis-rollout"
    assert len(fleet_run.events) == fleet_run.summary["events"]
    assert len(fleet_run.devices) == fleet_run.summary["devices"]
    assert {"time", "series", "value"} <= set(fleet_run.metrics.columns)


def test_version_mix_ends_where_the_devices_frame_does(fleet_run):
    mix = analysis.version_mix(fleet_run)
    assert mix.index.is_monotonic_increasing
    assert (mix.sum(axis=1) <= fleet_run.summary["devices"]).all()
    running = fleet_run.devices[fleet_run.devices["version"] != ""]["version"].value_counts()
    final = mix.iloc[-1]
    assert final[final > 0].sort_index().to_dict() == running.sort_index().to_dict()
    assert set(mix.columns) >= set(fleet_run.summary["versions"]) - {""}


def test_version_mix_shows_every_version_that_ever_booted(fleet_run):
    booted = set(fleet.decoded(fleet_run, "boot")["version"])
    mix = analysis.version_mix(fleet_run)
    assert booted <= set(mix.columns)
    assert (mix.max() > 0).all()


def test_funnel_never_widens_and_ends_at_the_commits(fleet_run):
    steps = analysis.funnel(fleet_run)
    assert list(steps.index) == [label for label, _, _ in analysis.FUNNEL]
    assert (steps.diff().dropna() <= 0).all()
    started = fleet_run.events[fleet_run.events["kind"] == "download_started"]["device"].nunique()
    committed = fleet_run.events[fleet_run.events["kind"] == "update_committed"]["device"].nunique()
    assert steps.iloc[0] == started
    assert steps.iloc[-1] == committed == len(analysis.time_to_update(fleet_run))
    asked = fleet_run.devices[fleet_run.devices["outcome"] != "unchanged"]
    assert steps.iloc[0] == len(asked)


def test_every_updated_device_has_a_time_to_update(fleet_run):
    times = analysis.time_to_update(fleet_run)
    updated = fleet_run.devices[fleet_run.devices["outcome"] == "updated"]["device"]
    assert set(updated) <= set(times["device"])
    assert (times["committed"] > times["started"]).all()
    assert (times["seconds"] == times["committed"] - times["started"]).all()


def test_time_to_update_covers_the_partition_write(fleet_run):
    times = analysis.time_to_update(fleet_run).set_index("device")
    started = fleet.decoded(fleet_run, "partition_write_started").groupby("device")["time"].min()
    progress = fleet.decoded(fleet_run, "partition_write_progress")
    written = progress[progress["percent"] == 100].groupby("device")["time"].min()
    write_s = (written - started).dropna()
    assert not times.empty
    for device, row in times.iterrows():
        assert row["seconds"] >= write_s[device] > 0


def test_rollbacks_are_the_rolled_back_devices(fleet_run):
    backs = analysis.rollbacks(fleet_run)
    rolled_back = fleet_run.devices[fleet_run.devices["outcome"] == "rolled_back"]["device"]
    assert set(backs["device"]) == set(rolled_back)
    causes = analysis.rollback_causes(fleet_run)
    assert causes.sum() == len(backs)
    assert causes.is_monotonic_decreasing
    testing = fleet.decoded(fleet_run, "boot")
    testing = testing[testing["testing"]]
    for back in backs.itertuples():
        before = testing[(testing["device"] == back.device) & (testing["time"] < back.time)]
        assert back.partition in set(before["partition"]) and back.version in set(before["version"])


def test_rollback_causes_follow_what_each_group_went_through(fleet_run):
    backs = analysis.rollbacks(fleet_run)
    group = backs["device"].str.split("-").str[0]
    assert set(backs[group == "cut"]["cause"]) == {"POWER_FAIL"}
    assert set(backs[group == "offline"]["cause"]) == {"FALLBACK"}
    assert "POWER_FAIL" not in set(backs[group == "crash"]["cause"])
    assert group.isin(["cut", "offline", "crash"]).all()


def test_controller_load_adds_up_to_the_requests_served(fleet_run):
    load = analysis.controller_load(fleet_run)
    samples = fleet_run.metrics[fleet_run.metrics["series"] == "controller_requests"].sort_values("time")
    intervals = samples["time"].diff().dropna().to_numpy()
    assert list(load.index) == list(samples["time"].iloc[1:])
    assert (load >= 0).all()
    served = samples["value"].iloc[-1] - samples["value"].iloc[0]
    assert (load.to_numpy() * intervals / 60.0).sum() == pytest.approx(served)
    assert samples["value"].iloc[-1] == fleet_run.summary["controller"]["requests"]


def test_plots_render_headless(fleet_run):
    for plot, title in [
        (analysis.plot_version_mix, "Version mix"), (analysis.plot_funnel, "Rollout funnel"),
        (analysis.plot_time_to_update, "Time to update"), (analysis.plot_rollback_causes, "Rollback causes"),
        (analysis.plot_controller_load, "Controller load"),
    ]:
        figure = plot(fleet_run)
        assert figure.axes[0].get_title() == title
        assert len(figure.axes[0].get_children()) > 10
        figure.canvas.draw()
        width, height = figure.canvas.get_width_height()
        assert width > 100 and height > 100


def test_plots_draw_into_given_axes(fleet_run):
    figure = analysis.plot_funnel(fleet_run)
    axes = figure.add_subplot(2, 1, 2)
    assert analysis.plot_rollback_causes(fleet_run, ax=axes) is figure
    assert [p.get_height() for p in axes.patches] == list(analysis.rollback_causes(fleet_run))


def test_load_run_errors_are_clear(run_dir, tmp_path):
    with pytest.raises(analysis.AnalysisError, match="not a directory"):
        analysis.load_run(tmp_path / "nothing")
    with pytest.raises(analysis.AnalysisError, match="missing .*events.parquet"):
        analysis.load_run(tmp_path)
    for name in ("summary.json", "events.parquet", "devices.parquet", "metrics.parquet"):
        (tmp_path / name).write_bytes((run_dir / name).read_bytes())
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(analysis.AnalysisError, match="summary.json: unreadable"):
        analysis.load_run(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps([1, 2]))
    with pytest.raises(analysis.AnalysisError, match="expected a JSON object"):
        analysis.load_run(tmp_path)
    (tmp_path / "summary.json").write_text("{}")
    (tmp_path / "events.parquet").write_bytes(b"PAR1 but not really")
    with pytest.raises(analysis.AnalysisError, match="events.parquet: unreadable Parquet"):
        analysis.load_run(tmp_path)
    with pytest.raises(analysis.AnalysisError, match="evesim sweep"):
        analysis.load_sweep(run_dir)


def test_app_states_follow_the_app_through_the_update(fleet_run):
    assert analysis.apps(fleet_run) == ["web"]
    states = analysis.app_states(fleet_run, "web")
    times = sorted(fleet_run.metrics["time"].unique())
    assert list(states.index) == times and states.index.name == "time"
    assert states.iloc[-1]["RUNNING"] == 4 and states.iloc[-1].sum() == 4
    assert fleet_run.summary["apps"] == {"web": {"RUNNING": 4}}
    assert (states.sum(axis=1) <= 4).all() and states["RUNNING"].iloc[0] == 0
    running = states["RUNNING"]
    all_up = running.index[running == 4][0]
    assert (running.loc[all_up:] < 4).any(), "the update's reboot halts the app on the way"


def test_app_states_of_an_unknown_app_are_empty(fleet_run):
    states = analysis.app_states(fleet_run, "nope")
    assert list(states.columns) == [] and len(states) == len(fleet_run.metrics["time"].unique())
    figure = analysis.plot_app_states(fleet_run, "nope")
    assert [t.get_text() for t in figure.axes[0].texts] == ["no samples of app 'nope' in this run"]
    figure = analysis.plot_app_states(fleet_run, "web")
    assert figure.axes[0].get_title() == "App web"
    figure.canvas.draw()
