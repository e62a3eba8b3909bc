"""``evesim events RUN_DIR``: filters by device, kind, agent, severity and simulated time; table, CSV and JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from evesim.cli import app

runner = CliRunner()


def events(run_dir: Path, *args: str):
    return runner.invoke(app, ["events", str(run_dir), *args])


def test_filters_combine_and_times_read_as_durations(run_dir: Path) -> None:
    log = pd.read_parquet(run_dir / "events.parquet")
    device = sorted(set(log["device"]) - {"world"})[0]
    result = events(run_dir, "--device", device, "--kind", "boot", "--kind", "reboot_requested", "--since", "10m",
                    "--until", "1h30m", "--format", "csv")
    assert result.exit_code == 0, result.output
    got = pd.read_csv(io.StringIO(result.stdout))
    expected = log[(log["device"] == device) & log["kind"].isin(["boot", "reboot_requested"])
                   & log["time"].between(600, 5400)]
    assert len(got) == len(expected) > 0
    assert got["time"].is_monotonic_increasing
    assert set(got["kind"]) <= {"boot", "reboot_requested"} and set(got["device"]) == {device}


def test_json_lines_carry_the_fields_as_objects_and_limit_keeps_the_first(run_dir: Path) -> None:
    result = events(run_dir, "--kind", "boot", "--limit", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3 and all(row["kind"] == "boot" and "reason" in row["fields"] for row in rows)
    assert [row["time"] for row in rows] == sorted(row["time"] for row in rows)


def test_severity_keeps_that_level_and_worse(run_dir: Path) -> None:
    result = events(run_dir, "--severity", "warning", "--format", "csv")
    assert result.exit_code == 0, result.output
    severities = set(pd.read_csv(io.StringIO(result.stdout))["severity"])
    assert severities and severities <= {"warning", "error"}


def test_the_table_names_how_many_of_all_events_it_shows(run_dir: Path) -> None:
    total = len(pd.read_parquet(run_dir / "events.parquet"))
    result = events(run_dir, "--agent", "nodeagent", "--kind", "boot")
    assert result.exit_code == 0, result.output
    boots = int((pd.read_parquet(run_dir / "events.parquet")["kind"] == "boot").sum())
    assert "POWER_FAIL" in result.stdout and f"{boots} of {total} events" in result.stdout


def test_bad_filters_and_folders_are_clear_errors(run_dir: Path, tmp_path: Path) -> None:
    late = events(run_dir, "--since", "2h30")
    assert late.exit_code == 2 and "like 90s, 15m, 2h30m or 1d" in late.output
    loud = events(run_dir, "--severity", "loud")
    assert loud.exit_code == 2 and "expected one of info, warning, error" in loud.output
    missing = events(tmp_path)
    assert missing.exit_code == 2 and "missing summary.json" in missing.output
    unknown = events(run_dir, "--kind", "no_such_kind")
    assert unknown.exit_code == 0 and "no event of kind no_such_kind" in unknown.output
