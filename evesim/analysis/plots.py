"""Matplotlib figures for the analyses (Agg canvas: no display needed); each returns its Figure."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evesim.analysis import campaigns, fleet, network, sweeps
from evesim.analysis.load import Run, Sweep

HOUR = 3600.0
STATE_ORDER = ("running", "booting", "off", "bricked")
STATE_COLORS = {"running": "tab:green", "booting": "tab:orange", "off": "tab:gray", "bricked": "tab:red"}


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


def plot_device_states(run: Run, ax: Axes | None = None) -> Figure:
    """Stacked areas: devices off, booting, running and bricked over simulated time."""
    ax = _axes(ax)
    states = fleet.device_states(run)
    if states.empty or not len(states.columns):
        _empty(ax, "device state samples")
    else:
        ordered = [name for name in STATE_ORDER if name in states.columns]
        ax.stackplot(states.index / HOUR, states[ordered].T.to_numpy(), labels=ordered,
                     colors=[STATE_COLORS[name] for name in ordered])
        ax.legend(title="state", loc="center right")
    ax.set(title="Devices by state", xlabel="simulated time (h)", ylabel="devices")
    return _figure(ax)


def plot_rollout_progress(run: Run, ax: Axes | None = None) -> Figure:
    """Steps: devices updated and failed (timed out included) as each campaign's batches settle; dashed lines
    where a batch starts."""
    ax = _axes(ax)
    progress = campaigns.rollout_progress(run)
    if progress.empty:
        _empty(ax, "rollout campaigns")
    for rollout, batches in progress.groupby("rollout", sort=True):
        settled = batches.dropna(subset=["settled"])
        hours = np.concatenate([[batches["started"].min()], settled["settled"].to_numpy()]) / HOUR
        updated = np.concatenate([[0], settled["updated"].cumsum().to_numpy()])
        failed = np.concatenate([[0], (settled["failed"] + settled["timed_out"]).cumsum().to_numpy()])
        line = ax.step(hours, updated, where="post", label=f"{rollout} updated")[0]
        ax.step(hours, failed, where="post", linestyle=":", color=line.get_color(), label=f"{rollout} failed")
        for start in batches["started"] / HOUR:
            ax.axvline(start, color=line.get_color(), alpha=0.25, linestyle="--")
    decisions = campaigns.campaign_decisions(run)
    halts = decisions[decisions["decision"] == "halted"]
    for time, rollout in zip(halts["time"].to_numpy(dtype=float), halts["rollout"], strict=True):
        ax.axvline(time / HOUR, color="tab:red", label=f"{rollout} halted")
    if not progress.empty:
        ax.legend(loc="upper left")
    ax.set(title="Rollout progress", xlabel="simulated time (h)", ylabel="devices (settled batches)")
    return _figure(ax)


def plot_faults(run: Run, ax: Axes | None = None) -> Figure:
    """Dots: each fault event over simulated time, one row per kind."""
    ax = _axes(ax)
    events = fleet.faults(run)
    if events.empty:
        _empty(ax, "faults")
    else:
        kinds = sorted(events["kind"].unique())
        rows = events["kind"].map({kind: index for index, kind in enumerate(kinds)})
        ax.plot(events["time"] / HOUR, rows, "|", markersize=12)
        ax.set_yticks(range(len(kinds)), kinds)
        ax.set_ylim(-0.5, len(kinds) - 0.5)
    ax.set(title="Faults", xlabel="simulated time (h)")
    return _figure(ax)


def plot_network_outages(run: Run, ax: Axes | None = None) -> Figure:
    """Lines: each span a device spent without a working DPC, one row per device that had one."""
    ax = _axes(ax)
    outages = network.network_outages(run)
    if outages.empty:
        _empty(ax, "network outages")
    else:
        devices = sorted(outages["device"].unique())
        rows = outages["device"].map({device: index for index, device in enumerate(devices)})
        ax.hlines(rows, outages["start"] / HOUR, outages["end"] / HOUR, linewidth=4)
        ax.set_ylim(-0.5, len(devices) - 0.5)
        ax.set_ylabel(f"{len(devices)} devices")
        ax.set_yticks([])
    ax.set(title="Without a working port configuration", xlabel="simulated time (h)")
    return _figure(ax)


def plot_port_traffic(run: Run, ax: Axes | None = None) -> Figure:
    """Lines: Mbit/s the fleet's ports of each name carried over simulated time."""
    ax = _axes(ax)
    traffic = network.port_traffic(run)
    if traffic.empty:
        _empty(ax, "port traffic")
    else:
        for port in traffic.columns:
            ax.plot(traffic.index / HOUR, traffic[port], label=port)
        ax.legend()
    ax.set(title="Traffic per port", xlabel="simulated time (h)", ylabel="Mbit/s")
    return _figure(ax)


def plot_app_flows(run: Run, ax: Axes | None = None) -> Figure:
    """Stacked bars: connections each app opened, by outcome (delivered, dropped by rules, no route ...)."""
    ax = _axes(ax)
    outcomes = network.flow_outcomes(run)
    if outcomes.empty:
        _empty(ax, "app connections")
    else:
        bottom = [0] * len(outcomes.index)
        for outcome in outcomes.columns:
            counts = outcomes[outcome].tolist()
            ax.bar(list(outcomes.index), counts, bottom=bottom, label=outcome)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        ax.legend()
    ax.set(title="App connections by outcome", ylabel="connections")
    return _figure(ax)


def plot_boot_reasons(run: Run, ax: Axes | None = None) -> Figure:
    """Bars: boots per reason EVE gave."""
    ax = _axes(ax)
    reasons = fleet.boot_reasons(run)
    if reasons.empty:
        _empty(ax, "boots")
    else:
        ax.bar_label(ax.bar(list(reasons.index), reasons.to_numpy()))
        ax.tick_params(axis="x", labelrotation=20)
    ax.set(title="Boot reasons", ylabel="boots")
    return _figure(ax)


def bars_side_by_side(names: list[str], series: dict[str, list[int]], *, title: str, ylabel: str) -> Figure:
    """Grouped bars: one group per name, one bar per series (labelled with its value)."""
    ax = _axes(None)
    width = 0.8 / max(len(series), 1)
    positions = np.arange(len(names))
    for index, (label, values) in enumerate(series.items()):
        ax.bar_label(ax.bar(positions + index * width, values, width, label=label), padding=2)
    ax.set_xticks(positions + width * (len(series) - 1) / 2, names)
    ax.legend()
    ax.set(title=title, ylabel=ylabel)
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
