"""The faults that put a device in maintenance mode, through ``evesim run``: a failing TPM and a full /persist."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evesim.cli import app

TPM = """\
name: tpm-fault
description: The TPM fails, is found by tpmmgr's hourly check, then is fixed and found working again.
seed: 3
duration: 4h
crypto: trusted
fleet:
  - {name: edge, count: 2, board: generic-x86, version: 14.5.1}
  - {name: notpm, count: 1, board: rpi4, version: 14.5.1}
timeline:
  - {at: 10m, action: tpm_fault, fault: encryption}
  - {at: 90m, action: tpm_fault, fault: none}
"""


def _events(tmp_path: Path, text: str) -> pd.DataFrame:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(text)
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["bricked"] == 0
    return pd.read_parquet(tmp_path / "out" / "events.parquet")


def test_a_failing_tpm_is_found_by_the_hourly_check_and_lifted_by_a_passing_one(tmp_path: Path) -> None:
    events = _events(tmp_path, TPM)
    with_tpm = sorted(events[events.device.str.startswith("edge")].device.unique())
    assert sorted(events[events.kind == "tpm_fault"].device.unique()) == with_tpm
    failed = events[events.kind == "tpm_sanity_failed"]
    assert sorted(failed.device.unique()) == with_tpm
    for device in with_tpm:
        boot = events[(events.device == device) & (events.kind == "boot")].time.iloc[0]
        # tpmmgr starts with the agents; its checks come at 1 h and 2 h: the first finds the fault, the second
        # (after the fix at 90 m) finds the TPM working again
        assert list(failed[failed.device == device].time) == pytest.approx([boot + 3600.0], abs=1.0)
        modes = events[(events.device == device) & (events.kind == "maintenance_mode")]
        assert [json.loads(f)["mode"] for f in modes.fields] == [True, False]
        assert "TPM_ENCRYPTION_FAILURE" in modes.fields.iloc[0]
        assert modes.time.iloc[1] == pytest.approx(boot + 7200.0, abs=1.0)


FILL = """\
name: fill-persist
description: /persist fills for 20 minutes, then again for good before the first fill ends.
seed: 3
duration: 2h
crypto: trusted
fleet:
  - {name: app, count: 1, board: generic-x86, version: 14.5.1, apps: [telemetry]}
  - {name: bare, count: 1, board: generic-x86, version: 14.5.1}
apps:
  - {name: telemetry, size: 100MB, memory: 512MiB}
timeline:
  - {at: 10m, action: fill_persist, duration: 20m}
  - {at: 20m, action: fill_persist}
"""


def test_a_full_persist_is_low_disk_space_only_beside_app_volumes_and_a_later_fill_outlasts_an_earlier(
        tmp_path: Path) -> None:
    events = _events(tmp_path, FILL)
    assert len(events[events.kind == "persist_filled"]) == 4 and events[events.kind == "persist_freed"].empty
    modes = events[events.kind == "maintenance_mode"]
    # the app's volume takes the last bytes: LOW_DISK_SPACE, never lifted; without apps EVE's own files fill the
    # disk past its reserve, which getRemainingDiskSpace reports as an error, so no reason at all
    assert list(modes.device.str.split("-").str[0]) == ["app"]
    assert "LOW_DISK_SPACE" in modes.fields.iloc[0] and json.loads(modes.fields.iloc[0])["mode"]
