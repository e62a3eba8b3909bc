"""The exactness contract of sharding: ``evesim run --shards N`` writes the files an unsharded run writes.

Every reference run of the library (the small forms of ``tests.references.cases``) runs once in one
process and then split over 2 and 3 shards; the Parquet files must be byte-identical and
``summary.json`` equal but for the wall time. None is refused; devices whose apps send each other traffic
run on one shard, beside the others on theirs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from evesim.cli import app
from evesim.scenario import loader
from evesim.scenario.shards import plan, problems
from tests.references.cases import CASES, SCENARIOS, recorded

OUTPUTS = ("events.parquet", "devices.parquet", "metrics.parquet")


def run(name: str, out: Path, *options: str) -> str:
    """``evesim run`` on the reference form of ``name``; returns its output."""
    sets = [arg for key in CASES[name] for arg in ("--set", key)]
    return run_file(SCENARIOS / f"{name}.yaml", out, *sets, *options)


def run_file(file: Path, out: Path, *options: str) -> str:
    """``evesim run`` on a scenario file; returns its output."""
    result = CliRunner().invoke(app, ["run", str(file), "--out", str(out), *options])
    assert result.exit_code in (0, 1), result.output
    return result.output


def same_outputs(one: Path, other: Path, what: str) -> None:
    assert summary(other) == summary(one), f"{what}: summary.json differs"
    for file in OUTPUTS:
        assert (other / file).read_bytes() == (one / file).read_bytes(), f"{what}: {file} differs"


def summary(out: Path) -> dict:
    data = json.loads((out / "summary.json").read_text())
    return {key: value for key, value in data.items() if key not in ("wall_s", "speedup")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_sharded_run_writes_what_one_process_writes(name: str, tmp_path: Path) -> None:
    run(name, tmp_path / "one", "-q", "--reference")
    assert summary(tmp_path / "one")["event_log_sha256"] == recorded()[name]
    for shards in (2, 3):
        run(name, tmp_path / f"shards-{shards}", "-q", "--shards", str(shards))
        same_outputs(tmp_path / "one", tmp_path / f"shards-{shards}", f"{name} on {shards} shards")


def test_no_library_scenario_is_refused() -> None:
    assert [name for name in CASES if problems(loader.load(SCENARIOS / f"{name}.yaml").scenario)] == []


def test_devices_exchanging_app_traffic_share_a_shard_while_the_rest_of_the_fleet_is_split(tmp_path: Path) -> None:
    plant = yaml.safe_load((SCENARIOS / "app-to-app-switch.yaml").read_text())
    plant["fleet"][1]["count"], plant["fleet"][2]["count"] = 2, 1
    plant["fleet"].append({"name": "plain", "count": 12, "attach": "site-0"})
    plant["duration"] = "90m"
    file = tmp_path / "plant.yaml"
    file.write_text(yaml.safe_dump(plant))
    scenario = loader.load(file).scenario
    assert [sorted(s.cells or ()) for s in plan(scenario, 2)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    one = run_file(file, tmp_path / "one", "-q", "--reference")
    split = run_file(file, tmp_path / "two", "-q", "--shards", "2")
    assert "on 2 shards" in split and "on 2 shards" not in one
    same_outputs(tmp_path / "one", tmp_path / "two", "the plant on 2 shards")
    events = pd.read_parquet(tmp_path / "two" / "events.parquet")
    flows = events[events.kind == "app_flow"]
    assert {"delivered", "dropped_in", "no_route"} <= set(flows.fields.map(lambda f: json.loads(f)["outcome"]))
