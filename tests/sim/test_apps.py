"""App instances in a simulated world: deployed by the controller, run on the device's Xen, reported."""

from __future__ import annotations

from evesim.agent import topics
from evesim.agent.domainmgr import BROKEN
from evesim.api import pb
from evesim.sim import faults
from evesim.sim.device import SimDevice
from evesim.sim.world import AppSpec, Group, World, WorldSpec

INFO = pb.info
TIMERS = {"timer.metric.interval": "600"}
WEB = AppSpec("web", size_bytes=100_000_000, memory_kb=1024 * 1024)


def _world(*apps: AppSpec, board: str = "generic-x86", deploy: tuple[str, ...] = ("web",),
           until: float = 600.0) -> World:
    spec = WorldSpec(seed=9, groups=(Group("dev", 1, board, apps=deploy),), apps=apps or (WEB,),
                     power_on_spread_s=0.0, config_items=TIMERS)
    world = World(spec)
    world.start()
    world.run(until)
    return world


def _apps(device: SimDevice) -> dict[str, tuple[str, str]]:
    """The device's own app statuses: name → (state, error)."""
    return {a.name: (INFO.ZSwState.Name(a.state), a.error) for a in device.bus.get(topics.APP_STATUS) or ()}


def _kinds(world: World, *kinds: str, since: float = 0.0) -> list[tuple[float, str]]:
    return [(e.time, e.kind) for e in world.log.events if e.kind in kinds and e.time >= since]


def _reported(world: World, device: SimDevice) -> dict[str, int]:
    """What the controller last heard about each app: name → ZSwState."""
    infos = (pb.info.ZInfoMsg.FromString(item.data) for item in world.core.store.latest_info(device.uuid))
    return {m.ainfo.AppName: m.ainfo.state for m in infos if m.ztype == INFO.ZiApp}


def test_a_deployed_app_runs_and_the_controller_hears_of_it() -> None:
    world = _world()
    device = world.devices[0]
    assert _apps(device) == {"web": ("RUNNING", "")}
    assert _reported(world, device) == {"web": INFO.RUNNING}
    (domain,) = device.xen.hypervisor.domains
    assert (domain.memory_kb, domain.state) == (1024 * 1024, "running")
    assert len(_kinds(world, "app_volume_ready")) == 1
    # metrics report dom0's 640 MiB plus the domain's memory and Xen's 8 MiB overhead
    assert device.xen.used_mb() == 640 + 1024 + 8


def test_a_reboot_halts_the_app_first_and_it_comes_back_without_a_new_download() -> None:
    world = _world()
    device = world.devices[0]
    asked = world.env.now
    world.core.reboot(device.uuid)
    world.run(asked + 900.0)
    order = [kind for _, kind in _kinds(world, "domain_halted", "reset", "boot", since=asked)]
    assert order == ["domain_halted", "reset", "boot"]
    assert _apps(device) == {"web": ("RUNNING", "")}
    assert len(_kinds(world, "app_volume_ready")) == 1, "the volume survived the reboot"
    downloads = [e for e in world.log.events if e.kind == "app_state" and e.data()["state"] == "DOWNLOAD_STARTED"]
    assert len(downloads) == 1


def test_after_a_power_cut_the_app_boots_again() -> None:
    world = _world()
    device = world.devices[0]
    cut = world.env.now
    device.power_cut()
    assert device.xen.hypervisor.domains == []
    world.at(30.0, device.power_on)
    world.run(cut + 300.0)
    assert _apps(device) == {"web": ("RUNNING", "")}
    assert not _kinds(world, "domain_halted", since=cut), "no graceful shutdown without power"


def test_a_crashing_app_is_broken_until_the_operator_restarts_it() -> None:
    world = _world(AppSpec("web", 50_000_000, defects=frozenset({"crashes"})), until=900.0)
    device = world.devices[0]
    assert _apps(device) == {"web": ("HALTING", BROKEN)}
    assert _reported(world, device) == {"web": INFO.HALTING}
    assert len(_kinds(world, "domain_crashed")) == 1, "EVE does not restart a broken app by itself"
    restart = world.env.now
    world.app_command(device, "web", "restart")
    world.run(restart + 300.0)
    assert len(_kinds(world, "domain_crashed", since=restart)) == 1
    after = [e.data()["state"] for e in world.log.events if e.kind == "app_state" and e.time >= restart]
    assert after == ["HALTING", "HALTED", "BOOTING", "RUNNING", "HALTING"], "EVE never reports RESTARTING"


def test_apps_that_do_not_fit_wait_for_memory() -> None:
    big = (AppSpec("a", memory_kb=2 * 1024 * 1024), AppSpec("b", memory_kb=2 * 1024 * 1024))
    world = _world(*big, board="rpi4", deploy=("a", "b"))
    states = _apps(world.devices[0])
    assert sorted(s for s, _ in states.values()) == ["INSTALLED", "RUNNING"]
    waiting = next(error for state, error in states.values() if state == "INSTALLED")
    assert waiting.startswith("Remaining memory bytes ")
    world.app_command(world.devices[0], "a" if states["a"][0] == "RUNNING" else "b", "remove")
    world.run(world.env.now + 300.0)
    assert [s for s, _ in _apps(world.devices[0]).values()] == ["RUNNING"]


def test_removing_an_app_takes_it_off_the_device() -> None:
    world = _world()
    device = world.devices[0]
    world.app_command(device, "web", "remove")
    world.run(world.env.now + 300.0)
    assert _apps(device) == {} and device.xen.hypervisor.domains == []
    assert not world.core.config(device.uuid).apps
    assert _reported(world, device) == {"": 0}, "the controller's last word on the app is EVE's delete (AppID only)"
    assert not device.hw.fs.listdir("/persist/vault/volumes")


def test_a_volume_left_by_a_removal_cut_short_is_swept_after_timer_gc_vdisk() -> None:
    world = _world()
    device = world.devices[0]
    world.core.set_config_items(device.uuid, {"timer.gc.vdisk": "600"})
    world.run(world.env.now + 120.0)
    world.app_command(device, "web", "remove")
    world.log.listen(lambda e: e.kind == "app_state" and e.data().get("state") == "HALTING"
                     and (world.at(3.0, lambda: faults.power_cut(world, device, 60.0)) or True))
    world.run(world.env.now + 300.0)
    assert _kinds(world, "power_cut") and not _kinds(world, "app_removed")
    assert device.hw.fs.listdir("/persist/vault/volumes"), "the volume outlived the cut"
    world.run(world.env.now + 900.0)
    assert device.state == "running" and not device.hw.fs.listdir("/persist/vault/volumes")
    assert len(_kinds(world, "app_volume_gc")) == 1


def test_an_app_removed_while_it_downloads_never_boots() -> None:
    world = _world(AppSpec("web", size_bytes=2_000_000_000), until=120.0)
    device = world.devices[0]
    assert _apps(device) == {"web": ("DOWNLOAD_STARTED", "")}
    world.app_command(device, "web", "remove")
    world.run(world.env.now + 900.0)
    assert _apps(device) == {} and not _kinds(world, "domain_halted")
    assert not [e for e in world.log.events if e.kind == "app_state" and e.data()["state"] == "BOOTING"]
