"""Each named fix's scenario through ``evesim run``: as EVE (no fix) it passes, with ``--fix NAME`` it fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evesim.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def run(name: str, out: Path, *fixes: str) -> tuple[int, dict]:
    """``evesim run`` on library scenario ``name`` with ``--fix`` for each of ``fixes``."""
    args = [arg for fix in fixes for arg in ("--fix", fix)]
    result = CliRunner().invoke(app, ["run", str(SCENARIOS / f"{name}.yaml"), *args, "--out", str(out), "-q"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads((out / "summary.json").read_text())


def failed(summary: dict) -> set[str]:
    return {e["name"] for e in summary["expectations"] if not e["passed"]}


@pytest.mark.parametrize(("scenario", "fix", "expectation", "kind", "eve", "fixed"), [
    ("failed-version-again", "failed-version-memory",
     "as EVE, 14.6.0 is downloaded a second time once 14.6.1 was written over it", "download_started", 3, 2),
    ("retry-counter-lowered", "retry-on-increase",
     "as EVE, the lowered counter starts a retry after the one bump", "retry_update", 2, 1),
    ("write-over-updating", "unused-before-write",
     "as EVE, GRUB tries the half-written partition once and the panic resets the device", "reset", 2, 1),
    ("maintenance-drops-update", "maintenance-reread",
     "as EVE before 17.3.0, no device starts the update sent during maintenance mode", "download_started", 0, 5),
])
def test_the_fix_changes_the_outcome(tmp_path: Path, scenario: str, fix: str, expectation: str, kind: str,
                                     eve: int, fixed: int) -> None:
    code, summary = run(scenario, tmp_path / "eve")
    assert code == 0, failed(summary)
    assert summary["event_counts"].get(kind, 0) == eve
    code, summary = run(scenario, tmp_path / "fixed", fix)
    assert code == 1 and failed(summary) == {expectation}
    assert summary["event_counts"].get(kind, 0) == fixed
    assert summary["bricked"] == 0
