"""Writing a scenario: ``evesim new`` templates, ``evesim list`` vocabularies, warnings for actions that never ran,
and ``evesim --version``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest
from typer.testing import CliRunner

import evesim
from evesim.api.vocab import APP_DEFECTS, EVENT_KINDS, IMAGE_DEFECTS
from evesim.cli import app
from evesim.hw.board import PROFILES
from evesim.scenario import catalog, loader
from evesim.scenario.run import run
from evesim.scenario.templates import TEMPLATES
from evesim.scenario.vocab import ActionName

runner = CliRunner()
SMALLER = {"staged-rollout": {"fleet.0.count": 20}}
"""Templates run at a smaller size in the test (their expectations hold either way)."""


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"evesim {evesim.__version__}\n"


def test_new_lists_the_templates() -> None:
    result = runner.invoke(app, ["new"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == list(TEMPLATES)


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_each_template_is_a_commented_scenario_whose_expectations_hold(template: str, tmp_path: Path) -> None:
    file = tmp_path / "mine.yaml"
    written = runner.invoke(app, ["new", template, str(file)])
    assert written.exit_code == 0 and f"run it with: evesim run {file}" in written.output
    text = file.read_text()
    assert text.count("#") >= 3 and "name: mine" in text
    result = run(loader.load(file, SMALLER.get(template)))
    assert result.passed, [o.detail for o in result.judge.failed]
    assert result.summary()["unfired_actions"] == []


def test_new_keeps_an_existing_file_and_suggests_a_near_name(tmp_path: Path) -> None:
    file = tmp_path / "kept.yaml"
    file.write_text("mine")
    refused = runner.invoke(app, ["new", "partition", str(file)])
    assert refused.exit_code == 2 and "exists" in refused.output and file.read_text() == "mine"
    assert runner.invoke(app, ["new", "partition", str(file), "--force"]).exit_code == 0
    near = runner.invoke(app, ["new", "power-los"])
    said = " ".join(near.output.replace("│", " ").split())
    assert near.exit_code == 2 and "did you mean 'power-loss'?" in said


def test_every_vocabulary_has_one_line_per_value() -> None:
    assert set(catalog.EVENTS) == EVENT_KINDS
    assert set(catalog.ACTIONS) == set(get_args(ActionName))
    assert set(catalog.IMAGE_DEFECTS) == IMAGE_DEFECTS and set(catalog.APP_DEFECTS) == APP_DEFECTS
    for what, names in (("events", EVENT_KINDS), ("actions", get_args(ActionName)), ("boards", PROFILES)):
        result = runner.invoke(app, ["list", what])
        assert result.exit_code == 0, result.output
        listed = [line.split()[0] for line in result.output.splitlines()]
        assert listed == sorted(names), what
    defects = runner.invoke(app, ["list", "defects"]).output
    assert {tuple(line.split()[:2]) for line in defects.splitlines()} == {
        *(("image", name) for name in IMAGE_DEFECTS), *(("app", name) for name in APP_DEFECTS)}


def test_an_action_that_never_ran_is_named_with_its_line(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text("name: s\nduration: 10m\nfleet: [{name: e, count: 1}]\ntimeline:\n"
                    "  - {at: 1m, action: reboot}\n"
                    "  - {action: reboot, when: {event: bricked}}\n"
                    "  - {at: 2h, action: power_cut}\n")
    result = runner.invoke(app, ["run", str(file), "-q", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"warning {file}:6: timeline[1] (reboot) never ran" in result.output
    assert f"warning {file}:7: timeline[2] (power_cut) never ran" in result.output
    assert "timeline[0]" not in result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["unfired_actions"] == [{"index": 1, "action": "reboot", "line": 6},
                                          {"index": 2, "action": "power_cut", "line": 7}]


def test_a_complex_yaml_key_is_a_clear_error(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text("name: s\nduration: 10m\nfleet: [{name: e, count: 1}]\n? [a, b]\n: 3\n")
    result = runner.invoke(app, ["validate", str(file)])
    assert result.exit_code == 2 and f"{file}:4:3: not valid YAML: a key must be plain text" in result.output
