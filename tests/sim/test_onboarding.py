"""A small simulated fleet onboards, gets config, reports info and metrics; runs are deterministic."""

from __future__ import annotations

import pytest

from evesim.agent import topics
from evesim.agent.bootreason import BootReason
from evesim.agent.topics import Led
from evesim.api import pb
from evesim.controller.stores import Limits
from evesim.sim.world import Group, World, WorldSpec

HOUR = 3600.0


def _world(seed: int = 7, count: int = 12, **spec: object) -> World:
    world = World(WorldSpec(seed=seed, groups=(Group("fleet", count),), **spec))
    world.start()
    return world


@pytest.fixture(scope="module")
def fleet() -> World:
    """Twelve devices, three simulated hours, EVE's default timers, histories long enough to inspect."""
    world = _world(store_limits=Limits(metrics=32, requests=128))
    world.run(3 * HOUR)
    return world


def test_every_device_onboards_with_a_distinct_uuid(fleet: World) -> None:
    uuids = [d.uuid for d in fleet.devices]
    assert all(uuids) and len(set(uuids)) == len(uuids)
    assert sorted(fleet.core.device_uuids()) == sorted(uuids)
    for device in fleet.devices:
        assert fleet.core.device(device.uuid).serial == device.serial
        assert device.state == "running" and device.led == Led.ONBOARDED


def test_every_device_got_its_config_and_attested(fleet: World) -> None:
    for device in fleet.devices:
        status = device.bus.get(topics.CONFIG_STATUS)
        assert status.status is topics.ConfigGet.SUCCESS
        assert device.bus.get(topics.ATTEST).state == pb.info.ATTESTATION_STATE_COMPLETE
        assert fleet.core.attestation(device.uuid).token == device.bus.get(topics.ATTEST).token
    applied = {e.device for e in fleet.log.of_kind("config_applied")}
    assert applied == {d.name for d in fleet.devices}


def test_controller_stores_device_info(fleet: World) -> None:
    for device in fleet.devices:
        info = fleet.core.latest_device_info(device.uuid)
        assert info is not None
        assert info.minfo.serialNumber == device.serial
        assert info.last_boot_reason == pb.info.BOOT_REASON_FIRST
        assert info.restartCounter == 0
        assert info.state == pb.info.ZDEVICE_STATE_ONLINE
        assert info.attestation_info.state == pb.info.ATTESTATION_STATE_COMPLETE
        assert [sw.partitionLabel for sw in info.swList] == ["IMGA", "IMGB"]


def test_controller_stores_metrics_every_0_3_to_1_0_minute(fleet: World) -> None:
    now = fleet.wall_clock()
    for device in fleet.devices:
        stored = [item.at for item in fleet.core.store.series("metrics", device.uuid)]
        assert len(stored) >= 10 and now - stored[-1] <= 61.0
        gaps = [b - a for a, b in zip(stored, stored[1:], strict=False)]
        assert min(gaps) >= 0.3 * 60 - 1.0 and max(gaps) <= 60 + 1.0
        last = pb.metrics.ZMetricMsg.FromString(fleet.core.store.series("metrics", device.uuid)[-1].data)
        assert last.devID == device.uuid
        assert last.dm.zedcloud[0].success > 100


def test_device_logs_reach_the_controller(fleet: World) -> None:
    for device in fleet.devices:
        assert fleet.core.store.series("logs", device.uuid)


def test_config_polls_stay_within_the_jitter_window(fleet: World) -> None:
    device = fleet.devices[0]
    requests = [i.at for i in fleet.core.store.series("requests", device.uuid) if i.key.endswith("/config")]
    gaps = [b - a for a, b in zip(requests[5:], requests[6:], strict=False)]
    assert gaps and min(gaps) >= 0.3 * 60 - 1.0 and max(gaps) <= 60 + 1.0


def test_config_items_from_the_controller_reach_the_device() -> None:
    world = _world(count=3, config_items={"timer.config.interval": "20", "timer.metric.interval": "15"})
    world.run(HOUR / 2)
    for device in world.devices:
        config = device.bus.get(topics.GLOBAL_CONFIG).config
        assert config.int("timer.config.interval") == 20
        info = world.core.latest_device_info(device.uuid)
        assert info.configItemStatus.configItems["timer.metric.interval"].value == "15"
    device = world.devices[0]
    world.core.set_config_items(device.uuid, {"timer.config.interval": "7", "timer.metric.interval": None})
    changed_at = world.env.now
    world.run(changed_at + 30.0)
    config = device.bus.get(topics.GLOBAL_CONFIG).config
    assert config.int("timer.config.interval") == 7
    assert config.int("timer.metric.interval") == 60


def test_reboot_command_reboots_once_and_counts_the_restart() -> None:
    world = _world(count=2)
    world.run(HOUR / 2)
    device = world.devices[0]
    world.core.reboot(device.uuid)
    world.run(HOUR)
    assert [e.device for e in world.log.of_kind("reboot_requested")] == [device.name]
    assert device.boots == 2 and device.led == Led.ONBOARDED
    info = world.core.latest_device_info(device.uuid)
    assert info.last_boot_reason == pb.info.BOOT_REASON_REBOOT_CMD
    assert info.restartCounter == 1
    assert device.bus.get(topics.NODE).boot_reason == BootReason.REBOOT_CMD


def _digest(seed: int) -> str:
    world = _world(seed=seed, count=5)
    world.run(HOUR)
    return world.log.digest()


def test_same_seed_same_event_log_other_seed_other_log() -> None:
    first, second, other = _digest(11), _digest(11), _digest(12)
    assert first == second
    assert other != first
