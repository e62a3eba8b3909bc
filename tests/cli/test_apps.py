"""Apps in the scenario language: defined once, named with lines when misused, deployed and checked by state."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evesim.cli import app
from evesim.scenario import build, loader

HEAD = """\
name: x
duration: 1h
config_items: {timer.metric.interval: "600"}
fleet:
  - {name: edge, count: 2, apps: [web]}
apps:
  - {name: web, size: 100MB, memory: 512MiB}
  - {name: flaky, size: 20MB, memory: 256MiB, defects: [crashes]}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(loader.ScenarioError) as caught:
        loader.loads(text, "s.yaml")
    return [str(p) for p in caught.value.problems]


def run(tmp_path: Path, tail: str) -> tuple[int, dict, str]:
    file = tmp_path / "s.yaml"
    file.write_text(HEAD + tail)
    result = CliRunner().invoke(app, ["run", str(file), "--out", str(tmp_path / "out"), "-q"])
    summary_file = tmp_path / "out" / "summary.json"
    return result.exit_code, json.loads(summary_file.read_text()) if summary_file.exists() else {}, result.output


def test_apps_become_the_worlds_app_specs() -> None:
    spec = build.world_spec(loader.loads(HEAD, "s.yaml").scenario)
    web, flaky = spec.apps
    assert (web.name, web.size_bytes, web.memory_kb, web.vcpus) == ("web", 100_000_000, 512 * 1024, 1)
    assert flaky.defects == frozenset({"crashes"})
    assert spec.groups[0].apps == ("web",)


def test_unknown_apps_are_named_with_their_lines() -> None:
    text = HEAD.replace("apps: [web]", "apps: [wbe]") + (
        "timeline:\n"
        "  - {at: 1m, action: deploy_app, app: flakey}\n"
        "  - {at: 2m, action: restart_app, app: web}\n"
        "expectations:\n"
        "  - at_end: {metric: app, app: nope, value: RUNNING, min: 1}\n")
    assert problems(text) == [
        "s.yaml:5:35: fleet[0].apps[0]: no app 'wbe'; define it under 'apps' (apps: web, flaky)",
        "s.yaml:10:39: timeline[0].app: deploy_app of 'flakey': no such app; define it under 'apps' (apps: web, flaky)",
        "s.yaml:13:32: expectations[0].at_end.app: no app 'nope'; define it under 'apps' (apps: web, flaky)",
    ]


def test_app_definitions_are_checked() -> None:
    text = HEAD + "  - {name: web, memory: 12, defects: [explodes]}\n"
    found = problems(text)
    assert "s.yaml:9:25: apps[2].memory: an app needs at least 1MiB of memory, got 12 bytes" in found[0]
    assert "unknown app defects ['explodes']; known: ['corrupt_download', 'crashes']" in found[1]
    assert problems(HEAD + "  - {name: web}\n") == [
        "s.yaml:9:12: apps[2].name: app names must be unique: 'web' is used twice"]


@pytest.mark.parametrize("check, message", [
    ("{metric: app, app: web, value: RUNING, min: 1}",
     "metric 'app' has no value 'RUNING'; one of INITIAL, DOWNLOAD_STARTED, INSTALLED, AWAITNETWORKINSTANCE, "
     "BOOTING, RUNNING, HALTING, HALTED (did you mean 'RUNNING'?)"),
    ("{metric: app, app: web, value: RESTARTING, min: 1}",
     "one of INITIAL, DOWNLOAD_STARTED, INSTALLED, AWAITNETWORKINSTANCE, BOOTING, RUNNING, HALTING, HALTED"),
    ("{metric: app, value: RUNNING, min: 1}", "expectations[0].at_end.app: metric 'app' needs an 'app'"),
    ("{metric: state, value: running, app: web, min: 1}",
     "expectations[0].at_end.app: metric 'state' takes no 'app'; 'app' only applies to metric 'app'"),
    ("{metric: app, app: web, min: 1}", "metric 'app' needs a 'value'"),
])
def test_app_checks_are_checked(check: str, message: str) -> None:
    (found,) = problems(HEAD + f"expectations:\n  - at_end: {check}\n")
    assert found.startswith("s.yaml:10:") and message in found


def test_validate_exits_2_on_an_unknown_app_action(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(HEAD + "timeline:\n  - {at: 1m, action: stop_app, app: web}\n")
    result = CliRunner().invoke(app, ["validate", str(file)])
    assert result.exit_code == 2 and "s.yaml:10:" in result.output and "stop_app" in result.output


def test_deploy_remove_and_check_apps_through_the_cli(tmp_path: Path) -> None:
    code, summary, output = run(tmp_path, (
        "timeline:\n"
        "  - {at: 20m, action: deploy_app, app: flaky, target: device:edge-00000}\n"
        "  - {at: 40m, action: remove_app, app: web, target: device:edge-00001}\n"
        "expectations:\n"
        "  - name: web runs on one\n"
        "    at_end: {metric: app, app: web, value: RUNNING, max: 1, min: 1}\n"
        "  - name: flaky is broken (halting) where deployed\n"
        "    at_end: {metric: app, app: flaky, value: HALTING, min: 1, max: 1}\n"))
    assert code == 0, output
    assert summary["apps"] == {"web": {"RUNNING": 1}, "flaky": {"HALTING": 1}}
    assert summary["event_counts"]["app_broken"] == 1 and summary["event_counts"]["app_removed"] == 1


def test_an_app_check_fails_with_exit_1(tmp_path: Path) -> None:
    code, summary, _ = run(tmp_path, "expectations:\n  - at_end: {metric: app, app: flaky, value: RUNNING, min: 1}\n")
    assert code == 1 and summary["apps"]["flaky"] == {} and summary["expectations"][0]["value"] == 0


def test_restart_and_purge_reach_the_device(tmp_path: Path) -> None:
    code, summary, output = run(tmp_path, (
        "timeline:\n"
        "  - {at: 20m, action: restart_app, app: web, target: device:edge-00000}\n"
        "  - {at: 30m, action: purge_app, app: web, target: device:edge-00001}\n"
        "  - {at: 30m, action: purge_app, app: flaky, target: device:edge-00001}\n"))
    assert code == 0, output
    assert summary["apps"]["web"] == {"RUNNING": 2}
    counts = summary["event_counts"]
    assert counts["app_volume_ready"] == 3, "the purge rebuilt web's volume on edge-00001"
    events = pd.read_parquet(tmp_path / "out" / "events.parquet")
    downloads = [f for k, f in zip(events.kind, events.fields, strict=False)
                 if k == "app_state" and "DOWNLOAD_STARTED" in f]
    assert len(downloads) == 2, "from the image already verified: no second download"
    assert counts["app_not_deployed"] == 1, "flaky was never deployed there"
    assert counts["domain_halted"] == 2, "restart and purge each halt the domain"
