"""Hung agents, a hung watchdog daemon and a hung kernel, and what the watchdogs do about them."""

from __future__ import annotations

import pytest

from evesim.agent import paths
from evesim.agent.bootreason import BootReason
from evesim.hw import board
from evesim.sim.world import Group, ImageSpec, World, WorldSpec

TIMERS = {"timer.metric.interval": "3600"}


def _world(board_name: str = "generic-x86", **spec: object) -> World:
    world = World(WorldSpec(seed=5, groups=(Group("dev", 1, board_name),), power_on_spread_s=0.0,
                            config_items=TIMERS, **spec))
    world.start()
    world.run(600.0)
    assert world.devices[0].uuid
    return world


def _events(world: World, kind: str, since: float = 0.0) -> list:
    return [e for e in world.log.events if e.kind == kind and e.time >= since]


def _boot_reasons(world: World, since: float) -> list[str]:
    return [e.data()["reason"] for e in _events(world, "boot", since)]


def test_a_hung_agent_is_reset_by_the_software_watchdog_within_its_change_window() -> None:
    world = _world()
    device = world.devices[0]
    hung_at = world.env.now
    device.hang("zedagent")
    world.run(hung_at + 700.0)
    resets = _events(world, "reset", hung_at)
    assert len(resets) == 1
    (stale,) = _events(world, "touch_file_stale", hung_at)
    assert 500.0 - 25.0 <= stale.time - hung_at <= 501.0
    # retry timeout (61 s), watchdog-report.sh's sleep 30, a 15 s clean shutdown
    assert resets[0].time - stale.time == pytest.approx(106.0)
    # zedagent and its tasks were frozen: no config poll left the device meanwhile.
    polls = [e for e in _events(world, "config_applied", hung_at) if e.time < resets[0].time]
    assert not polls
    world.run(hung_at + 1200.0)
    assert _boot_reasons(world, hung_at) == ["WATCHDOG_HUNG"]
    assert device.hw.fs.read("/persist/reboot-reason") is None  # consumed by nodeagent at boot


def test_a_hung_nodeagent_cannot_commit_an_update_the_watchdog_falls_back() -> None:
    world = _world(images=(ImageSpec("14.6.0", 200_000_000),))
    device = world.devices[0]
    image = world.images[world.image_url("14.6.0")]
    world.core.set_base_os(device.uuid, "14.6.0", url=world.image_url("14.6.0"), sha256=image.sha256,
                           size_bytes=image.size_bytes)
    while not any(e.data().get("testing") for e in _events(world, "boot")):
        world.run(world.env.now + 10.0)
    device.hang("nodeagent")
    world.run(world.env.now + 2 * 3600.0)
    assert not _events(world, "test_complete")
    assert device.running_version == "14.5.1"
    assert "WATCHDOG_HUNG" in _boot_reasons(world, 0.0)


def test_a_hung_watchdog_daemon_lets_the_hardware_watchdog_reset_the_board() -> None:
    world = _world("generic-x86")
    device = world.devices[0]
    timeout = board.get("generic-x86").hw_watchdog_timeout_s
    hung_at = world.env.now
    device.hang("watchdog")
    world.run(hung_at + timeout + 120.0)
    resets = _events(world, "reset", hung_at)
    assert [r.data()["kind"] for r in resets] == ["hw_watchdog"]
    assert timeout - 1.0 <= resets[0].time - hung_at <= timeout
    assert _boot_reasons(world, hung_at) == [BootReason.HW_WATCHDOG.name]


def test_a_hung_kernel_without_a_hardware_watchdog_stays_hung() -> None:
    world = _world("qemu")
    device = world.devices[0]
    assert not board.get("qemu").has_hw_watchdog
    hung_at = world.env.now
    device.hang("kernel")
    world.run(hung_at + 3600.0)
    assert not _events(world, "reset", hung_at)
    assert not [e for e in world.log.events if e.device == device.name and e.time > hung_at and e.agent != "fault"]


def test_hanging_an_agent_that_is_not_running_changes_nothing() -> None:
    world = _world()
    device = world.devices[0]
    device.hang("zedclient")  # it exits once the device is onboarded
    world.run(world.env.now + 900.0)
    assert [e.kind for e in world.log.events if e.agent == "fault"] == ["agent_not_running"]
    assert not _events(world, "reset")


def test_the_report_keeps_a_boot_reason_already_written_and_appends_its_text() -> None:
    device = _world().devices[0]
    device.persist_reboot_reason(BootReason.REBOOT_CMD, "first. ")
    device.persist_reboot_reason(BootReason.WATCHDOG_HUNG, "watchdog: zedagent touch file not updated")
    assert device.hw.fs.read(paths.BOOT_REASON) == str(int(BootReason.REBOOT_CMD)).encode()
    assert device.hw.fs.read(paths.REBOOT_REASON) == b"first. watchdog: zedagent touch file not updated"
