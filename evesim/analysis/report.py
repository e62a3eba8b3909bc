"""``evesim report RUN_DIR``: one self-contained HTML page for a run (verdicts, outcomes, campaigns, plots, and
the event timeline of the first device that did worst)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from evesim.analysis import campaigns, fleet
from evesim.analysis.html import figure, page, row, table, text, verdict
from evesim.analysis.load import Run

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WORST_FIRST = ("bricked", "failed", "rolled_back", "pending")
"""Outcomes that count as a device failing, worst first."""
TIMELINE_ROWS = 400
"""At most this many events of the failing device are shown (the first ones)."""
EVENT_COLUMNS = ("time", "agent", "kind", "severity", "fields")


def plots(run: Run) -> list[tuple[str, str, Callable[[], Figure]]]:
    """Each plot of a run report: its id, caption and how to draw it (an app-state plot per app)."""
    from evesim.analysis import plots as drawn

    shown: list[tuple[str, str, Callable[[], Figure]]] = [
        ("device-states", "Devices by state over time", lambda: drawn.plot_device_states(run)),
        ("version-mix", "EVE versions running over time", lambda: drawn.plot_version_mix(run)),
        ("rollout-progress", "Rollout progress per campaign", lambda: drawn.plot_rollout_progress(run)),
        ("time-to-update", "Time from first download to commit", lambda: drawn.plot_time_to_update(run)),
        ("faults", "Faults over time", lambda: drawn.plot_faults(run)),
        ("network-outages", "Devices without a working port configuration",
         lambda: drawn.plot_network_outages(run)),
        ("port-traffic", "Traffic per port", lambda: drawn.plot_port_traffic(run)),
        ("boot-reasons", "Boots per reason", lambda: drawn.plot_boot_reasons(run)),
        ("funnel", "How far devices got in the update", lambda: drawn.plot_funnel(run)),
        ("rollback-causes", "Rollbacks per cause", lambda: drawn.plot_rollback_causes(run)),
        ("controller-load", "Controller requests per minute", lambda: drawn.plot_controller_load(run)),
    ]
    for app in fleet.apps(run):
        shown.append((f"app-{app}", f"States of app {app}", partial(drawn.plot_app_states, run, app)))
    if run.summary.get("event_counts", {}).get("app_flow"):
        shown.append(("app-flows", "App connections by outcome", lambda: drawn.plot_app_flows(run)))
    return shown


def first_failing_device(run: Run) -> tuple[str, str] | None:
    """The first device (in fleet order) with the worst outcome of ``WORST_FIRST``, and that outcome."""
    devices = run.devices
    for outcome in WORST_FIRST:
        hit = devices[devices["outcome"] == outcome]
        if not hit.empty:
            return str(hit["device"].iloc[0]), outcome
    return None


def render(run: Run) -> str:
    """The report page of ``run``."""
    summary = run.summary
    title = f"{summary['scenario']} (seed {summary['seed']})"
    body = [f"<h1>{text(title)}</h1>", _overview(summary), _expectations(summary), _outcomes(summary),
            _campaigns(run), "<h2>Plots</h2>",
            *(figure(name, caption, draw()) for name, caption, draw in plots(run)),
            _timeline(run)]
    return page(f"evesim report: {title}", body)


def _overview(summary: dict[str, Any]) -> str:
    rows = [
        ("verdict", verdict(summary["passed"])),
        ("scenario file", text(summary["file"])),
        ("scenario sha256", f"<code>{text(summary['scenario_sha256'])}</code>"),
        ("seed", text(summary["seed"])),
        ("fixes", text(", ".join(summary.get("fixes", [])) or "none (EVE's behaviour)")),
        ("evesim", text(summary["evesim_version"])),
        ("simulated", text(f"{summary['duration_s']:g} s")),
        ("wall time", text(f"{summary['wall_s']:g} s")),
        ("devices", text(f"{summary['devices']} ({summary['onboarded']} onboarded, {summary['bricked']} bricked)")),
        ("controller requests", text(summary["controller"]["requests"])),
        ("events", text(summary["events"])),
        ("event log sha256", f"<code>{text(summary['event_log_sha256'])}</code>"),
    ]
    return table(("what", "value"), rows, raw=(1,), css="meta", caption="Run")


def _expectations(summary: dict[str, Any]) -> str:
    rows = [(verdict(e["passed"]), text(e["name"]), text(e["kind"]), text(e["detail"]))
            for e in summary["expectations"]]
    if not rows:
        return "<h2>Expectations</h2><p class=\"muted\">The scenario states none.</p>"
    return "<h2>Expectations</h2>" + table(("verdict", "expectation", "kind", "detail"), rows, raw=(0, 1, 2, 3))


def _outcomes(summary: dict[str, Any]) -> str:
    outcomes = table(("outcome", "devices"), summary["outcomes"].items(), caption="Update outcomes")
    states = table(("state", "devices"), summary["states"].items(), caption="Device states at the end")
    versions = table(("version", "devices"), ((v or "-", n) for v, n in summary["versions"].items()),
                     caption="Versions running at the end")
    return "<h2>Outcomes</h2>" + row(outcomes, states, versions)


def _campaigns(run: Run) -> str:
    progress = campaigns.rollout_progress(run)
    decisions = campaigns.campaign_decisions(run)
    if progress.empty and decisions.empty:
        return "<h2>Rollout campaigns</h2><p class=\"muted\">No campaign ran.</p>"
    columns = list(campaigns.COLUMNS)
    batches = table(columns, (_plain(row) for row in progress[columns].itertuples(index=False)), caption="Batches")
    made = table(("time", "rollout", "decision", "reason"),
                 (_plain(row) for row in decisions.itertuples(index=False)), caption="Decisions")
    return "<h2>Rollout campaigns</h2>" + batches + made


def _timeline(run: Run) -> str:
    failing = first_failing_device(run)
    if failing is None:
        return "<h2 id=\"first-failing-device\">First failing device</h2><p class=\"muted\">No device failed.</p>"
    device, outcome = failing
    events = run.events[run.events["device"] == device].sort_values("time", kind="stable")
    shown = events.head(TIMELINE_ROWS)
    more = f" (the first {TIMELINE_ROWS} of {len(events)})" if len(events) > TIMELINE_ROWS else ""
    rows = (_plain(row) for row in shown[list(EVENT_COLUMNS)].itertuples(index=False))
    return (f'<h2 id="first-failing-device">First failing device: {text(device)} ({text(outcome)})</h2>'
            f"<p>Its events{text(more)}:</p>" + table(EVENT_COLUMNS, rows))


def _plain(row: tuple[Any, ...]) -> list[Any]:
    """A frame row with numpy scalars as Python values and NaN as None."""
    values = []
    for value in row:
        if hasattr(value, "item"):
            value = value.item()
        values.append(None if isinstance(value, float) and pd.isna(value) else value)
    return values
