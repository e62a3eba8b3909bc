"""Rollout campaigns in a run: each batch's start, settling and results, from the campaign's own events."""

from __future__ import annotations

import json

import pandas as pd

from evesim.analysis.fleet import decoded
from evesim.analysis.load import Run

COLUMNS = ("rollout", "version", "batch", "started", "settled", "devices", "updated", "failed", "timed_out",
           "pending", "failure_rate")
RESULTS = ("updated", "failed", "timed_out", "pending")
DECISIONS = ("created", "halted", "resumed", "done")


def rollout_progress(run: Run) -> pd.DataFrame:
    """One row per batch of each campaign: when it started and settled (NaN while in flight), its devices and
    their results, and the campaign's failure rate once it settled."""
    started = decoded(run, "batch_started")
    if started.empty:
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in COLUMNS})
    started = started[["rollout", "version", "batch", "time", "devices"]].rename(columns={"time": "started"})
    settled = decoded(run, "batch_settled")
    if settled.empty:
        settled = pd.DataFrame(columns=["rollout", "batch", "time", *RESULTS, "failure_rate"])
    settled = settled[["rollout", "batch", "time", *RESULTS, "failure_rate"]].rename(columns={"time": "settled"})
    frame = started.merge(settled, on=["rollout", "batch"], how="left")
    for name in RESULTS:
        frame[name] = frame[name].fillna(0).astype("int64")
    frame["batch"] = frame["batch"].astype("int64")
    frame["devices"] = frame["devices"].astype("int64")
    return frame[list(COLUMNS)].sort_values(["rollout", "batch"]).reset_index(drop=True)


def campaign_decisions(run: Run) -> pd.DataFrame:
    """Each campaign's decisions in time order: time, rollout, decision (created, halted, resumed, done), reason."""
    events = run.events[(run.events["agent"] == "rollout")
                        & run.events["kind"].isin(DECISIONS)].sort_values("time", kind="stable")
    rows = [{"time": time, "rollout": fields.get("rollout", ""), "decision": kind, "reason": fields.get("reason", "")}
            for time, kind, fields in zip(events["time"], events["kind"], events["fields"].map(json.loads),
                                          strict=True)]
    return pd.DataFrame(rows, columns=["time", "rollout", "decision", "reason"])
