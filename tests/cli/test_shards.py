"""``evesim run --shards``: what it refuses and why, its progress, a failing shard, Dask actors, the Python API."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from evesim.cli import app
from evesim.scenario import loader, progress, shard_hosts, shards
from evesim.scenario.run import run

ROOT = Path(__file__).parents[2]
TINY = ROOT / "tests" / "sweep" / "tiny-update.yaml"
BASE = """
name: s
duration: 10m
fleet: [{name: edge, count: 2}]
images: [{version: 14.6.0, size: 10MB}]
"""


def _problems(extra: str) -> list[str]:
    return shards.problems(loader.loads(BASE + extra, "s.yaml").scenario)


def test_what_couples_devices_inside_a_window_is_refused_by_field() -> None:
    assert _problems("") == []
    assert _problems("timeline: [{action: power_cut, when: {event: boot}}]") == []
    assert _problems("timeline: [{action: power_cut, when: {event: boot, limit: 1}}]") == [
        "timeline.0.when.limit: the limit counts triggers across the fleet"]
    assert _problems("timeline: [{action: controller_down, when: {event: boot}}]") == [
        "timeline.0: a 'controller_down' triggered by one device acts beyond that device"]
    assert _problems("timeline: [{action: power_cut, target: all, when: {event: boot}}]") == [
        "timeline.0: a 'power_cut' triggered by one device acts beyond that device"]
    assert _problems("controller: {faults: [{action: close, count: 3}]}") == [
        "controller.faults.0.count: the count is of requests to the whole controller"]
    assert _problems("timeline: [{at: 1m, action: controller_fault, rule: {action: close, count: 2}}]") == [
        "timeline.0.rule.count: the count is of requests to the whole controller"]


def test_devices_that_send_each_other_traffic_keep_their_cells_on_one_shard() -> None:
    scenario = loader.loads("""
name: s
duration: 10m
apps:
  - {name: a, traffic: [{to: b, port: 80}]}
  - {name: b}
  - {name: c, traffic: [{to: d, port: 80}]}
  - {name: d}
  - {name: lone}
fleet:
  - {name: edge, count: 10, apps: [a]}
  - {name: hub, count: 1, apps: [b]}
  - {name: far, count: 2}
timeline:
  - {at: 1m, action: deploy_app, app: d, target: group:far}
  - {at: 1m, action: deploy_app, app: c, target: {devices: [edge-00002]}}
  - {at: 1m, action: deploy_app, app: lone, target: all}
