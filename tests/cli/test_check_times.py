"""When a run checks its expectations: every tick, exactly at each ``eventually``'s ``by``, and at the end."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from evesim.scenario import loader
from evesim.scenario.run import run as run_scenario
from evesim.scenario.run import stops

DAY = """\
name: day
duration: 1d
power_on_spread: 1m
fleet: [{name: edge, count: 2}]
expectations:
  - {name: onboarded by 5m, eventually: {metric: onboarded, min_fraction: 1.0}, by: 5m}
  - {name: onboarded by 1m, eventually: {metric: onboarded, min_fraction: 1.0}, by: 1m}
"""


def test_eventually_is_checked_exactly_at_by_in_a_long_run() -> None:
    result = run_scenario(loader.loads(DAY))
    by_5m, by_1m = result.judge.outcomes
    assert by_5m.passed is True and by_5m.at == 300.0, by_5m
    assert by_1m.passed is False and "not reached by 60s" in by_1m.detail, by_1m
    sample_times = [s["time"] for s in result.samples]
    assert sample_times[1] == 86400.0 / 200 and sample_times[-1] == 86400.0
    assert 300.0 not in sample_times, "a deadline is a check, not a sample"


@settings(max_examples=200, deadline=None)
@given(
    duration=st.floats(1.0, 1e6),
    ticks=st.integers(1, 300),
    deadlines=st.lists(st.floats(0.0, 2e6), max_size=6),
)
def test_stops_cover_every_tick_every_deadline_and_the_end(duration: float, ticks: int,
                                                           deadlines: list[float]) -> None:
    step = duration / ticks
    times = list(stops(duration, step, deadlines))
    moments = [t for t, _ in times]
    assert moments == sorted(set(moments)), "strictly increasing"
    assert times[-1] == (duration, True)
    assert {d for d in deadlines if d < duration} <= set(moments)
    sampled = [t for t, sample in times if sample]
    assert len(sampled) == ticks
    assert all(abs(t - (k + 1) * step) <= 1e-9 * duration for k, t in enumerate(sampled))
    assert all(t < duration for t, sample in times if not sample)


WORDS = """\
name: words
duration: 10m
power_on_spread: 1m
fleet: [{name: edge, count: 2}]
expectations:
  - {at_end: {metric: onboarded, min: 0}}
  - {at_end: {metric: reboots, max: 100}}
  - {at_end: {metric: events, value: boot, max: 100}}
  - {at_end: {metric: rollout, value: done, min: 0}}
  - {eventually: {metric: reboots, min: 50}, by: 5m}
"""


def test_each_detail_says_what_its_numbers_count() -> None:
    details = [outcome.detail for outcome in run_scenario(loader.loads(WORDS)).judge.outcomes]
    assert details[0] == "2 of 2 devices at 600s"
    assert details[1] == "0 reboots across 2 devices at 600s"
    assert details[2] == "2 boot events from 2 devices at 600s"
    assert details[3] == "0 of 0 campaigns at 600s"
    assert details[4] == "not reached by 300s (at the end: 0 reboots across 2 devices)"
