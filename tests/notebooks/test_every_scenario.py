"""The fleet-analysis notebook, run by papermill as the docs show, on every scenario in ``scenarios/``; then every
analysis function on the outputs it wrote (issue 16: some crashed on a scenario where no device updated)."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib
import papermill
import pytest

from evesim import analysis

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
RUN_PLOTS = ("plot_boot_reasons", "plot_controller_load", "plot_device_states", "plot_faults", "plot_funnel",
             "plot_network_outages", "plot_port_traffic", "plot_rollback_causes", "plot_rollout_progress",
             "plot_time_to_update", "plot_version_mix")
IN_NOTEBOOK = 7
"""Run plots the notebook shows."""
FRAMES = ("boot_reasons", "campaign_decisions", "controller_load", "device_states", "dpc_changes", "faults", "funnel",
          "network_outages", "port_traffic", "rollback_causes", "rollbacks", "rollout_progress", "time_to_update",
          "version_mix")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_the_notebook_and_every_analysis_work_on_the_scenario(scenario: Path, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="papermill")
    executed = papermill.execute_notebook(
        str(NOTEBOOKS / "fleet-analysis.ipynb"), str(tmp_path / "executed.ipynb"), cwd=str(NOTEBOOKS),
        parameters={"scenario": str(scenario), "out_dir": str(tmp_path / "run")}, kernel_name="python3",
        progress_bar=False)
    assert [record.getMessage() for record in caplog.records] == [], "papermill warned"
    outputs = [out for cell in executed.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert [out for out in outputs if out.output_type == "error"] == []
    assert [out for out in outputs if out.get("name") == "stderr"] == [], "the notebook printed warnings"
    assert sum("image/png" in out.get("data", {}) for out in outputs) == IN_NOTEBOOK

    matplotlib.use("Agg")
    run = analysis.load_run(tmp_path / "run")
    assert run.summary["scenario"] == scenario.stem
    for name in FRAMES:
        getattr(analysis, name)(run)
    for name in RUN_PLOTS:
        getattr(analysis, name)(run)
    for app in analysis.apps(run):
        assert not analysis.app_states(run, app).empty
        analysis.plot_app_states(run, app)
