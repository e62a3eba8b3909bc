"""The ``rollout`` timeline action and the ``events`` / ``rollout`` expectation metrics, in a small world."""

from __future__ import annotations

import json

import pytest

from evesim.scenario import loader
from evesim.scenario.run import RunResult, run
from evesim.sim import campaigns

BASE = """
name: tiny-rollout
seed: 4
duration: 75m
power_on_spread: 2m
fleet:
  - {name: edge, count: 6, version: 14.5.1}
images:
  - {version: 14.6.0, size: 100MB}
  - {version: 14.7.0, size: 100MB, defects: [crash_at_boot]}
timeline:
  - {at: 5m, action: rollout, version: 14.6.0, batch_size: [1, 2, 3], wait: 2m, deadline: 30m}
expectations:
  - {name: done, at_end: {metric: rollout, value: done, min: 1}}
  - {name: three batches, at_end: {metric: events, value: batch_started, min: 3, max: 3}}
  - {name: all updated, at_end: {metric: version, value: 14.6.0, min_fraction: 1.0}}
  - {name: edge-00000 first, at_end: {metric: events, value: download_started, target: 'device:edge-00000',
                                      fields: {version: 14.6.0}, min: 1, max: 1}}
"""


@pytest.fixture(scope="module")
def result() -> RunResult:
    return run(loader.loads(BASE, "tiny.yaml"))


def rollout_events(result: RunResult) -> list[tuple[float, str, dict]]:
    return [(e.time, e.kind, e.data()) for e in result.world.log if e.agent == campaigns.AGENT]


def test_the_campaign_runs_in_simulated_time_and_logs_its_steps(result: RunResult) -> None:
    assert result.passed, result.summary()["expectations"]
    events = rollout_events(result)
    assert [k for _, k, _ in events] == ["created"] + ["batch_started", "batch_settled"] * 3 + ["done"]
    assert all(e.device == "world" for e in result.world.log if e.agent == campaigns.AGENT)
    assert events[0][0] == 300.0 and events[0][2]["not_onboarded"] == 0 and events[0][2]["rollout"] == "r1"
    settled = [(t, f) for t, k, f in events if k == "batch_settled"]
    started = [t for t, k, _ in events if k == "batch_started"]
    assert [(f["updated"], f["failed"], f["timed_out"], f["pending"]) for _, f in settled] == [
        (1, 0, 0, 0), (2, 0, 0, 0), (3, 0, 0, 0)]
    for (settled_at, _), next_start in zip(settled, started[1:], strict=False):
        assert next_start >= settled_at + 120.0
        assert (next_start - events[0][0]) % campaigns.TICK_S == 0.0


def test_the_campaign_order_is_the_fleet_order(result: RunResult) -> None:
    campaign = result.world.core.rollouts.get("r1")
    by_uuid = {d.uuid: d for d in result.world.devices}
    order = [by_uuid[d.uuid].name for b in campaign.batches for d in b.devices]
    assert order == [d.name for d in result.world.devices]
    for batch in campaign.batches:
        for device in batch.devices:
            assert device.result == "updated" and by_uuid[device.uuid].running_image.version == "14.6.0"


def test_a_crashing_image_halts_after_the_canary() -> None:
    text = BASE.replace("version: 14.6.0, batch_size", "version: 14.7.0, batch_size")
    halted = run(loader.loads(text, "tiny.yaml"))
    kinds = [k for _, k, _ in rollout_events(halted)]
    assert kinds == ["created", "batch_started", "batch_settled", "halted"]
    assert halted.world.core.rollouts.get("r1").counts()["failed"] == 1
    verdicts = {o.name: o.passed for o in halted.judge.outcomes}
    assert verdicts == {"done": False, "three batches": False, "all updated": False, "edge-00000 first": False}


def test_devices_not_onboarded_yet_are_left_out_and_none_means_refused() -> None:
    early = BASE.replace("power_on_spread: 2m", "power_on_spread: 20m").replace("at: 5m", "at: 12m")
    partial = run(loader.loads(early, "tiny.yaml", {"duration": 800}))
    created = rollout_events(partial)[0][2]
    assert 0 < created["not_onboarded"] < 6 and created["devices"] == 6 - created["not_onboarded"]
    refused = run(loader.loads(BASE, "tiny.yaml", {"timeline.0.at": 0, "duration": 60}))
    [(_, kind, fields)] = rollout_events(refused)
    assert kind == "refused" and "at least one device" in fields["error"]


def test_runs_repeat_byte_for_byte(result: RunResult) -> None:
    again = run(loader.loads(BASE, "tiny.yaml"))
    assert again.world.log.digest() == result.world.log.digest()
    assert json.dumps(again.world.core.rollouts.get("r1").status()) == json.dumps(
        result.world.core.rollouts.get("r1").status())


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"timeline.0.batch_fraction": 0.5}, "exactly one of 'batch_size' and 'batch_fraction'"),
        ({"timeline.0.batch_size": None}, "exactly one of 'batch_size' and 'batch_fraction'"),
        ({"timeline.0.batch_size": []}, "must not be empty"),
        ({"timeline.0.batch_size": [0]}, "greater than or equal to 1"),
        ({"timeline.0.halt_failure_rate": 1.5}, "less than or equal to 1"),
        ({"timeline.0.deadline": 0}, "greater than 0"),
        ({"timeline.0.version": "9.9.9"}, "rollout to '9.9.9': no such image"),
        ({"timeline.0.batch_sise": 3}, "did you mean 'batch_size'"),
        ({"expectations.0.at_end.value": "stuck"}, "one of running, waiting, halted, done"),
        ({"expectations.0.at_end.target": "group:edge"}, "takes no 'target'"),
        ({"expectations.2.at_end.fields": {"a": 1}}, "'fields' only applies to metric 'events'"),
        ({"expectations.1.at_end.value": None}, "metric 'events' needs a 'value'"),
    ],
)
def test_bad_rollouts_and_checks_name_the_problem(override: dict[str, object], fragment: str) -> None:
    with pytest.raises(loader.ScenarioError) as caught:
        loader.loads(BASE, "tiny.yaml", override)
    assert fragment in str(caught.value)
