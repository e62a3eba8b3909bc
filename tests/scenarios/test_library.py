"""Every scenario of the library, in small form through ``evesim run``: it passes, and fails when its point is broken.

Each case shrinks the scenario with ``--set`` and checks the exit code and ``summary.json``; each
negative case breaks what the scenario is about and expects exit code 1 with the right expectations failed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from evesim.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SMALL = {
    "bad-image-canary": ["fleet.1.count=8", "duration=1h"],
    "controller-outage": ["fleet.0.count=40", "controller.service_time=700ms"],
    "partition-during-test": ["fleet.1.count=8", "duration=1h"],
    "brownout-loop": ["fleet.0.count=3", "fleet.1.count=3", "fleet.2.count=3", "duration=1h"],
    "staged-rollout-10k": ["fleet.0.count=30", "timeline.0.wait=2m", "duration=135m"],
    "apps-through-update": [],
    "failed-version-again": [],
    "retry-counter-lowered": [],
    "write-over-updating": [],
    "app-hold-during-update": ["fleet.0.count=5"],
    "no-apps-after-failed-update": ["fleet.0.count=4"],
    "maintenance-drops-update": [],
    "bad-network-config": ["fleet.0.count=10"],
    "failover-to-lte": ["fleet.0.count=8"],
    "proxy-outage": ["fleet.0.count=6", "fleet.1.count=6"],
    "app-to-app-switch": [],
    "tls-inspecting-proxy": [],
    "wpad-proxy": [],
}


def run(name: str, out: Path, *extra: str) -> tuple[int, dict]:
    """``evesim run`` on the small form of a library scenario (plus ``extra`` overrides)."""
    sets = [arg for key in (*SMALL[name], *extra) for arg in ("--set", key)]
    result = CliRunner().invoke(app, ["run", str(SCENARIOS / f"{name}.yaml"), *sets, "--out", str(out), "-q"])
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, summary


def failed(summary: dict) -> set[str]:
    return {e["name"] for e in summary["expectations"] if not e["passed"]}


def test_every_library_scenario_validates() -> None:
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert {f.stem for f in files} >= set(SMALL)
    for file in files:
        result = CliRunner().invoke(app, ["validate", str(file)])
        assert result.exit_code == 0, result.output
        assert file.read_text().startswith("#"), f"{file.name} needs a header comment saying what it shows"


def test_bad_image_canary_halts_before_the_fleet_sees_the_image(tmp_path: Path) -> None:
    code, summary = run("bad-image-canary", tmp_path)
    assert code == 0 and summary["passed"] and not failed(summary)
    counts = summary["event_counts"]
    assert counts["batch_started"] == 1 and counts["halted"] == 1 and "done" not in counts
    assert summary["outcomes"]["rolled_back"] == 2 and summary["outcomes"]["unchanged"] == 8


def test_bad_image_canary_fails_when_the_campaign_may_not_halt(tmp_path: Path) -> None:
    code, summary = run("bad-image-canary", tmp_path, "timeline.0.halt_failure_rate=1")
    assert code == 1
    assert {"the campaign halts", "the rest of the fleet never downloads the image"} <= failed(summary)


def test_controller_outage_storm_queues_and_every_device_comes_back(tmp_path: Path) -> None:
    code, summary = run("controller-outage", tmp_path / "outage")
    assert code == 0 and summary["passed"] and summary["event_counts"]["controller_down"] == 1
    calm_code, calm = run("controller-outage", tmp_path / "calm", "timeline.0.at=10h")
    assert calm_code == 0 and "controller_down" not in calm["event_counts"]
    assert summary["controller"]["max_queue_wait_s"] > calm["controller"]["max_queue_wait_s"]


def test_controller_outage_fails_when_the_controller_is_not_back_in_time(tmp_path: Path) -> None:
    code, summary = run("controller-outage", tmp_path, "timeline.0.duration=45m")
    assert code == 1
    assert failed(summary) == {
        "every device is back and connected (LED ONBOARDED) 15 minutes after the controller returns"}


def test_partition_during_test_falls_back_exactly_the_isolated_sites(tmp_path: Path) -> None:
    code, summary = run("partition-during-test", tmp_path)
    assert code == 0 and summary["passed"]
    assert summary["outcomes"]["rolled_back"] == 8 and summary["outcomes"]["updated"] == 8
    assert summary["versions"] == {"14.5.1": 8, "14.6.0": 8}


def test_partition_during_test_fails_when_the_cut_is_shorter_than_the_fallback_timer(tmp_path: Path) -> None:
    code, summary = run("partition-during-test", tmp_path, "timeline.1.duration=2m")
    assert code == 1
    assert {"every isolated device falls back (BOOT_REASON_FALLBACK)",
            "isolated devices run 14.5.1 and report 14.6.0 FAILED"} <= failed(summary)


def test_brownout_loop_neither_rolls_back_committed_devices_nor_bricks_any(tmp_path: Path) -> None:
    code, summary = run("brownout-loop", tmp_path)
    assert code == 0 and summary["passed"] and summary["bricked"] == 0
    assert summary["outcomes"]["updated"] == 6 and summary["outcomes"]["rolled_back"] == 3
    assert summary["event_counts"]["power_cut"] == 9 * 12


def test_brownout_loop_fails_when_committed_devices_are_cut_in_their_test_window(tmp_path: Path) -> None:
    code, summary = run("brownout-loop", tmp_path, "timeline.1.when.event=boot",
                        "timeline.1.when.fields={testing: true}")
    assert code == 1
    assert failed(summary) == {"committed devices keep 14.6.0 through the brownouts",
                               "GRUB never again boots 14.5.1 on a committed device (only its first boot)"}


def test_staged_rollout_grows_its_batches_to_the_whole_fleet(tmp_path: Path) -> None:
    code, summary = run("staged-rollout-10k", tmp_path)
    assert code == 0 and summary["passed"]
    assert summary["event_counts"]["batch_started"] == 5 and summary["event_counts"]["done"] == 1
    assert summary["versions"] == {"14.6.0": 30}
    events = pd.read_parquet(tmp_path / "events.parquet")
    sizes = [json.loads(f)["devices"] for f in events[events.kind == "batch_started"].fields]
    assert sizes == [1, 1, 2, 6, 20]


def test_staged_rollout_fails_when_the_image_is_bad(tmp_path: Path) -> None:
    code, summary = run("staged-rollout-10k", tmp_path, "images.0.defects=[crash_at_boot]")
    assert code == 1
    assert {"the campaign never halts", "the campaign is done",
            "at least 99% of the fleet runs 14.6.0"} <= failed(summary)
    assert summary["event_counts"]["batch_started"] == 1


def test_apps_come_back_after_the_update_and_a_crashing_one_stays_broken(tmp_path: Path) -> None:
    code, summary = run("apps-through-update", tmp_path)
    assert code == 0 and summary["passed"] and summary["versions"] == {"14.6.0": 60}
    assert summary["apps"] == {"telemetry": {"RUNNING": 60}, "analytics": {"INSTALLED": 10, "RUNNING": 50},
                               "beta": {}}
    counts = summary["event_counts"]
    assert counts["app_removed"] == 5 and counts["domain_crashed"] == counts["app_broken"] >= 15
    cuts = pd.read_parquet(tmp_path / "events.parquet").query("kind == 'power_cut'")
    assert len(cuts) == 24, "12 while analytics downloads, 12 while apps halt for the update's reboot"
    assert counts["app_volume_ready"] == 125
    devices = pd.read_parquet(tmp_path / "devices.parquet")
    assert (devices.outcome == "updated").all()


def test_apps_through_update_fails_when_the_apps_outgrow_the_boards(tmp_path: Path) -> None:
    code, summary = run("apps-through-update", tmp_path, "apps.0.memory=3584MiB")
    assert code == 1
    assert failed(summary) == {"telemetry runs everywhere at the end", "analytics runs on every gateway"}
    assert summary["apps"]["telemetry"].get("RUNNING") == 50, "3.5 GiB do not fit a pi's 4 GiB less EVE's 650 MiB"
    assert "RUNNING" not in summary["apps"]["analytics"], "3.5 + 4 GiB do not fit a gateway's 8 GiB less 650 MiB"


def test_app_hold_during_update_skips_the_apps_and_they_come_on_the_new_version(tmp_path: Path) -> None:
    code, summary = run("app-hold-during-update", tmp_path)
    assert code == 0 and summary["passed"] and summary["versions"] == {"14.6.0": 5}
    assert summary["apps"] == {"telemetry": {"RUNNING": 5}, "analytics": {"RUNNING": 5}}
    assert summary["event_counts"]["config_apps_skipped"] >= 5


def test_no_apps_after_failed_update_runs_nothing_and_fails_with_the_fix(tmp_path: Path) -> None:
    code, summary = run("no-apps-after-failed-update", tmp_path / "eve")
    assert code == 0 and summary["passed"] and summary["versions"] == {"14.5.1": 4}
    assert "RUNNING" not in summary["apps"]["telemetry"]
    code, summary = run("no-apps-after-failed-update", tmp_path / "fix", "fixes=[release-app-hold]")
    assert code == 1 and failed(summary) == {"no device runs telemetry after the fallback"}


def test_bad_network_config_falls_back_and_recovers_with_the_good_one(tmp_path: Path) -> None:
    code, summary = run("bad-network-config", tmp_path)
    assert code == 0 and summary["passed"] and summary["event_counts"]["dpc_added"] >= 3 * 10
    assert summary["event_counts"].get("reboot", 0) == 0


def test_bad_network_config_fails_when_the_good_one_never_comes(tmp_path: Path) -> None:
    code, summary = run("bad-network-config", tmp_path, "timeline.1.ports.0.name=eth1")
    assert code == 1
    assert failed(summary) == {
        "every device runs on the new, good configuration at the end (the first of its list has its address)",
        "and lists no other (the bad one was dropped once the good one worked)"}


def test_failover_to_lte_keeps_the_devices_reporting_and_the_update_waits_for_ethernet(tmp_path: Path) -> None:
    code, summary = run("failover-to-lte", tmp_path)
    assert code == 0 and summary["passed"] and summary["versions"] == {"14.6.0": 8}
    events = pd.read_parquet(tmp_path / "events.parquet")
    done = events[events.kind == "download_done"].time
    assert (done > 6030).all(), "no download finished before Ethernet came back at 1h40m30s"


def test_failover_to_lte_fails_when_lte_cannot_reach_the_controller(tmp_path: Path) -> None:
    code, summary = run("failover-to-lte", tmp_path, "fleet.0.ports.0.mgmt=false")
    assert code == 1
    assert "while Ethernet is down, every device reports over LTE (its latest info shows no eth0 address)" in \
        failed(summary)


def test_proxy_outage_rolls_back_exactly_the_devices_behind_the_proxy(tmp_path: Path) -> None:
    code, summary = run("proxy-outage", tmp_path)
    assert code == 0 and summary["passed"]
    assert summary["outcomes"]["rolled_back"] == 6 and summary["outcomes"]["updated"] == 6
    events = pd.read_parquet(tmp_path / "events.parquet")
    assert set(events[events.kind == "dpc"].query("device.str.startswith('office')").fields.str.extract(
        r'"key":"(\w+)"')[0]) >= {"override", "zedagent"}, "office devices start on the shipped override"


def test_proxy_outage_fails_without_the_outage_and_without_the_proxy(tmp_path: Path) -> None:
    code, summary = run("proxy-outage", tmp_path / "calm", "timeline.2.at=5h")
    assert code == 1 and failed(summary) == {"the office devices fall back to 14.5.1 and report 14.6.0 FAILED"}
    code, summary = run("proxy-outage", tmp_path / "direct", "fleet.0.proxy=null")
    assert code == 1 and "every office device onboards through the proxy" in failed(summary)


def test_app_to_app_switch_delivers_readings_drops_uploads_and_sends_flow_logs(tmp_path: Path) -> None:
    code, summary = run("app-to-app-switch", tmp_path)
    assert code == 0 and summary["passed"] and not failed(summary)
    events = pd.read_parquet(tmp_path / "events.parquet")
    flows = events[events.kind == "app_flow"].fields.map(json.loads)
    peers = {f["peer"] for f in flows if f["outcome"] == "delivered"}
    assert peers == {"gateway-00000"}, "every reading went to the one collector"
    assert summary["event_counts"]["flowlog_sent"] >= 9 * 20, "every device posts its flow logs"


def test_app_to_app_switch_fails_when_the_collector_opens_every_port_or_has_no_rules(tmp_path: Path) -> None:
    code, summary = run("app-to-app-switch", tmp_path / "open", "apps.0.interfaces.0.acl.0.lport=null",
                        "apps.0.interfaces.0.acl.0.protocol=null")
    assert code == 1 and failed(summary) == {"the collector's rules drop every camera upload on the way in",
                                             "no camera upload is ever delivered"}
    code, summary = run("app-to-app-switch", tmp_path / "closed", "apps.0.interfaces.0.acl=[]")
    assert code == 1 and "every sensor's readings reach the collector" in failed(summary), \
        "with no rules EVE drops everything, the sensors' readings too"


def test_tls_inspecting_proxy_is_trusted_only_by_devices_given_its_ca(tmp_path: Path) -> None:
    code, summary = run("tls-inspecting-proxy", tmp_path)
    assert code == 0 and summary["passed"] and not failed(summary)
    assert summary["onboarded"] == 10


def test_tls_inspecting_proxy_fails_when_it_does_not_inspect_or_everyone_has_the_ca(tmp_path: Path) -> None:
    code, summary = run("tls-inspecting-proxy", tmp_path / "plain", "network.proxies.0.intercepts=false")
    assert code == 1 and "no device without the CA ever onboards" in failed(summary)
    code, summary = run("tls-inspecting-proxy", tmp_path / "all", "fleet.1.proxy_ca=true")
    assert code == 1 and "no device without the CA ever onboards" in failed(summary)


def test_wpad_proxy_devices_follow_their_pac_files_and_fail_at_the_wpad_fetch_in_the_outage(tmp_path: Path) -> None:
    code, summary = run("wpad-proxy", tmp_path)
    assert code == 0 and summary["passed"] and not failed(summary)


def test_wpad_proxy_fails_without_a_wpad_server_or_without_wpad(tmp_path: Path) -> None:
    for name, change in (("no-server", "network.proxies.0.pac=null"), ("no-wpad", "fleet.0.wpad=false")):
        code, summary = run("wpad-proxy", tmp_path / name, change)
        assert code == 1 and "every device onboards through the proxy its PAC file names" in failed(summary)