""", "s.yaml").scenario
    assert shards.talking(scenario, 8) == [{0, 1, 2, 3, 4, 5, 6, 7}, {2, 3, 4}]
    assert shards.talking(scenario, 16) == [set(range(11)), {2, 11, 12}]
    assert [sorted(s.cells or ()) for s in shards.plan(scenario, 2)] == [list(range(8))]


def test_a_fleet_gets_at_most_one_shard_per_cell() -> None:
    scenario = loader.loads(BASE + "controller: {workers: 2, cells: 8}", "s.yaml").scenario
    assert len(shards.plan(scenario, 3)) == 2 and len(shards.plan(scenario, 1)) == 1
    result = CliRunner().invoke(app, ["run", str(TINY), "-q", "--shards", "9", "--set", "controller.cells=2"])
    assert result.exit_code == 0, result.output
    assert "on 2 shards (the controller has 2 cells)" in result.output


def test_live_and_pace_follow_one_world_so_they_do_not_shard() -> None:
    for option in (["--live"], ["--pace", "60"]):
        result = CliRunner().invoke(app, ["run", str(TINY), "-q", "--shards", "2", *option])
        assert result.exit_code == 2 and "--shards cannot be used with --live or --pace" in result.output
    result = CliRunner().invoke(app, ["run", str(TINY), "-q", "--shards", "2", "--reference"])
    assert result.exit_code == 2 and "--shards cannot be used with --reference" in result.output


@pytest.mark.parametrize("value", ["0", "65", "two", "-1", ""])
def test_a_shard_count_that_is_neither_auto_nor_1_to_64_is_refused(value: str) -> None:
    result = CliRunner().invoke(app, ["run", str(TINY), "-q", "--shards", value])
    assert result.exit_code == 2 and f"--shards must be 'auto' or a number from 1 to 64, not {value!r}" in result.output


def _cores(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    monkeypatch.setattr(shards.os, "sched_getaffinity", lambda _: set(range(count)))


def test_auto_takes_a_shard_per_core_for_a_fleet_of_50_or_more_that_can_be_split(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def fleet(count: int, extra: str = "") -> object:
        return loader.loads(BASE.replace("count: 2", f"count: {count}") + extra, "s.yaml").scenario

    _cores(monkeypatch, 4)
    assert shards.auto_shards(fleet(49)) == 1 and shards.auto_shards(fleet(50)) == 4
    assert shards.auto_shards(fleet(50, "controller: {workers: 3}")) == 3
    assert shards.auto_shards(fleet(50, "timeline: [{action: reboot, when: {event: boot, limit: 1}}]")) == 1
    _cores(monkeypatch, 1)
    assert shards.auto_shards(fleet(500)) == 1


def test_by_default_a_large_fleet_runs_on_a_shard_per_core_and_reference_runs_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cores(monkeypatch, 2)
    sets = ["--set", "fleet.0.count=50", "--set", "duration=20m"]
    auto = CliRunner().invoke(app, ["run", str(TINY), "-q", *sets, "--out", str(tmp_path / "auto")])
    assert auto.exit_code in (0, 1), auto.output
    assert "on 2 shards (--shards auto; --reference runs one process)" in auto.output
    one = CliRunner().invoke(app, ["run", str(TINY), "-q", *sets, "--reference", "--out", str(tmp_path / "one")])
    assert one.exit_code == auto.exit_code and "shard" not in one.output
    assert _files(tmp_path / "auto") == _files(tmp_path / "one")
    small = CliRunner().invoke(app, ["run", str(TINY), "-q"])
    assert small.exit_code == 0 and "shard" not in small.output
    watched = CliRunner().invoke(app, ["run", str(TINY), "-q", *sets, "--pace", "1000000"])
    assert watched.exit_code in (0, 1) and "shard" not in watched.output


def test_the_python_api_on_one_shard_is_the_unsharded_run() -> None:
    loaded = loader.load(TINY)
    one, sharded = run(loaded, 5), shards.run_sharded(loaded, 1, 5)
    assert sharded.world is None
    assert {k: v for k, v in sharded.summary().items() if k not in ("wall_s", "speedup")} == {
        k: v for k, v in one.summary().items() if k not in ("wall_s", "speedup")}
    assert sharded.samples == one.samples


def test_a_failing_shard_ends_the_run_with_its_traceback_and_writes_nothing(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    real = shard_hosts.ShardWorker.do

    def failing(self, command, argument=None):  # type: ignore[no-untyped-def]
        if command == "look" and self.world.shard.index == 1:
            raise RuntimeError("a model bug")
        return real(self, command, argument)

    monkeypatch.setattr(shard_hosts.ShardWorker, "do", failing)  # the shards are forked: they run the patched code
    result = CliRunner().invoke(app, ["run", str(TINY), "-q", "--shards", "2", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "shard 1 failed" in result.output and "RuntimeError: a model bug" in result.output
    assert not (tmp_path / "o" / "summary.json").exists()


def test_a_shard_that_dies_is_named_with_its_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    real = shard_hosts.ShardWorker.do

    def dying(self, command, argument=None):  # type: ignore[no-untyped-def]
        if command == "look" and self.world.shard.index == 0:
            os._exit(3)
        return real(self, command, argument)

    monkeypatch.setattr(shard_hosts.ShardWorker, "do", dying)
    with pytest.raises(shards.ShardingError, match="shard 0 ended without answering \\(exit code 3\\)"):
        shards.run_sharded(loader.load(TINY), 2)


def test_the_progress_of_a_sharded_run_shows_the_fleet_added_up() -> None:
    text = io.StringIO()
    console = Console(file=text, force_terminal=True, width=200, color_system=None)
    loaded = loader.load(TINY)
    shown = progress.RunProgress(console, loaded.scenario.duration, quiet=False)
    with shown:
        shards.run_sharded(loaded, 2, None, shown.tick)
    assert "3/3 onboarded" in text.getvalue() and "sim 00:45:00 / 00:45:00" in text.getvalue()
    assert shown.reached() == loaded.scenario.duration


def test_a_status_reads_a_sample() -> None:
    status = progress.Status.of_sample({"time": 60.0, "onboarded": 2, "events": 40, "state:running": 2,
                                        "state:off": 1, "version:14.5.1": 2, "port:eth0": 100}, 3)
    assert progress.fleet_line(status) == "2/3 onboarded · 2 running · 1 off · 14.5.1: 2 · 40 events"


def _files(out: Path) -> dict[str, object]:
    summary = json.loads((out / "summary.json").read_text())
    return {"summary": {k: v for k, v in summary.items() if k not in ("wall_s", "speedup")},
            **{name: (out / name).read_bytes() for name in ("events.parquet", "devices.parquet", "metrics.parquet")}}


def test_shards_as_actors_on_a_dask_cluster_of_two_workers_write_the_same_files(tmp_path: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        sharded = CliRunner().invoke(app, ["run", str(TINY), "-q", "--shards", "2", "--scheduler",
                                           cluster.scheduler_address, "--out", str(tmp_path / "dask")])
        assert sharded.exit_code == 0, sharded.output
        assert "on 2 shards" in sharded.output
    one = CliRunner().invoke(app, ["run", str(TINY), "-q", "--reference", "--out", str(tmp_path / "one")])
    assert one.exit_code == 0, one.output
    assert _files(tmp_path / "dask") == _files(tmp_path / "one")


def test_a_scheduler_needs_shards_and_one_out_of_reach_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["run", str(TINY), "-q", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "give --shards N (more than 1)" in result.output
    monkeypatch.setattr(shard_hosts, "CONNECT_TIMEOUT_S", 1.0)
    result = CliRunner().invoke(app, ["run", str(TINY), "-q", "--shards", "2", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in result.output

