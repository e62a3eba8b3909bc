"""Scenarios that show a behaviour of EVE's current source, run through ``evesim run`` without and with the named
fix that changes it; each asserts what differs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from evesim.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def run(name: str, out: Path, *args: str) -> tuple[int, dict]:
    """``evesim run`` on a library scenario with extra arguments; the exit code and ``summary.json``."""
    result = CliRunner().invoke(app, ["run", str(SCENARIOS / f"{name}.yaml"), *args, "--out", str(out), "-q"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads((out / "summary.json").read_text())


def verdicts(summary: dict) -> dict[str, bool]:
    return {e["name"]: e["passed"] for e in summary["expectations"]}


def test_no_apps_after_a_failed_update_unless_the_held_apps_are_released(tmp_path: Path) -> None:
    code, summary = run("no-apps-after-failed-update", tmp_path / "eve")
    assert code == 0, summary["expectations"]
    assert summary["fixes"] == []
    assert summary["apps"].get("telemetry", {}).get("RUNNING", 0) == 0

    code, fixed = run("no-apps-after-failed-update", tmp_path / "fix", "--fix", "release-app-hold")
    assert code == 1
    assert fixed["fixes"] == ["release-app-hold"]
    assert fixed["apps"]["telemetry"]["RUNNING"] == 10
    assert verdicts(fixed) == {**verdicts(summary), "no device runs telemetry after the fallback": False}


def test_an_app_sent_with_a_base_os_update_starts_only_on_the_new_version(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, summary = run("app-hold-during-update", out)
    assert code == 0, summary["expectations"]
    events = pd.read_parquet(out / "events.parquet")
    fields = events["fields"].map(json.loads)
    new_boot = events[(events["kind"] == "boot") & fields.map(lambda f: f.get("version") == "14.6.0")]
    booted_at = new_boot.groupby("device")["time"].min()
    analytics = events[(events["kind"] == "app_state") & fields.map(lambda f: f.get("app") == "analytics")]
    first_state = analytics.groupby("device")["time"].min()
    assert len(first_state) == 20
    assert (first_state >= booted_at.reindex(first_state.index)).all()


def test_a_config_dropped_in_maintenance_mode_waits_unless_eve_is_17_3_or_later(tmp_path: Path) -> None:
    code, summary = run("maintenance-drops-update", tmp_path / "eve")
    assert code == 0, summary["expectations"]
    assert summary["event_counts"]["config_maintenance_skipped"] == 5
    assert "config_reread_after_maintenance" not in summary["event_counts"]
    events = pd.read_parquet(tmp_path / "eve" / "events.parquet")
    entered = events[(events.kind == "maintenance_mode") & events.fields.str.contains("LOW_DISK_SPACE")]
    assert entered.device.nunique() == 5 and entered.time.between(600, 600 + 300).all()
    halted = events[(events.kind == "app_state") & events.fields.str.contains("HALT")]
    assert halted.empty

    # a fleet already on 17.3.0 (df6bdd01f) re-reads the config on leaving maintenance mode without being asked
    code, newer = run("maintenance-drops-update", tmp_path / "newer", "--set", "fleet.0.version=17.3.0",
                      "--set", "images.0.version=17.4.0", "--set", "timeline.1.version=17.4.0",
                      "--set", "expectations.2.always.value=17.4.0")
    assert code == 1 and newer["fixes"] == []
    assert newer["event_counts"]["config_reread_after_maintenance"] == 5
    assert newer["versions"] == {"17.4.0": 5}
