"""The reference runs: every library scenario, small enough for the suite, with the overrides that make it so."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from evesim.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
HASHES = Path(__file__).with_name("hashes.json")
CASES: dict[str, tuple[str, ...]] = {
    "power-loss-during-update": ("fleet.0.count=30", "fleet.1.count=10"),
    "apps-through-update": ("fleet.0.count=8",),
    "bad-image-canary": ("fleet.1.count=8", "duration=1h"),
    "brownout-loop": ("fleet.0.count=3", "fleet.1.count=3", "fleet.2.count=3", "duration=1h"),
    "controller-outage": ("fleet.0.count=40", "controller.service_time=700ms"),
    "failed-version-again": (),
    "retry-counter-lowered": (),
    "write-over-updating": (),
    "fleet-onboarding": ("fleet.0.count=40", "duration=2h"),
    "partition-during-test": ("fleet.1.count=8", "duration=1h"),
    "staged-rollout-10k": ("fleet.0.count=30", "timeline.0.wait=2m", "duration=135m"),
    "app-hold-during-update": ("fleet.0.count=5",),
    "no-apps-after-failed-update": ("fleet.0.count=4",),
    "maintenance-drops-update": (),
    "bad-network-config": ("fleet.0.count=10",),
    "failover-to-lte": ("fleet.0.count=8",),
    "proxy-outage": ("fleet.0.count=6", "fleet.1.count=6"),
    "app-to-app-switch": (),
    "tls-inspecting-proxy": (),
    "wpad-proxy": (),
}
"""Scenario name → the ``--set`` overrides of its reference run (the scenario's own seed)."""


def event_log_sha256(name: str, out: Path) -> str:
    """Run the reference form of ``name`` through ``evesim run --reference`` (one process) and return its event-log
    digest."""
    sets = [arg for key in CASES[name] for arg in ("--set", key)]
    result = CliRunner().invoke(app, ["run", str(SCENARIOS / f"{name}.yaml"), *sets, "--out", str(out), "-q",
                                      "--reference"])
    assert result.exit_code in (0, 1), result.output
    return str(json.loads((out / "summary.json").read_text())["event_log_sha256"])


def recorded() -> dict[str, str]:
    """The committed reference digests."""
    return dict(json.loads(HASHES.read_text()))
