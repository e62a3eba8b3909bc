"""Faults of a site's network besides its links: a DNS server that does not answer, an empty DHCP pool, and a path
MTU black hole; what nim reports for each and how the device comes back."""

from __future__ import annotations

from evesim.agent import topics
from evesim.agent.topics import DpcState
from evesim.sim import faults
from evesim.sim.world import Group, World, WorldSpec

START, LENGTH = 1800.0, 1200.0


def _world() -> World:
    world = World(WorldSpec(seed=8, groups=(Group("site", 2),), power_on_spread_s=60.0,
                            config_items={"timer.metric.interval": "60"}))
    world.start()
    world.run(START)
    return world


def _states(world: World, device: str, since: float) -> list[tuple[str, str]]:
    return [(e.data()["state"], e.data()["error"]) for e in world.log.events
            if e.kind == "dpc" and e.device == device and e.time >= since]


def test_a_dns_server_that_does_not_answer_fails_the_port_test_until_it_answers() -> None:
    world = _world()
    device = world.devices[0]
    faults.network_fault(world, device, "dns", duration=LENGTH)
    world.run(START + LENGTH)
    assert ("FAIL_WITH_IP_AND_DNS", "eth0: ping failed: dns") in _states(world, device.name, START)
    assert world.devices[1].bus.get(topics.NETWORK).state is DpcState.SUCCESS, "only that device's site"
    world.run(START + LENGTH + 700.0)
    assert device.bus.get(topics.NETWORK).state is DpcState.SUCCESS


def test_an_empty_dhcp_pool_keeps_leases_but_a_rebooted_device_waits_for_an_address() -> None:
    world = _world()
    kept, rebooted = world.devices
    for device in world.devices:
        faults.network_fault(world, device, "dhcp", duration=LENGTH)
    world.core.reboot(rebooted.uuid)
    world.run(START + LENGTH - 1.0)
    assert kept.nics.address(world.net, "eth0") is not None
    assert rebooted.nics.address(world.net, "eth0") is None
    assert ("FAIL", "no suitable IP address available") in _states(world, rebooted.name, START)
    world.run(START + LENGTH + 60.0)
    assert rebooted.nics.address(world.net, "eth0") is not None
    # the address restarts verification from FAIL, but the DPC failed under 5 minutes ago (IsDPCTestable): it is
    # parked, requests go out anyway, and the periodic test (timer.port.testinterval) finds it working
    world.run(START + LENGTH + 400.0)
    assert rebooted.bus.get(topics.NETWORK).state is DpcState.SUCCESS


def test_an_mtu_black_hole_lets_small_exchanges_through_and_swallows_large_ones() -> None:
    world = _world()
    device = world.devices[0]
    faults.network_fault(world, device, "mtu", mtu=700, duration=LENGTH)
    world.run(START + LENGTH - 1.0)
    assert device.bus.get(topics.NETWORK).state is DpcState.SUCCESS, "/ping is small: nim sees nothing wrong"
    assert _last_metrics(world, device.uuid) < world.epoch + START, "no metrics upload arrived whole"
    assert _last_metrics(world, world.devices[1].uuid) > world.epoch + START + LENGTH - 120.0
    world.run(START + LENGTH + 600.0)
    assert _last_metrics(world, device.uuid) > world.epoch + START + LENGTH
    assert [e.data()["on"] for e in world.log.events if e.kind == "network_fault"] == [True, False]


def _last_metrics(world: World, uuid: str) -> float:
    """When the controller stored the device's last metrics (its wall clock)."""
    return world.core.store.series("metrics", uuid)[-1].at
