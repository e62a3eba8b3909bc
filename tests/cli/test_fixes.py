"""Named fixes through the CLI: listed, refused when unknown, switched on by scenario or --fix, recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from evesim.agent import fixes
from evesim.cli import app

TINY = """\
name: tiny
duration: 5m
{fixes}fleet:
  - {{name: edge, count: 1}}
"""


def _scenario(tmp_path: Path, line: str = "") -> Path:
    file = tmp_path / "s.yaml"
    file.write_text(TINY.format(fixes=line))
    return file


def test_list_fixes_prints_one_line_each_with_its_upstream_reference() -> None:
    result = CliRunner().invoke(app, ["list", "fixes"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(fixes.FIXES)
    for line, info in zip(lines, fixes.FIXES.values(), strict=True):
        assert info.summary in line and info.upstream in line


def test_an_unknown_fix_in_a_scenario_is_refused_at_its_line(tmp_path: Path) -> None:
    file = _scenario(tmp_path, "fixes: [retry-on-increase, faster-please]\n")
    result = CliRunner().invoke(app, ["validate", str(file)])
    assert result.exit_code == 2
    assert f"{file}:3:8: fixes: unknown fixes ['faster-please']" in result.output
    assert "retry-on-increase" in result.output.split("known:")[1]


def test_an_unknown_fix_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(_scenario(tmp_path)), "--fix", "faster-please", "-q"])
    assert result.exit_code == 2
    assert "unknown fix 'faster-please'" in result.output and "release-app-hold" in result.output


def test_fixes_from_the_scenario_and_the_command_line_are_recorded(tmp_path: Path) -> None:
    file = _scenario(tmp_path, "fixes: [retry-on-increase]\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(file), "--fix", "unused-before-write", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["fixes"] == ["retry-on-increase", "unused-before-write"]
    events = pd.read_parquet(out / "events.parquet")
    first = events.iloc[0]
    assert (first["time"], first["device"], first["kind"]) == (0.0, "world", "fixes")
    assert json.loads(first["fields"]) == {"on": ["retry-on-increase", "unused-before-write"]}


def test_a_default_run_has_no_fixes_and_no_fixes_event(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(_scenario(tmp_path)), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["fixes"] == []
    assert "fixes" not in set(pd.read_parquet(out / "events.parquet")["kind"])


def test_a_sweep_takes_fixes_to_every_replica(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = CliRunner().invoke(app, ["sweep", str(_scenario(tmp_path)), "--seeds", "2", "--workers", "1",
                                      "--fix", "release-app-hold", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["fixes"] == ["release-app-hold"]
    assert summary["overrides"]["fixes"] == ["release-app-hold"]
