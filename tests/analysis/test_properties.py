"""Properties of the run analyses over generated event logs and metric series."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evesim import analysis
from evesim.analysis import Run

DEVICES = ["d0", "d1", "d2"]
PARTITIONS = ["IMGA", "IMGB"]
REASONS = ["POWER_FAIL", "FALLBACK", "WATCHDOG_PID", "UPDATE"]


def _run(events: list[dict], metrics: list[dict] | None = None) -> Run:
    frame = pd.DataFrame(
        [{"time": float(i), "device": e["device"], "agent": "x", "kind": e["kind"], "severity": "info",
          "fields": json.dumps(e.get("fields", {}))} for i, e in enumerate(events)],
        columns=["time", "device", "agent", "kind", "severity", "fields"],
    )
    return Run(Path("."), {}, frame, pd.DataFrame(), pd.DataFrame(metrics or [], columns=["time", "series", "value"]))


boots = st.lists(st.fixed_dictionaries({
    "device": st.sampled_from(DEVICES), "kind": st.just("boot"),
    "fields": st.fixed_dictionaries({"partition": st.sampled_from(PARTITIONS), "testing": st.booleans(),
                                     "reason": st.sampled_from(REASONS), "version": st.sampled_from(["1", "2"])}),
}), max_size=40)


@given(boots)
def test_a_rollback_follows_each_unresolved_testing_boot_at_most_once(events):
    run = _run(events)
    backs = analysis.rollbacks(run)
    testing = sum(1 for e in events if e["fields"]["testing"])
    assert len(backs) <= testing
    for device, group in backs.groupby("device"):
        history = [e["fields"] for e in events if e["device"] == device]
        assert len(group) <= sum(1 for a, b in zip(history, history[1:], strict=False) if a["testing"]
                                 and a["partition"] != b["partition"])
    assert analysis.rollback_causes(run).sum() == len(backs)


@given(boots)
def test_no_rollback_without_a_partition_change(events):
    for event in events:
        event["fields"]["partition"] = "IMGA"
    assert analysis.rollbacks(_run(events)).empty


step_kinds = st.sampled_from([(kind, fields) for _, kind, fields in analysis.FUNNEL] + [("led", {})])


@settings(deadline=None)  # seven pandas filters per example: slow on a loaded machine
@given(st.lists(st.tuples(st.sampled_from(DEVICES), step_kinds), max_size=40))
def test_funnel_never_widens_and_counts_devices(steps):
    run = _run([{"device": d, "kind": kind, "fields": fields} for d, (kind, fields) in steps])
    funnel = analysis.funnel(run)
    assert (funnel.diff().dropna() <= 0).all()
    reached = {d for d, (kind, _) in steps if kind != "led"}
    assert funnel.iloc[0] == len(reached)
    committed = {d for d, (kind, _) in steps if kind == "update_committed"}
    assert funnel.iloc[-1] == len(committed)


@given(st.lists(st.tuples(st.floats(1.0, 600.0), st.integers(0, 5000)), min_size=1, max_size=30))
def test_controller_load_integrates_back_to_the_requests(increments):
    time, total, metrics = 0.0, 0, [{"time": 0.0, "series": "controller_requests", "value": 0.0}]
    for dt, requests in increments:
        time, total = time + dt, total + requests
        metrics.append({"time": time, "series": "controller_requests", "value": float(total)})
    load = analysis.controller_load(_run([], metrics))
    intervals = [dt for dt, _ in increments]
    assert (load.to_numpy() * intervals).sum() / 60.0 == pytest.approx(total, abs=1e-6)
    assert (load >= 0).all()


@given(st.lists(st.tuples(st.integers(0, 20), st.sampled_from(["1", "2", "3"]), st.integers(0, 50)), max_size=30))
def test_version_mix_has_a_row_per_sample_and_a_column_per_version(samples):
    metrics = [{"time": float(t), "series": f"version:{v}", "value": float(n)} for t, v, n in samples]
    metrics.append({"time": 25.0, "series": "controller_requests", "value": 0.0})
    mix = analysis.version_mix(_run([], metrics))
    assert list(mix.index) == sorted({float(t) for t, _, _ in samples} | {25.0})
    assert set(mix.columns) == {v for _, v, _ in samples}
    assert mix.to_numpy().sum() == sum(n for _, _, n in samples)
