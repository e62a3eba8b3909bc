"""``Policy`` options and the ``adam`` profile: what each answers on the device API."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from evesim.api import pb
from evesim.controller import Controller
from evesim.controller.policy import ADAM, PROFILES, Policy, profile

from .conftest import Device


def test_unknown_device_is_400_by_default(ctl: Controller, onboard) -> None:
    stranger = Device(ctl, onboard, "stranger")
    assert stranger.fetch_uuid().status == 400
    stranger.uuid = "00000000-0000-4000-8000-000000000000"
    assert stranger.poll().status == 400
    assert stranger.post("info", pb.info.ZInfoMsg()).status == 400


@pytest.mark.parametrize("action", ["config", "info", "metrics", "logs"])
def test_unknown_device_401_through_the_policy(make_controller: Callable[..., Controller], onboard,
                                                action: str) -> None:
    ctl = make_controller(policy=Policy(unknown_device_status=401))
    stranger = Device(ctl, onboard, "stranger")
    assert stranger.fetch_uuid().status == 401
    stranger.uuid = "00000000-0000-4000-8000-000000000000"
    assert stranger.post(action, b"").status == 401


def test_unknown_device_status_is_400_or_401() -> None:
    with pytest.raises(ValueError, match="400, 401"):
        Policy(unknown_device_status=404)


def test_profiles() -> None:
    assert PROFILES["evesim"] == Policy()
    assert profile("adam") == ADAM
    assert profile("adam", require_integrity_token=False).unknown_device_status == 401
    with pytest.raises(ValueError, match="known: evesim, adam"):
        profile("zedcloud")


def test_default_known_cert_registered_another_way_is_200(ctl: Controller, onboard) -> None:
    dev = Device(ctl, onboard, "a")
    ctl.device_add(dev.identity.cert_pem)
    assert dev.register().status == 200
    assert len(ctl.device_uuids()) == 1


@pytest.fixture
def adam(make_controller: Callable[..., Controller]) -> Controller:
    return make_controller(policy=ADAM)


def test_adam_reused_onboarding_cert_and_serial_is_409_even_with_the_same_device_cert(adam: Controller,
                                                                                      onboard) -> None:
    dev = Device(adam, onboard, "a", serial="S1")
    assert dev.register().status == 201
    assert dev.register().status == 409
    assert Device(adam, onboard, "b", serial="S1").register().status == 409
    assert len(adam.device_uuids()) == 1


def test_adam_device_cert_known_another_way_is_500(adam: Controller, onboard) -> None:
    dev = Device(adam, onboard, "a", serial="S1")
    adam.device_add(dev.identity.cert_pem)
    reply = dev.register()
    assert reply.status == 500
    assert len(adam.device_uuids()) == 1
    assert dev.register(serial="S2").status == 500


def test_adam_unknown_cert_is_401(adam: Controller, onboard) -> None:
    assert Device(adam, onboard, "stranger").fetch_uuid().status == 401


def test_adam_config_is_404_until_one_is_set(adam: Controller, onboard) -> None:
    dev = Device(adam, onboard, "a")
    uuid = dev.onboard_device()
    assert adam.config_version(uuid) == 0
    assert dev.poll().status == 404
    dev.attest_tpmless()
    assert dev.poll().status == 404
    assert adam.set_config_items(uuid, {"timer.config.interval": "60"}) == 1
    assert dev.poll().status == 200
    assert dev.config().config.configItems[0].key == "timer.config.interval"


def test_default_new_device_gets_config_version_1(ctl: Controller, onboard) -> None:
    dev = Device(ctl, onboard, "a")
    assert ctl.config_version(dev.onboard_device()) == 1


def test_scenario_controller_policy() -> None:
    from evesim.scenario import build, loader

    text = "name: x\nduration: 1h\nconfig_items: {timer.config.interval: '60'}\nfleet: [{name: a, count: 1}]\n"
    assert build.world(loader.loads(text).scenario).controller.core.policy == Policy(
        default_config_items={"timer.config.interval": "60"})
    world = build.world(loader.loads(text + "controller: {policy: adam}\n").scenario)
    core = world.controller.core
    assert core.policy == profile("adam", default_config_items={"timer.config.interval": "60"})
    world.start()
    world.run(until=900)
    (uuid,) = core.device_uuids()
    statuses = {item.data for item in core.store.series("requests", uuid)}
    assert b"POST 404" in statuses and b"POST 200" not in statuses
    with pytest.raises(loader.ScenarioError, match="policy"):
        loader.loads(text + "controller: {policy: zedcloud}\n")
