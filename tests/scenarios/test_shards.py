"""The exactness contract of sharding: ``evesim run --shards N`` writes the files an unsharded run writes.

Every reference run of the library (the small forms of ``tests.references.cases``) runs once in one
process and then split over 2 and 3 shards; the Parquet files must be byte-identical and
``summary.json`` equal but for the wall time. A scenario sharding cannot split is refused with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evesim.cli import app
from evesim.scenario import loader
from evesim.scenario.shards import problems
from tests.references.cases import CASES, SCENARIOS, recorded

OUTPUTS = ("events.parquet", "devices.parquet", "metrics.parquet")
REFUSED = {"app-to-app-switch"}
"""Library scenarios whose devices interact inside a window (apps sending traffic to other devices' apps)."""


def run(name: str, out: Path, *options: str) -> str:
    """``evesim run`` on the reference form of ``name``; returns its output."""
    sets = [arg for key in CASES[name] for arg in ("--set", key)]
    result = CliRunner().invoke(app, ["run", str(SCENARIOS / f"{name}.yaml"), *sets, "--out", str(out), "-q",
                                      *options])
    assert result.exit_code in (0, 1), result.output
    return result.output


def summary(out: Path) -> dict:
    data = json.loads((out / "summary.json").read_text())
    return {key: value for key, value in data.items() if key not in ("wall_s", "speedup")}


@pytest.mark.parametrize("name", sorted(set(CASES) - REFUSED))
def test_a_sharded_run_writes_what_one_process_writes(name: str, tmp_path: Path) -> None:
    run(name, tmp_path / "one")
    expected = summary(tmp_path / "one")
    assert expected["event_log_sha256"] == recorded()[name]
    for shards in (2, 3):
        out = tmp_path / f"shards-{shards}"
        run(name, out, "--shards", str(shards))
        assert summary(out) == expected, f"{name} on {shards} shards: summary.json differs"
        for file in OUTPUTS:
            assert (out / file).read_bytes() == (tmp_path / "one" / file).read_bytes(), (
                f"{name} on {shards} shards: {file} differs")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_scenario_whose_devices_interact_is_refused_with_the_reason(name: str, tmp_path: Path) -> None:
    scenario = loader.load(SCENARIOS / f"{name}.yaml").scenario
    assert problems(scenario)
    sets = [arg for key in CASES[name] for arg in ("--set", key)]
    result = CliRunner().invoke(app, ["run", str(SCENARIOS / f"{name}.yaml"), *sets, "--out", str(tmp_path / "o"),
                                      "-q", "--shards", "2"])
    assert result.exit_code == 2
    assert "cannot split this fleet over shards" in result.output and ".traffic" in result.output
    assert not (tmp_path / "o" / "summary.json").exists()


def test_the_refused_set_is_exactly_what_cannot_be_split() -> None:
    refused = {name for name in CASES if problems(loader.load(SCENARIOS / f"{name}.yaml").scenario)}
    assert refused == REFUSED
