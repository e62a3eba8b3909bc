"""``evesim report A B``: two runs side by side (verdicts, outcomes, devices that ended differently) and the first
event where their logs part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evesim.analysis.html import figure, page, row, table, text, verdict
from evesim.analysis.load import Run

if TYPE_CHECKING:
    from matplotlib.figure import Figure

EVENT_COLUMNS = ("time", "device", "agent", "kind", "severity", "fields")
CONTEXT = 5
"""Events shown before the first difference."""
CHANGED_ROWS = 200
"""At most this many devices that ended differently are listed."""


@dataclass(frozen=True)
class Divergence:
    """Where two event logs part: the index of the first event that differs (None if they are equal)."""

    index: int | None
    length_a: int
    length_b: int

    @property
    def identical(self) -> bool:
        return self.index is None


def divergence(a: pd.DataFrame, b: pd.DataFrame) -> Divergence:
    """The first event (by position) that differs between two event logs; a log that is a prefix of the other
    parts where the shorter ends."""
    columns = list(EVENT_COLUMNS)
    n = min(len(a), len(b))
    left, right = a[columns].iloc[:n].to_numpy(dtype=object), b[columns].iloc[:n].to_numpy(dtype=object)
    differs = np.flatnonzero((left != right).any(axis=1))
    if differs.size:
        return Divergence(int(differs[0]), len(a), len(b))
    return Divergence(None if len(a) == len(b) else n, len(a), len(b))


def changed_devices(a: Run, b: Run) -> pd.DataFrame:
    """Devices (by name) whose outcome, state or running version differs at the end: device, then each in A and B."""
    keys = ["device", "outcome", "state", "version"]
    both = a.devices[keys].merge(b.devices[keys], on="device", how="outer", suffixes=("_a", "_b"))
    differ = (both["outcome_a"] != both["outcome_b"]) | (both["state_a"] != both["state_b"]) \
        | (both["version_a"] != both["version_b"])
    return both[differ].reset_index(drop=True)


def render(a: Run, b: Run) -> str:
    """The comparison page of runs ``a`` and ``b``."""
    title = f"{_name(a)} vs {_name(b)}"
    body = [f"<h1>{text(title)}</h1>", _sameness(a, b), _verdicts(a, b), "<h2>Outcomes</h2>",
            row(_outcomes(a, b), figure("outcomes", "Devices per update outcome in A and B", _outcome_bars(a, b))),
            _changed(a, b), _divergence(a, b)]
    return page(f"evesim report: {title}", body)


def _name(run: Run) -> str:
    return f"{run.summary['scenario']} (seed {run.summary['seed']})"


def _sameness(a: Run, b: Run) -> str:
    sa, sb = a.summary, b.summary

    def pair(what: str, left: object, right: object) -> tuple[str, str, str]:
        return what, text(left), text(right)

    rows = [
        pair("folder", a.path, b.path),
        pair("scenario", sa["scenario"], sb["scenario"]),
        pair("scenario sha256", sa["scenario_sha256"], sb["scenario_sha256"]),
        pair("seed", sa["seed"], sb["seed"]),
        pair("fixes", ", ".join(sa.get("fixes", [])) or "none", ", ".join(sb.get("fixes", [])) or "none"),
        pair("evesim", sa["evesim_version"], sb["evesim_version"]),
        pair("devices", sa["devices"], sb["devices"]),
        pair("controller requests", sa["controller"]["requests"], sb["controller"]["requests"]),
        pair("events", sa["events"], sb["events"]),
        ("verdict", verdict(sa["passed"]), verdict(sb["passed"])),
    ]
    note = "" if sa["scenario_sha256"] == sb["scenario_sha256"] else (
        '<p class="fail">The two runs are of different scenario files: every difference may come from that.</p>')
    return table(("", "A", "B"), rows, raw=(1, 2), css="meta", caption="Runs") + note


def _verdicts(a: Run, b: Run) -> str:
    ea = {e["name"]: e for e in a.summary["expectations"]}
    eb = {e["name"]: e for e in b.summary["expectations"]}
    rows = []
    for name in dict.fromkeys([*ea, *eb]):
        left, right = ea.get(name), eb.get(name)
        rows.append((text(name), verdict(left["passed"]) if left else "-", text(left["detail"]) if left else "",
                     verdict(right["passed"]) if right else "-", text(right["detail"]) if right else ""))
    return "<h2>Expectations</h2>" + table(("expectation", "A", "A detail", "B", "B detail"), rows,
                                           raw=(0, 1, 2, 3, 4))


def _outcomes(a: Run, b: Run) -> str:
    oa, ob = a.summary["outcomes"], b.summary["outcomes"]
    rows = [(name, oa.get(name, 0), ob.get(name, 0), ob.get(name, 0) - oa.get(name, 0)) for name in dict.fromkeys(
        [*oa, *ob])]
    return table(("outcome", "A", "B", "B - A"), rows)


def _outcome_bars(a: Run, b: Run) -> Figure:
    from evesim.analysis.plots import bars_side_by_side

    names = list(dict.fromkeys([*a.summary["outcomes"], *b.summary["outcomes"]]))
    return bars_side_by_side(names, {"A": [a.summary["outcomes"].get(n, 0) for n in names],
                                     "B": [b.summary["outcomes"].get(n, 0) for n in names]},
                             title="Update outcomes", ylabel="devices")


def _changed(a: Run, b: Run) -> str:
    changed = changed_devices(a, b)
    if changed.empty:
        return "<h2>Devices that ended differently</h2><p class=\"muted\">None: every device ended alike.</p>"
    more = f" (the first {CHANGED_ROWS} of {len(changed)})" if len(changed) > CHANGED_ROWS else f" ({len(changed)})"
    rows = changed.head(CHANGED_ROWS).itertuples(index=False)
    return (f"<h2>Devices that ended differently{text(more)}</h2>"
            + table(("device", "outcome A", "state A", "version A", "outcome B", "state B", "version B"),
                    (_order(row) for row in rows)))


def _order(row: Any) -> tuple[Any, ...]:
    return (row.device, row.outcome_a, row.state_a, row.version_a, row.outcome_b, row.state_b, row.version_b)


def _divergence(a: Run, b: Run) -> str:
    found = divergence(a.events, b.events)
    head = '<h2 id="divergence">First divergence</h2>'
    if found.identical:
        return head + f"<p>The event logs are identical ({found.length_a} events).</p>"
    index = found.index
    assert index is not None
    start = max(index - CONTEXT, 0)
    parts = [head, f"<p>The logs agree on their first {index} events and part at event {index} "
                   f"(A has {found.length_a} events, B {found.length_b}).</p>"]
    for label, run in (("A", a), ("B", b)):
        rows = run.events[list(EVENT_COLUMNS)].iloc[start:index + 1]
        marks = ["diverge" if position == index else "" for position in range(start, start + len(rows))]
        shown = [[position, *row] for position, row in zip(range(start, index + 1), rows.itertuples(index=False),
                                                           strict=False)]
        parts.append(table(("#", *EVENT_COLUMNS), shown, caption=f"{label}: {_name(run)}", row_css=marks))
    return "\n".join(parts)
