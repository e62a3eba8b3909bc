"""``--set`` overrides and numbers: bad ones are clear errors (exit 2) naming the ``--set``, never tracebacks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from evesim.api import units
from evesim.cli import app
from evesim.scenario import loader

SCENARIO = """\
name: x
duration: 1h
fleet:
  - {name: edge, count: 2}
  - {name: pi, count: 1}
timeline:
  - {at: 10m, action: brownout, cycles: 2, on: 8s, off: 2s}
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    file = tmp_path / "s.yaml"
    file.write_text(SCENARIO)
    return file


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("fleet.5.count=3", "--set fleet.5.count: fleet is a list (of 2): '5' is not an index of it"),
        ("fleet.x.count=1", "--set fleet.x.count: fleet is a list (of 2): 'x' is not an index of it"),
        ("fleet.-1.count=1", "--set fleet.-1.count: fleet is a list (of 2): '-1' is not an index of it"),
        ("name.x=1", "--set name.x: name is a str, not a mapping or a list: it has no 'x'"),
        ("duration=.inf", "duration: a duration must be a finite number, got inf (from --set duration)"),
        ("duration=.nan", "duration: a duration must be a finite number, got nan (from --set duration)"),
        ("timeline.0.off=1.0e+999",
         "timeline[0].off: a duration must be a finite number, got inf (from --set timeline.0.off)"),
        ("fleet.0.cuont=3", "fleet[0].cuont: unknown key 'cuont'; did you mean 'count'?"),
    ],
)
def test_bad_overrides_exit_2_naming_the_set(scenario: Path, command: str, override: str, message: str) -> None:
    result = CliRunner().invoke(app, [command, str(scenario), "--set", override, *(["-q"] if command == "run" else [])])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert f"{scenario}: {message}" in result.output


def test_an_override_that_is_not_yaml_is_a_usage_error(scenario: Path) -> None:
    for command in ("run", "validate"):
        result = CliRunner().invoke(app, [command, str(scenario), "--set", "name=["])
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
        assert "not valid YAML" in result.output and "name" in result.output


def test_a_good_override_changes_only_its_key() -> None:
    loaded = loader.loads(SCENARIO, overrides={"fleet.1.count": 4, "network.topology": "tree", "timeline.0.on": "9s"})
    fleet = loaded.scenario.fleet
    assert [g.count for g in fleet] == [2, 4] and loaded.scenario.network.topology == "tree"
    assert (loaded.scenario.timeline[0].on, loaded.scenario.timeline[0].off) == (9.0, 2.0)


def test_bare_on_and_off_keys_are_keys() -> None:
    brownout = loader.loads(SCENARIO).scenario.timeline[0]
    assert (brownout.on, brownout.off) == (8.0, 2.0)


def test_non_finite_plain_numbers_are_refused() -> None:
    for value in (".inf", "-.inf", ".nan"):
        with pytest.raises(loader.ScenarioError, match="finite number"):
            loader.loads(SCENARIO + f"  - {{at: 1m, action: clock_jump, seconds: {value}}}\n")


@given(st.one_of(st.sampled_from([math.inf, -math.inf, math.nan, 10**400]),
                 st.sampled_from(["", "s", "m", "h", "d", "MB", "GiB", "Mbps"]).map(lambda unit: "9" * 400 + unit)))
def test_units_refuse_non_finite_values(value: float | str) -> None:
    for parse in (units.duration, units.bandwidth, units.size):
        with pytest.raises(ValueError):
            parse(value)


@given(st.integers(0, 10**12), st.sampled_from([("ms", 0.001), ("s", 1.0), ("m", 60.0), ("d", 86400.0)]))
def test_units_take_finite_numbers(value: int, unit: tuple[str, float]) -> None:
    assert units.duration(value) == value and units.duration(f"{value}{unit[0]}") == value * unit[1]


@pytest.mark.parametrize(("text", "seconds"), [("2h30m", 9000.0), ("1d 6h", 108000.0), ("1m30s", 90.0),
                                               ("2h 30m 15s", 9015.0), ("1h1ms", 3600.001)])
def test_durations_may_be_sums_of_units(text: str, seconds: float) -> None:
    assert units.duration(text) == seconds


@pytest.mark.parametrize("text", ["2h30", "h", "30m2", "", "2x", "m30"])
def test_a_duration_that_is_not_a_sum_of_units_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="like 90s, 15m, 2h30m or 1d"):
        units.duration(text)
