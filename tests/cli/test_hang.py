"""``hang_agent`` through the CLI: a hung kernel is reset by the hardware watchdog only."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from evesim.cli import app

SCENARIO = """\
name: hang
duration: 1h
fleet: [{{name: a, count: 1}}]
timeline:
  - {{at: 20m, action: hang_agent, agent: {agent}, target: all}}
"""


def run(tmp_path: Path, agent: str) -> pd.DataFrame:
    """Run the scenario with ``agent`` hung at 20 min; its event log."""
    file = tmp_path / "s.yaml"
    file.write_text(SCENARIO.format(agent=agent))
    result = CliRunner().invoke(app, ["run", str(file), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    return pd.read_parquet(tmp_path / "out" / "events.parquet")


def test_a_hung_kernel_is_reset_by_the_hardware_watchdog(tmp_path: Path) -> None:
    events = run(tmp_path, "kernel")
    boots = events[events.kind == "boot"]
    assert [b["reason"] for b in boots.fields.map(json.loads)] == ["FIRST", "HW_WATCHDOG"]
    assert (events.kind == "hardware_watchdog_reset").sum() == 1


def test_a_hung_agent_is_reset_by_the_watchdog_daemon(tmp_path: Path) -> None:
    events = run(tmp_path, "zedagent")
    boots = events[events.kind == "boot"]
    assert [b["reason"] for b in boots.fields.map(json.loads)] == ["FIRST", "WATCHDOG_HUNG"]
    assert (events.kind == "hardware_watchdog_reset").sum() == 0


def test_a_duration_over_a_year_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text("name: long\nduration: 400d\nfleet: [{name: a, count: 1}]\n")
    result = CliRunner().invoke(app, ["validate", str(file)])
    assert result.exit_code == 2
    assert f"{file}:2:11: duration:" in result.output and "31622400" in result.output
