"""Ctrl-C on ``evesim sweep``: a prompt stop, every finished replica kept, no process left, ``--resume``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

TINY = Path(__file__).with_name("tiny-update.yaml")
EVESIM = [sys.executable, "-m", "evesim.cli"]
STOP_S = 5.0
"""How soon after Ctrl-C the sweep must have exited."""


def _start(out: Path, seeds: int, *extra: str, scenario: Path = TINY) -> subprocess.Popen[str]:
    return subprocess.Popen([*EVESIM, "sweep", str(scenario), "--seeds", str(seeds), "--workers", "2", "-q",
                             "--out", str(out), *extra], start_new_session=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _journal_rows(out: Path) -> int:
    journal = out / "sweep.journal"
    return len(journal.read_text().splitlines()) - 1 if journal.exists() else 0


def _wait_for_rows(proc: subprocess.Popen[str], out: Path) -> int:
    deadline = time.monotonic() + 120
    while (rows := _journal_rows(out)) < 1:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no chunk finished in 120 s"
        time.sleep(0.05)
    return rows


def _finish(proc: subprocess.Popen[str], since: float) -> tuple[int, str, float]:
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err, time.monotonic() - since


def _left_in_session(sid: int) -> list[str]:
    """Processes still in the sweep's session (its workers and forkserver), after a moment to exit."""
    deadline = time.monotonic() + 5
    while True:
        found = subprocess.run(["pgrep", "-a", "-s", str(sid)], capture_output=True, text=True).stdout.split("\n")
        left = [line for line in found if line.strip()]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("to", ["group", "parent"])
def test_ctrl_c_stops_promptly_keeps_finished_replicas_and_leaves_no_process(tmp_path: Path, to: str) -> None:
    proc = _start(tmp_path, 64)
    journaled = _wait_for_rows(proc, tmp_path)
    since = time.monotonic()
    if to == "group":  # a terminal's Ctrl-C reaches the command and its workers
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    code, err, took = _finish(proc, since)
    assert code == 130, err
    assert took < STOP_S, f"stopping took {took:.1f} s"
    assert f"--resume {tmp_path}" in err and "Traceback" not in err
    summary = _summary(tmp_path)
    assert summary["complete"] is False and summary["requested"] == {"first": 11, "count": 64}
    replicas = pd.read_parquet(tmp_path / "replicas.parquet")
    assert len(replicas) == summary["replicas"] >= journaled
    assert (replicas["error"] == "").all(), "an interrupted replica must leave no row, not an error row"
    assert not (tmp_path / "sweep.journal").exists()
    assert _left_in_session(proc.pid) == []


def test_more_ctrl_c_still_exit_promptly_writing_the_finished_replicas_with_no_process_left(tmp_path: Path) -> None:
    proc = _start(tmp_path, 64)
    _wait_for_rows(proc, tmp_path)
    since = time.monotonic()
    for _ in range(3):  # impatient: the later presses may land while it waits, stops its workers or writes
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.05)
    code, err, took = _finish(proc, since)
    assert code == 130, err
    assert took < STOP_S, f"stopping took {took:.1f} s"
    assert f"--resume {tmp_path}" in err and "Traceback" not in err
    assert len(pd.read_parquet(tmp_path / "replicas.parquet")) == _summary(tmp_path)["replicas"]
    assert _left_in_session(proc.pid) == []


def test_resume_runs_only_the_missing_replicas_and_matches_an_uninterrupted_sweep(tmp_path: Path) -> None:
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert _start(whole, 24).wait(timeout=300) == 0
    proc = _start(cut, 24)
    _wait_for_rows(proc, cut)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    kept = _summary(cut)["replicas"]
    assert 0 < kept < 24
    resumed = subprocess.run([*EVESIM, "sweep", str(TINY), "--resume", str(cut), "--workers", "2", "-q"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {kept} of 24 replicas already in {cut}" in resumed.stderr
    assert _summary(cut)["complete"] is True
    assert (cut / "replicas.parquet").read_bytes() == (whole / "replicas.parquet").read_bytes()


def test_a_killed_sweep_leaves_its_journal_and_resumes_from_it(tmp_path: Path) -> None:
    proc = _start(tmp_path, 24)
    journaled = _wait_for_rows(proc, tmp_path)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert not (tmp_path / "summary.json").exists()
    resumed = subprocess.run([*EVESIM, "sweep", str(TINY), "--resume", str(tmp_path), "--workers", "2", "-q"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {journaled}" in resumed.stderr or journaled < _journal_rows(tmp_path)
    assert list(pd.read_parquet(tmp_path / "replicas.parquet")["seed"]) == list(range(11, 35))


def _resume(folder: Path, *extra: str, scenario: Path = TINY) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EVESIM, "sweep", str(scenario), "--resume", str(folder), "-q", *extra],
                          capture_output=True, text=True, timeout=120)


def test_resume_refuses_another_scenario_other_seeds_and_an_empty_folder(tmp_path: Path) -> None:
    done = tmp_path / "done"
    assert _start(done, 2).wait(timeout=120) == 0
    complete = _resume(done)
    assert complete.returncode == 0 and "complete: nothing to resume" in complete.stderr
    summary = _summary(done)
    summary["complete"], summary["requested"]["count"] = False, 3
    (done / "summary.json").write_text(json.dumps(summary))
    changed = tmp_path / "changed.yaml"
    changed.write_text(TINY.read_text() + "\n# edited\n")
    other = _resume(done, scenario=changed)
    assert other.returncode == 2 and "is not the scenario the sweep" in other.stderr
    both = _resume(done, "--seeds", "5")
    assert both.returncode == 2 and "--seeds cannot be given with --resume" in both.stderr
    empty = _resume(tmp_path / "nothing-here")
    assert empty.returncode == 2 and "holds no sweep to resume" in empty.stderr
