"""The faults that put a device in maintenance mode, through ``evesim run``: a failing TPM and a full /persist."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from evesim.cli import app

TPM = """\
name: tpm-fault
description: The TPM fails, is noticed at a reboot, then is fixed and noticed at the next reboot.
seed: 3
duration: 2h
crypto: trusted
fleet:
  - {name: edge, count: 2, board: generic-x86, version: 14.5.1}
  - {name: notpm, count: 1, board: BOARD, version: 14.5.1}
timeline:
  - {at: 10m, action: tpm_fault, fault: encryption}
  - {at: 15m, action: reboot}
  - {at: 40m, action: tpm_fault, fault: none}
  - {at: 45m, action: reboot}
"""


def _events(tmp_path: Path, text: str) -> pd.DataFrame:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(text)
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["bricked"] == 0
    return pd.read_parquet(tmp_path / "out" / "events.parquet")


def test_a_failing_tpm_is_found_at_the_next_boot_and_lifted_by_a_boot_that_finds_it_working(tmp_path: Path) -> None:
    events = _events(tmp_path, TPM.replace("BOARD", "rpi4"))
    with_tpm = events[events.device.str.startswith("edge")]
    faults = events[events.kind == "tpm_fault"]
    assert sorted(faults.device.unique()) == sorted(with_tpm.device.unique())
    failed = events[events.kind == "tpm_sanity_failed"]
    assert sorted(failed.device.unique()) == sorted(with_tpm.device.unique())
    boots = events[events.kind == "boot"]
    for device, rows in failed.groupby("device"):
        # found by the boot after the 15 m reboot, not at the fault itself
        second_boot = boots[boots.device == device].time.iloc[1]
        assert (rows.time >= second_boot).all() and len(rows) == 1
    entered = events[(events.kind == "maintenance_mode") & events.fields.str.contains("TPM_ENCRYPTION_FAILURE")]
    assert sorted(entered.device.unique()) == sorted(with_tpm.device.unique())
    # the third boot, with the TPM fixed, is not in maintenance mode
    last = events[(events.kind == "maintenance_mode")].groupby("device").time.max()
    third = boots.groupby("device").time.max()
    assert (last < third.loc[last.index]).all()
