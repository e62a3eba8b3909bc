"""The network in a run: each change of a device's applied port configuration (nim's DPC), the spans a device
spent without a working one (a test under way, a fallback, a bad configuration tried again), and the traffic each
kind of port carried, and the connections apps opened to each other."""

from __future__ import annotations

import pandas as pd

from evesim.analysis.fleet import PORT_PREFIX, _wide, decoded
from evesim.analysis.load import Run

WORKING = ("SUCCESS", "REMOTE_WAIT")
"""DPC states in which the device reaches (or may reach) its controller."""
CHANGE_COLUMNS = ["time", "device", "state", "index", "key", "error"]
OUTAGE_COLUMNS = ["device", "start", "end", "seconds", "state", "error"]
FLOW_COLUMNS = ["time", "device", "app", "to", "peer", "port", "outcome"]


def dpc_changes(run: Run) -> pd.DataFrame:
    """Every ``dpc`` event: time, device, the applied DPC's state, its index in the list, its key and error."""
    changes = decoded(run, "dpc")
    if changes.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    return changes.reindex(columns=CHANGE_COLUMNS).reset_index(drop=True)


def network_outages(run: Run) -> pd.DataFrame:
    """Spans without a working DPC, one row each: device, start, end (the run's end if it never came back), seconds,
    the state that began it and its error; a device's wait for its first connection of the run is not counted."""
    rows = []
    end_of_run = float(run.summary.get("duration_s", 0.0))
    for device, changes in dpc_changes(run).groupby("device", sort=True):
        start: tuple[float, str, str] | None = None
        seen_working = False
        for time, state, error in zip(changes["time"].astype(float), changes["state"].astype(str),
                                      changes["error"].astype(str), strict=True):
            working = state in WORKING
            if working and start is not None:
                rows.append((device, start[0], time, time - start[0], start[1], start[2]))
                start = None
            elif not working and start is None and seen_working:
                start = (time, state, error)
            seen_working = seen_working or working
        if start is not None:
            rows.append((device, start[0], end_of_run, end_of_run - start[0], start[1], start[2]))
    return pd.DataFrame(rows, columns=OUTAGE_COLUMNS)


def port_traffic(run: Run) -> pd.DataFrame:
    """Mbit/s the fleet's ports of each name (``eth0``, ``wwan0``, ...) carried between consecutive samples, both
    ways, controller exchanges and downloads: index ``time`` (the end of each interval), one column per port."""
    carried = _wide(run, PORT_PREFIX, "port")
    seconds = carried.index.to_series().diff()
    rate = carried.diff().div(seconds, axis=0) * 8 / 1e6
    return rate.iloc[1:].rename_axis(columns="port")


def app_flows(run: Run) -> pd.DataFrame:
    """Every connection an app opened (``app_flow``): time, device, app, the app it went ``to``, the ``peer`` device
    that answered, port and outcome (``delivered``, ``dropped_out``, ``dropped_in``, ``no_route`` ...)."""
    flows = decoded(run, "app_flow")
    if flows.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    return flows.reindex(columns=FLOW_COLUMNS).reset_index(drop=True)


def flow_outcomes(run: Run) -> pd.DataFrame:
    """Connections per app and outcome: index ``app``, one column per outcome."""
    flows = app_flows(run)
    if flows.empty:
        return pd.DataFrame(index=pd.Index([], name="app"))
    return flows.groupby(["app", "outcome"]).size().unstack(fill_value=0).rename_axis(columns="outcome")
