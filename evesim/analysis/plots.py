"""Matplotlib figures for the analyses (Agg canvas: no display needed); each returns its Figure."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evesim.analysis import fleet, sweeps
from evesim.analysis.load import Run, Sweep

HOUR = 3600.0


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 3.5)) -> Axes:
    """``ax``, or the axes of a new Agg-backed figure."""
    if ax is not None:
        return ax
    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)
    return figure.add_subplot()


def _figure(ax: Axes) -> Figure:
    """The figure ``ax`` is drawn on (the root one if ``ax`` is in a subfigure)."""
    figure = ax.get_figure(root=True)
    assert figure is not None
    return figure


def _empty(ax: Axes, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in this run", ha="center", va="center", transform=ax.transAxes)


def plot_version_mix(run: Run, ax: Axes | None = None) -> Figure:
    """Stacked areas: devices running each EVE version over simulated time."""
    ax = _axes(ax)
    mix = fleet.version_mix(run)
    if mix.empty:
        _empty(ax, "version samples")
    else:
        ax.stackplot(mix.index / HOUR, mix.T.to_numpy(), labels=list(mix.columns))
        ax.legend(title="version", loc="center right")
    ax.set(title="Version mix", xlabel="simulated time (h)", ylabel="devices")
    return _figure(ax)


def plot_app_states(run: Run, app: str, ax: Axes | None = None) -> Figure:
    """Stacked areas: running devices per state of one app over simulated time."""
    ax = _axes(ax)
    states = fleet.app_states(run, app)
    if states.empty or not len(states.columns):
        _empty(ax, f"samples of app {app!r}")
    else:
        ax.stackplot(states.index / HOUR, states.T.to_numpy(), labels=list(states.columns))
        ax.legend(title="state", loc="center right")
    ax.set(title=f"App {app}", xlabel="simulated time (h)", ylabel="devices")
    return _figure(ax)


def plot_funnel(run: Run, ax: Axes | None = None) -> Figure:
    """Horizontal bars: devices that got at least as far as each rollout step."""
    ax = _axes(ax)
    steps = fleet.funnel(run)
    bars = ax.barh(list(steps.index)[::-1], steps.to_numpy()[::-1])
    ax.bar_label(bars, padding=2)
    ax.margins(x=0.12)
    ax.set(title="Rollout funnel", xlabel="devices")
    return _figure(ax)


def plot_time_to_update(run: Run, ax: Axes | None = None) -> Figure:
    """Histogram: minutes from a device's first download to its commit."""
    ax = _axes(ax)
    times = fleet.time_to_update(run)
    if times.empty:
        _empty(ax, "committed updates")
    else:
        ax.hist(times["seconds"] / 60.0, bins=min(30, max(5, len(times) // 5)))
        ax.axvline(times["seconds"].median() / 60.0, color="black", linestyle="--", label="median")
        ax.legend()
    ax.set(title="Time to update", xlabel="minutes from first download to commit", ylabel="devices")
    return _figure(ax)


def plot_rollback_causes(run: Run, ax: Axes | None = None) -> Figure:
    """Bars: rollbacks per cause (the reason of the boot that left the tested partition)."""
    ax = _axes(ax)
    causes = fleet.rollback_causes(run)
    if causes.empty:
        _empty(ax, "rollbacks")
    else:
        ax.bar_label(ax.bar(list(causes.index), causes.to_numpy()))
    ax.set(title="Rollback causes", ylabel="rollbacks")
    return _figure(ax)


def plot_controller_load(run: Run, ax: Axes | None = None) -> Figure:
    """Line: controller requests per minute over simulated time."""
    ax = _axes(ax)
    load = fleet.controller_load(run)
    ax.plot(load.index / HOUR, load.to_numpy(), drawstyle="steps-pre")
    ax.set(title="Controller load", xlabel="simulated time (h)", ylabel="requests / min")
    return _figure(ax)


def plot_outcome_distribution(sweep: Sweep, ax: Axes | None = None) -> Figure:
    """Box plot with every replica as a dot: devices per outcome across the sweep's seeds."""
    ax = _axes(ax)
    long = sweeps.outcome_distribution(sweep)
    if long.empty:
        _empty(ax, "completed replicas")
    else:
        names = list(dict.fromkeys(long["outcome"]))
        values = [long.loc[long["outcome"] == name, "devices"].to_numpy() for name in names]
        ax.boxplot(values, tick_labels=names, showfliers=False)
        jitter = np.random.default_rng(0)
        for position, column in enumerate(values, start=1):
            ax.plot(position + jitter.uniform(-0.15, 0.15, len(column)), column, ".", alpha=0.5, color="tab:blue")
    ax.set(title=f"Outcomes across {len(sweeps.completed(sweep))} replicas", ylabel="devices")
    return _figure(ax)
