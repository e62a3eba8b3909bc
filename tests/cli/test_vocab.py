"""The scenario language's vocabularies match the simulation's sets and the models' tags."""

from __future__ import annotations

import typing

from evesim.agent import domainmgr
from evesim.agent.topics import Led
from evesim.controller import rollout
from evesim.scenario import checks, executors, model, vocab
from evesim.sim import device, outcome


def _tags(union: object, key: str) -> list[str]:
    members = typing.get_args(union)
    return [tag for member in members for tag in typing.get_args(member.model_fields[key].annotation)]


def test_the_simulations_sets_are_spelled_alike() -> None:
    assert vocab.DEVICE_STATES == tuple(device.STATES)
    assert vocab.OUTCOMES == tuple(outcome.OUTCOMES)
    assert vocab.LED_NAMES == tuple(led.name for led in Led)
    assert vocab.APP_STATES == tuple(domainmgr.REPORTED)
    assert vocab.CAMPAIGN_STATES == tuple(rollout.STATES)
    assert executors.EXECUTORS == vocab.EXECUTORS


def test_every_action_and_metric_has_one_model() -> None:
    assert sorted(_tags(model.AnyAction, "action")) == sorted(vocab.ACTION_NAMES)
    assert sorted(_tags(checks.AnyCheck, "metric")) == sorted(vocab.METRICS)
