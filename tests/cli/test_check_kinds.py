"""Each check metric and timeline action takes only its own keys; errors name file, line, column and key."""

from __future__ import annotations

import pytest

from evesim.scenario import loader

HEAD = "name: x\nduration: 1h\nfleet: [{name: a, count: 2}]\n"


def _problems(extra: str) -> list[str]:
    with pytest.raises(loader.ScenarioError) as caught:
        loader.loads(HEAD + extra, "s.yaml")
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(("extra", "problem"), [
    ("expectations: [{always: {metric: bricked, max: 0, fields: {a: 1}}}]\n",
     "s.yaml:4:51: expectations[0].always.fields: metric 'bricked' takes no 'fields'; "
     "'fields' only applies to metric 'events'"),
    ("expectations: [{always: {metric: rollout, value: done, target: all, min: 1}}]\n",
     "s.yaml:4:56: expectations[0].always.target: metric 'rollout' takes no 'target' "
     "(expected one of: max, max_fraction, metric, min, min_fraction, value)"),
    ("expectations: [{always: {metric: onboarded, min: 1, match: x}}]\n",
     "s.yaml:4:53: expectations[0].always.match: metric 'onboarded' takes no 'match'; "
     "'match' only applies to metric 'info'"),
    ("expectations: [{always: {metric: bricked, max: 0, valeu: 1}}]\n",
     "s.yaml:4:51: expectations[0].always.valeu: unknown key 'valeu' "
     "(expected one of: max, max_fraction, metric, min, min_fraction, target)"),
    ("expectations: [{always: {metric: info, value: x, min: 1}}]\n",
     "s.yaml:4:25: expectations[0].always.path: metric 'info' needs a 'path'"),
    ("expectations: [{always: {metric: stat, value: running, max: 0}}]\n",
     "s.yaml:4:34: expectations[0].always.metric: no metric 'stat'; did you mean 'state'? (one of: app, bricked, "
     "events, info, led, onboarded, outcome, reboots, rollout, state, version)"),
    ("expectations: [{always: {value: running, max: 0}}]\n",
     "s.yaml:4:25: expectations[0].always.metric: required key is missing"),
    ("timeline: [{at: 1m, action: update}]\n",
     "s.yaml:4:12: timeline[0].version: action 'update' needs a 'version'"),
    ("timeline: [{at: 1m, action: partition, nodes: [core], target: all}]\n",
     "s.yaml:4:55: timeline[0].target: action 'partition' takes no 'target' "
     "(expected one of: action, at, delay, duration, every, jitter, links, nodes, until, when)"),
    ("timeline: [{at: 1m, action: reboot, app: web}]\n",
     "s.yaml:4:37: timeline[0].app: action 'reboot' takes no 'app' (expected one of: action, at, delay, every, "
     "jitter, target, until, when)"),
    ("timeline: [{at: 1m, action: rebot}]\n",
     "s.yaml:4:29: timeline[0].action: no action 'rebot'; did you mean 'reboot'? (one of: brownout, clock_jump, "
     "controller_down, controller_fault, deploy_app, fill_persist, hang_agent, link_down, network_config, "
     "network_fault, partition, power_cut, power_on, purge_app, reboot, remove_app, restart_app, retry_update, "
     "rollout, set_config_items, tpm_fault, update)"),
])
def test_a_key_of_another_kind_is_refused_where_it_is(extra: str, problem: str) -> None:
    assert _problems(extra) == [problem]


def test_a_near_miss_of_a_value_is_suggested() -> None:
    (problem,) = _problems("expectations: [{at_end: {metric: outcome, value: roled_back, max: 0}}]\n")
    assert problem.endswith("metric 'outcome' has no value 'roled_back'; one of updated, rolled_back, failed, "
                            "bricked, pending, unchanged (did you mean 'rolled_back'?)")


def test_every_check_kind_loads() -> None:
    loaded = loader.loads(HEAD + "expectations:\n" + "".join(f"  - at_end: {{{check}, min: 0}}\n" for check in (
        "metric: onboarded", "metric: bricked", "metric: reboots", "metric: version, value: 14.5.1",
        "metric: outcome, value: pending", "metric: state, value: running", "metric: led, value: ONBOARDED",
        "metric: events, value: boot, fields: {a: 1}", "metric: info, path: a, match: '.*'",
        "metric: rollout, value: done")))
    assert [e.check.metric for e in loaded.scenario.expectations] == [
        "onboarded", "bricked", "reboots", "version", "outcome", "state", "led", "events", "info", "rollout"]
