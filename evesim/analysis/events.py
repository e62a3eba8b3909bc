"""Choosing events from a run's log: by device, kind, agent, least severity and simulated time."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

SEVERITY_ORDER = ("info", "warning", "error")


def select(events: pd.DataFrame, *, devices: Sequence[str] | None = None, kinds: Sequence[str] | None = None,
           agents: Sequence[str] | None = None, severity: str | None = None, since: float | None = None,
           until: float | None = None, limit: int | None = None) -> pd.DataFrame:
    """The events matching every filter given, in time order (ties in log order); the first ``limit`` of them."""
    keep = pd.Series(True, index=events.index)
    for column, wanted in (("device", devices), ("kind", kinds), ("agent", agents)):
        if wanted:
            keep &= events[column].isin(list(wanted))
    if severity is not None:
        keep &= events["severity"].isin(SEVERITY_ORDER[SEVERITY_ORDER.index(severity):])
    if since is not None:
        keep &= events["time"] >= since
    if until is not None:
        keep &= events["time"] <= until
    chosen = events[keep].sort_values("time", kind="stable")
    return (chosen.head(limit) if limit is not None else chosen).reset_index(drop=True)
