"""Run and sweep outputs as pandas frames and matplotlib figures, for notebooks and reports."""

from evesim.analysis.fleet import (
    FUNNEL,
    controller_load,
    funnel,
    rollback_causes,
    rollbacks,
    time_to_update,
    version_mix,
)
from evesim.analysis.load import AnalysisError, Run, Sweep, load_run, load_sweep
from evesim.analysis.plots import (
    plot_controller_load,
    plot_funnel,
    plot_outcome_distribution,
    plot_rollback_causes,
    plot_time_to_update,
    plot_version_mix,
)
from evesim.analysis.sweeps import outcome_distribution, outcome_stats, pass_rates

__all__ = [
    "FUNNEL", "AnalysisError", "Run", "Sweep", "controller_load", "funnel", "load_run", "load_sweep",
    "outcome_distribution", "outcome_stats", "pass_rates", "plot_controller_load", "plot_funnel",
    "plot_outcome_distribution", "plot_rollback_causes", "plot_time_to_update", "plot_version_mix",
    "rollback_causes", "rollbacks", "time_to_update", "version_mix",
]
