"""Real update and power-loss bugs from EVE and other OTA systems, replayed to show the fixed behaviour.

References: lf-edge/eve PR #206, PRs #3418-#3421, commits f0af447 and 3b29da6, PRs #6122/#6127;
RAUC #490 and balena-raspberrypi #254.
"""

from __future__ import annotations

from pathlib import Path

from evesim.agent import paths, topics
from evesim.scenario import loader
from evesim.scenario.run import run
from evesim.sim import faults
from evesim.sim.world import Group, World, WorldSpec

HERE = Path(__file__).parent
HOUR = 3600.0


def _world(count: int = 3, board: str = "generic-x86", **spec: object) -> World:
    world = World(WorldSpec(seed=11, groups=(Group("dev", count, board),), power_on_spread_s=30.0, **spec))
    world.start()
    world.run(900.0)
    assert all(d.uuid for d in world.devices)
    return world


def _kinds(world: World, device: str, since: float) -> list[str]:
    return [e.kind for e in world.log.events if e.device == device and e.time >= since]


def test_brownout_never_ages_a_committed_image() -> None:
    """RAUC #490, balena #254: quick power cycles must not roll back a committed image."""
    result = run(loader.load(HERE / "brownout-after-commit.yaml"))
    assert result.passed, [o.detail for o in result.judge.failed]
    world = result.world
    brownout = 2 * HOUR
    for device in world.devices:
        assert device.hw.power_cycles >= 25
        assert device.hw.disk.partition_state(device.running_label) == "active"
        boots = [e.data() for e in world.log.events if e.device == device.name and e.kind == "boot_partition"
                 and e.time >= brownout]
        assert boots and all(b["label"] == device.running_label and not b["tries_decremented"] for b in boots)


def test_config_checkpoint_survives_a_power_cut_right_after_it_is_written() -> None:
    """EVE f0af447/3b29da6: a checkpoint lost to a cut after its rename; now fsync'd file and directory."""
    world = _world()
    device = world.devices[0]
    world.core.set_config_items(device.uuid, {"timer.metric.interval": "123"})
    start = world.env.now
    while not any(e.kind == "config_applied" and e.device == device.name and e.time > start for e in world.log.events):
        world.run(world.env.now + 1.0)
    device.power_cut()
    world.set_controller_up(False)
    device.power_on()
    world.run(world.env.now + 600.0)
    assert device.state == "running"
    assert "config_read_saved" in _kinds(world, device.name, start)
    assert device.bus.get(topics.GLOBAL_CONFIG).config.int("timer.metric.interval") == 123


def test_saved_config_is_used_after_a_long_outage_and_a_reboot() -> None:
    """EVE #3418: the saved config expired after a long outage (apps vanished); it must never expire."""
    world = _world(count=2, config_items={"timer.metric.interval": "3600", "timer.config.interval": "300"})
    for device in world.devices:
        world.core.set_config_items(device.uuid, {"timer.metric.interval": "321"})
    world.run(world.env.now + 300.0)
    faults.controller_down(world)
    world.run(world.env.now + 2 * 86400.0)
    outage_reboot = world.env.now
    for device in world.devices:
        faults.power_cut(world, device, restore_after=60.0)
    world.run(world.env.now + HOUR)
    for device in world.devices:
        assert device.state == "running" and device.boots == 2
        assert "config_read_saved" in _kinds(world, device.name, outage_reboot)
        assert device.bus.get(topics.GLOBAL_CONFIG).config.int("timer.metric.interval") == 321


def test_removing_the_base_os_frees_a_failed_partition_for_a_retry() -> None:
    """EVE PR #206: after a failed update the partition stayed inprogress and the version could not be retried."""
    world = _world(count=1, config_items={"timer.metric.interval": "3600"})
    device = world.devices[0]
    bad = world.publish_image("14.6.0", 200_000_000, frozenset({"no_controller"}))
    url = world.image_url("14.6.0")
    world.core.set_base_os(device.uuid, "14.6.0", url=url, sha256=bad.sha256, size_bytes=bad.size_bytes)
    world.run(world.env.now + 2 * HOUR)
    other = device.hw.disk.other(device.running_label)
    assert device.running_image.version == "14.5.1" and device.hw.disk.partition_state(other) == "inprogress"
    attempts = lambda: sum(1 for e in world.log.of_kind("update_ready") if e.device == device.name)  # noqa: E731
    assert attempts() == 1
    # Asking again for the same version is refused: the failed attempt is remembered.
    world.run(world.env.now + HOUR)
    assert attempts() == 1
    # Remove the base OS from the config, then add it back: the partition was freed, so it is tried again.
    config = world.core.config(device.uuid)
    config.ClearField("baseos")
    world.core.set_config(device.uuid, config)
    world.run(world.env.now + 600.0)
    assert device.hw.disk.partition_state(other) == "unused"
    world.core.set_base_os(device.uuid, "14.6.0", url=url, sha256=bad.sha256, size_bytes=bad.size_bytes)
    world.run(world.env.now + 2 * HOUR)
    assert attempts() == 2
    assert device.running_image.version == "14.5.1"
    assert device.hw.fs.read(paths.UUID)
