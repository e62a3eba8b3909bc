"""``evesim run`` and ``evesim validate`` as a user runs them: exit codes, outputs, errors, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parents[2]
ONBOARDING = ROOT / "scenarios" / "fleet-onboarding.yaml"
EVESIM = [sys.executable, "-m", "evesim.cli"]


def evesim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EVESIM, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The 1,000-device onboarding scenario, shortened to 40 simulated minutes."""
    out = tmp_path_factory.mktemp("onboarding")
    done = evesim("run", str(ONBOARDING), "--set", "duration=40m", "--set", "expectations.0.by=30m",
                  "--quiet", "--out", str(out))
    return done, out


def test_thousand_devices_onboard_through_the_cli(thousand: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, out = thousand
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["devices"] == 1000 and summary["onboarded"] == 1000 and summary["bricked"] == 0
    assert summary["seed"] == 42 and summary["passed"] is True
    assert all(exp["passed"] for exp in summary["expectations"])
    assert "PASS every device onboards within an hour" in done.stdout


def test_outputs_have_their_columns(thousand: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = thousand
    events = pd.read_parquet(out / "events.parquet")
    assert list(events.columns) == ["time", "device", "agent", "kind", "severity", "fields"]
    assert events["time"].is_monotonic_increasing
    assert set(events.loc[events.kind == "onboarded", "device"]) == {f"edge-{i:05d}" for i in range(1000)}
    devices = pd.read_parquet(out / "devices.parquet")
    assert len(devices) == 1000 and devices["uuid"].str.len().eq(36).all()
    assert {"device", "group", "state", "version", "outcome", "boots", "led"} <= set(devices.columns)
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert list(metrics.columns) == ["time", "series", "value"]
    onboarded = metrics[metrics.series == "onboarded"].sort_values("time")["value"]
    assert onboarded.is_monotonic_increasing and onboarded.iloc[-1] == 1000


def _small(seed: str, out: Path) -> subprocess.CompletedProcess[str]:
    return evesim("run", str(ONBOARDING), "--set", "fleet.0.count=20", "--set", "duration=30m",
                  "--set", "expectations.0.by=30m", "--seed", seed, "--quiet", "--out", str(out))


def test_same_seed_same_event_log_bytes(tmp_path: Path) -> None:
    runs = [_small(seed, tmp_path / name) for seed, name in (("5", "a"), ("5", "b"), ("6", "c"))]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    a, b, c = ((tmp_path / n / "events.parquet").read_bytes() for n in "abc")
    assert a == b and a != c
    digests = [json.loads((tmp_path / n / "summary.json").read_text())["event_log_sha256"] for n in "abc"]
    assert digests[0] == digests[1] != digests[2]


def test_failed_expectation_exits_1(tmp_path: Path) -> None:
    done = evesim("run", str(ONBOARDING), "--set", "fleet.0.count=5", "--set", "duration=10m",
                  "--set", "expectations.0.by=1m", "--quiet")
    assert done.returncode == 1, done.stderr
    assert "FAIL every device onboards within an hour" in done.stdout


def test_invalid_scenario_exits_2_naming_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nduration: 1h\nfleet:\n  - name: a\n    cuont: 3\n")
    for command in ("run", "validate"):
        done = evesim(command, str(bad))
        assert done.returncode == 2
        assert f"{bad}:5:5: fleet[0].cuont: unknown key 'cuont'; did you mean 'count'?" in done.stderr
        assert f"{bad}:4:5: fleet[0].count: required key is missing" in done.stderr


def test_validate_accepts_every_shipped_scenario() -> None:
    for scenario in sorted((ROOT / "scenarios").glob("*.yaml")):
        done = evesim("validate", str(scenario))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"{scenario}: ok (")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    done = evesim("run", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2 and "cannot read the file" in done.stderr
