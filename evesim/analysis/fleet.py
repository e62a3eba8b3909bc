"""What happened to a fleet during one run: version mix, rollout funnel, time to update,
rollbacks and controller load, computed from a run's frames."""

from __future__ import annotations

import json
from typing import Any, Literal

import pandas as pd

from evesim.analysis.load import Run
from evesim.api.vocab import FAULT_KINDS, EventKind

VERSION_PREFIX = "version:"
APP_PREFIX = "app:"
STATE_PREFIX = "state:"
PORT_PREFIX = "port:"
FUNNEL: tuple[tuple[str, EventKind, dict[str, Any]], ...] = (
    ("download started", "download_started", {}),
    ("downloaded", "download_done", {}),
    ("written", "update_ready", {}),
    ("rebooting", "reboot_requested", {"reason": "UPDATE"}),
    ("testing", "boot", {"testing": True}),
    ("test passed", "test_complete", {}),
    ("committed", "update_committed", {}),
)
"""The rollout steps: label, event kind, and the field values the event must carry."""


def decoded(run: Run, kind: EventKind) -> pd.DataFrame:
    """The events of one kind, sorted by time, with their JSON fields as columns."""
    events = run.events[run.events["kind"] == kind].sort_values("time", kind="stable")
    fields = pd.DataFrame([json.loads(text) for text in events["fields"]], index=events.index)
    return pd.concat([events[["time", "device"]], fields], axis=1)


def _matching(frame: pd.DataFrame, fields: dict[str, Any]) -> pd.DataFrame:
    for name, value in fields.items():
        frame = frame[frame[name] == value] if name in frame else frame.iloc[0:0]
    return frame


def version_mix(run: Run) -> pd.DataFrame:
    """Devices running each EVE version over time: one row per sample time, one column per version."""
    return _wide(run, VERSION_PREFIX, "version")


def _wide(run: Run, prefix: str, column: Literal["version", "state", "port"]) -> pd.DataFrame:
    """The ``<prefix><name>`` metric series as one column per name (``column``), one row per sample time."""
    metrics = run.metrics[run.metrics["series"].str.startswith(prefix)]
    wide = metrics.assign(**{column: metrics["series"].str.removeprefix(prefix)}).pivot_table(
        index="time", columns=column, values="value", aggfunc="sum", fill_value=0.0)
    times = pd.Index(sorted(run.metrics["time"].unique()), name="time")
    wide = wide.reindex(times, fill_value=0.0).astype("int64")
    wide.columns = pd.Index([str(c) for c in wide.columns], name=column)
    return wide


def device_states(run: Run) -> pd.DataFrame:
    """Devices per state (off, booting, running, bricked) over time: one row per sample, one column per state."""
    return _wide(run, STATE_PREFIX, "state")


def faults(run: Run) -> pd.DataFrame:
    """Every fault event (``FAULT_KINDS``; links only going down, network faults only beginning): time, device,
    kind, fields as JSON text."""
    events = run.events[run.events["kind"].isin(FAULT_KINDS)]
    fields = events["fields"]
    down = ((events["kind"].ne("link") | fields.str.contains('"up":false', regex=False))
            & (events["kind"].ne("network_fault") | fields.str.contains('"on":true', regex=False)))
    return events.loc[down, ["time", "device", "kind", "fields"]].sort_values("time", kind="stable") \
        .reset_index(drop=True)


def boot_reasons(run: Run) -> pd.Series:
    """Boots per reason EVE gave (``FIRST``, ``UPDATE``, ``POWER_FAIL``, ...), most frequent first."""
    boots = decoded(run, "boot")
    reasons = boots["reason"].value_counts() if "reason" in boots else pd.Series(dtype="int64")
    reasons.index.name = "reason"
    return reasons.rename("boots").astype("int64")


def apps(run: Run) -> list[str]:
    """The apps whose states the run sampled (``app:<name>:<state>`` series), sorted."""
    series = run.metrics["series"]
    names = series[series.str.startswith(APP_PREFIX)].str.removeprefix(APP_PREFIX).str.rsplit(":", n=1).str[0]
    return sorted(set(names))


def app_states(run: Run, app: str) -> pd.DataFrame:
    """Running devices per state of their instance of ``app`` over time: one row per sample, one column per state."""
    return _wide(run, f"{APP_PREFIX}{app}:", "state")


def furthest_step(run: Run) -> pd.Series:
    """Per device that started an update, the index in ``FUNNEL`` of the furthest step it reached."""
    reached = []
    for index, (_, kind, fields) in enumerate(FUNNEL):
        devices = _matching(decoded(run, kind), fields)["device"]
        reached.append(pd.Series(index, index=pd.Index(devices.unique(), name="device")))
    return pd.concat(reached).groupby(level="device").max().astype("int64").sort_index()


def funnel(run: Run) -> pd.Series:
    """Devices that got at least as far as each rollout step (so the funnel never widens)."""
    furthest = furthest_step(run)
    counts = [int((furthest >= index).sum()) for index in range(len(FUNNEL))]
    return pd.Series(counts, index=pd.Index([label for label, _, _ in FUNNEL], name="step"), name="devices")


def time_to_update(run: Run) -> pd.DataFrame:
    """Per committed device: first ``download_started``, first ``update_committed`` after it, seconds between."""
    started = decoded(run, "download_started").groupby("device", as_index=False).agg(started=("time", "min"))
    commits = decoded(run, "update_committed")[["device", "time"]].merge(started, on="device")
    after = commits[commits["time"] >= commits["started"]]
    frame = started.merge(after.groupby("device", as_index=False).agg(committed=("time", "min")), on="device")
    frame["seconds"] = frame["committed"] - frame["started"]
    return frame.sort_values("device").reset_index(drop=True)


def rollbacks(run: Run) -> pd.DataFrame:
    """Boots into the other partition after a testing boot: device, time, tested partition and version, cause.

    The cause is the new boot's reason (POWER_FAIL is a power cut during the test window).
    """
    boots = decoded(run, "boot")
    rows = []
    for device, history in boots.groupby("device", sort=True):
        tested: Any = None
        for boot in history.itertuples(index=False):
            if tested is not None and boot.partition != tested.partition:
                rows.append({"device": device, "time": boot.time, "partition": tested.partition,
                             "version": tested.version, "cause": boot.reason})
            tested = boot if boot.testing else None
    return pd.DataFrame(rows, columns=["device", "time", "partition", "version", "cause"])


def rollback_causes(run: Run) -> pd.Series:
    """Rollbacks per cause, most frequent first."""
    causes = rollbacks(run)["cause"].value_counts()
    causes.index.name = "cause"
    return causes.rename("rollbacks")


def controller_load(run: Run) -> pd.Series:
    """Controller requests per minute between consecutive samples, indexed by the sample ending each interval."""
    series = run.metrics[run.metrics["series"] == "controller_requests"].sort_values("time")
    times, counts = series["time"].to_numpy(), series["value"].to_numpy()
    rate = (counts[1:] - counts[:-1]) / (times[1:] - times[:-1]) * 60.0
    return pd.Series(rate, index=pd.Index(times[1:], name="time"), name="requests_per_min")
