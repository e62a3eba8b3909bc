"""The contract: each reference scenario's event log is byte-identical to the recorded one.

A refactor or an optimisation keeps every digest; a behaviour change records them again
(``python -m tests.references.record``) in the commit that makes it, and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evesim import analysis
from tests.references.cases import CASES, event_log_sha256, recorded


def test_every_library_scenario_has_a_reference() -> None:
    library = {file.stem for file in Path(__file__).resolve().parents[2].joinpath("scenarios").glob("*.yaml")}
    assert set(CASES) == library == set(recorded())


@pytest.mark.parametrize("name", sorted(CASES))
def test_event_log_is_the_recorded_one_and_every_analysis_reads_the_run(name: str, tmp_path: Path) -> None:
    assert event_log_sha256(name, tmp_path) == recorded()[name], (
        f"{name}: the event log moved; if on purpose, record it again (python -m tests.references.record)")
    _analyse(analysis.load_run(tmp_path))


def _analyse(run: analysis.Run) -> None:
    """Every run analysis and plot of ``evesim.analysis`` works on the run, whatever happened in it."""
    import matplotlib.pyplot as plt

    analysis.version_mix(run)
    analysis.funnel(run)
    updated = analysis.time_to_update(run)
    assert list(updated.columns) == ["device", "started", "committed", "seconds"]
    assert (updated["seconds"] >= 0).all()
    assert analysis.rollback_causes(run).sum() == len(analysis.rollbacks(run))
    assert analysis.controller_load(run).ge(0).all()
    figures = [analysis.plot_version_mix(run), analysis.plot_funnel(run), analysis.plot_time_to_update(run),
               analysis.plot_rollback_causes(run), analysis.plot_controller_load(run)]
    for app in analysis.apps(run):
        analysis.app_states(run, app)
        figures.append(analysis.plot_app_states(run, app))
    for figure in figures:
        plt.close(figure)
