"""The flagship scenario over many seeds on a small fleet: no device is ever bricked.

``make test`` runs 200 seeds; ``make soak`` runs 1,000 (``EVESIM_FLAGSHIP_SEEDS``).

Three devices; each of the seven power-cut phases (download, partition write, after the write,
after ``updating`` is set, the reboot, the test window, the commit) hits one random device per
seed. Every replica must pass the scenario's own expectations: nothing bricked, and every device
runs the new version or reports it FAILED while running the old one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evesim.scenario import loader
from evesim.scenario.run import run

FLAGSHIP = Path(__file__).parents[2] / "scenarios" / "power-loss-during-update.yaml"
SEEDS = int(os.environ.get("EVESIM_FLAGSHIP_SEEDS", "200"))
CHUNKS = 8
SMALL = {
    "fleet.0.count": 2,
    "fleet.1.count": 1,
    "duration": "2h",
    "config_items": {"timer.metric.interval": "3600"},
    **{f"timeline.{i}.when.target": {"count": 1} for i in range(1, 8)},
}


@pytest.fixture(scope="module")
def small_flagship() -> loader.Loaded:
    loaded = loader.load(FLAGSHIP, SMALL)
    phases = [a for a in loaded.scenario.timeline if a.action == "power_cut"]
    assert len(phases) == 7 and all(a.when.target.count == 1 for a in phases)
    return loaded


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_no_seed_bricks_a_device(small_flagship: loader.Loaded, chunk: int) -> None:
    failures, cuts = [], 0
    for seed in range(chunk, SEEDS, CHUNKS):
        result = run(small_flagship, seed)
        summary = result.summary()
        cuts += summary["event_counts"].get("power_cut", 0)
        assert summary["bricked"] == 0, f"seed {seed} bricked a device: {summary['outcomes']}"
        if not result.passed:
            failures.append((seed, summary["outcomes"], [o.detail for o in result.judge.failed]))
    assert not failures, f"seeds failing the flagship's expectations: {failures}"
    assert cuts >= 5 * SEEDS // CHUNKS, "the phases' power cuts must actually land"
