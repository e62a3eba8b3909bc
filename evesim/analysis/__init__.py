"""Run and sweep outputs as pandas frames and matplotlib figures, for notebooks and reports.

Every name is imported on first use: ``evesim.analysis.cli`` loads without pandas (the CLI starts
fast), the frames need only the core dependencies, the ``plot_*`` functions need matplotlib (the
``notebooks`` extra).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evesim.analysis.campaigns import campaign_decisions, rollout_progress
    from evesim.analysis.fleet import (
        FUNNEL,
        app_states,
        apps,
        boot_reasons,
        controller_load,
        device_states,
        faults,
        funnel,
        rollback_causes,
        rollbacks,
        time_to_update,
        version_mix,
    )
    from evesim.analysis.load import AnalysisError, Run, Sweep, load_run, load_sweep
    from evesim.analysis.network import app_flows, dpc_changes, flow_outcomes, network_outages, port_traffic
    from evesim.analysis.plots import (
        plot_app_flows,
        plot_app_states,
        plot_boot_reasons,
        plot_controller_load,
        plot_device_states,
        plot_faults,
        plot_funnel,
        plot_network_outages,
        plot_outcome_distribution,
        plot_port_traffic,
        plot_rollback_causes,
        plot_rollout_progress,
        plot_time_to_update,
        plot_version_mix,
    )
    from evesim.analysis.sweeps import outcome_distribution, outcome_stats, pass_rates

PLOTS = (
    "plot_app_flows", "plot_app_states", "plot_boot_reasons", "plot_controller_load", "plot_device_states",
    "plot_faults", "plot_funnel", "plot_network_outages", "plot_outcome_distribution", "plot_port_traffic",
    "plot_rollback_causes", "plot_rollout_progress", "plot_time_to_update", "plot_version_mix",
)
HOMES = {
    **dict.fromkeys(("campaign_decisions", "rollout_progress"), "campaigns"),
    **dict.fromkeys(("FUNNEL", "app_states", "apps", "boot_reasons", "controller_load", "device_states", "faults",
                     "funnel", "rollback_causes", "rollbacks", "time_to_update", "version_mix"), "fleet"),
    **dict.fromkeys(("AnalysisError", "Run", "Sweep", "load_run", "load_sweep"), "load"),
    **dict.fromkeys(("app_flows", "dpc_changes", "flow_outcomes", "network_outages", "port_traffic"), "network"),
    **dict.fromkeys(("outcome_distribution", "outcome_stats", "pass_rates"), "sweeps"),
    **dict.fromkeys(PLOTS, "plots"),
}
"""Each public name and the module of ``evesim.analysis`` it comes from."""

__all__ = [
    "FUNNEL", "AnalysisError", "Run", "Sweep", "app_flows", "app_states", "apps", "boot_reasons",
    "campaign_decisions", "controller_load", "device_states", "dpc_changes", "faults", "flow_outcomes", "funnel",
    "load_run", "load_sweep", "network_outages", "outcome_distribution", "outcome_stats", "pass_rates",
    "plot_app_flows", "plot_app_states", "plot_boot_reasons", "plot_controller_load", "plot_device_states",
    "plot_faults", "plot_funnel", "plot_network_outages", "plot_outcome_distribution", "plot_port_traffic",
    "plot_rollback_causes", "plot_rollout_progress", "plot_time_to_update", "plot_version_mix", "port_traffic",
    "rollback_causes", "rollbacks", "rollout_progress", "time_to_update", "version_mix",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module when first asked for."""
    home = HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(f"evesim.analysis.{home}")
    except ImportError as exc:
        if home == "plots":
            raise ImportError(f"{name} needs matplotlib: pip install 'evesim[notebooks]' ({exc})") from exc
        raise
    return getattr(module, name)
