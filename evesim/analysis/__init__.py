"""Run and sweep outputs as pandas frames and matplotlib figures, for notebooks and reports.

The ``plot_*`` functions are imported on first use, so the frames need only the core
dependencies; the plots need matplotlib (the ``notebooks`` extra).
"""

from __future__ import annotations

import importlib
from typing import Any

from evesim.analysis.fleet import (
    FUNNEL,
    app_states,
    apps,
    controller_load,
    funnel,
    rollback_causes,
    rollbacks,
    time_to_update,
    version_mix,
)
from evesim.analysis.load import AnalysisError, Run, Sweep, load_run, load_sweep
from evesim.analysis.sweeps import outcome_distribution, outcome_stats, pass_rates

PLOTS = (
    "plot_app_states", "plot_controller_load", "plot_funnel", "plot_outcome_distribution", "plot_rollback_causes",
    "plot_time_to_update", "plot_version_mix",
)

__all__ = [
    "FUNNEL", "AnalysisError", "Run", "Sweep", "app_states", "apps", "controller_load", "funnel", "load_run",
    "load_sweep",
    "outcome_distribution", "outcome_stats", "pass_rates", *PLOTS,
    "rollback_causes", "rollbacks", "time_to_update", "version_mix",
]


def __getattr__(name: str) -> Any:
    """The plot functions, imported from ``evesim.analysis.plots`` (and matplotlib) when first asked for."""
    if name in PLOTS:
        try:
            plots = importlib.import_module("evesim.analysis.plots")
        except ImportError as exc:
            raise ImportError(f"{name} needs matplotlib: pip install 'evesim[notebooks]' ({exc})") from exc
        return getattr(plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
