"""The same agent code runs in the simulation, on the host and on Xen: only the backend differs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from evesim.agent import device_steps
from evesim.agent import effects as fx
from evesim.backends.host import INSTANT, TIMED, HostDevice
from evesim.backends.logsink import LogSink
from evesim.backends.statedir import StateDir
from evesim.backends.xen import XenDevice
from evesim.sim import device as sim_device
from evesim.sim.world import Group, World, WorldSpec


def test_the_simulation_and_the_runner_boot_the_same_device_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    booted: list[str] = []
    real = device_steps.boot

    def recording(settings: device_steps.Settings):  # type: ignore[no-untyped-def]
        booted.append("sim")
        return real(settings)

    monkeypatch.setattr(sim_device.device_steps, "boot", recording)
    world = World(WorldSpec(seed=1, groups=(Group("dev", 2, "generic-x86"),), power_on_spread_s=0.0))
    world.start()
    world.run(120.0)
    assert booted == ["sim", "sim"] and all(d.uuid for d in world.devices)


@pytest.mark.parametrize("disk", [False, True])
def test_the_xen_device_swaps_only_the_hypervisor_and_disk_handlers(tmp_path: Path, disk: bool) -> None:
    (tmp_path / "dev").mkdir()
    args = (StateDir(tmp_path / "dev"), None, LogSink(io.StringIO(), lambda: 0.0, False))
    host = HostDevice(*args)  # type: ignore[arg-type]
    xen = XenDevice(*args, disk=tmp_path / "disk.img" if disk else None)  # type: ignore[arg-type]
    effects = set(TIMED) | set(INSTANT)
    assert {e for e in effects if host.timed(e) is not TIMED.get(e) or host.instant(e) is not INSTANT.get(e)} == set()
    swapped = {e for e in effects if xen.timed(e) is not TIMED.get(e) or xen.instant(e) is not INSTANT.get(e)}
    on_disk = {fx.SetPartitionState, fx.WritePartition, fx.Partitions} if disk else set()
    expected = {fx.Domain, fx.MemoryUsage} | on_disk
    assert swapped == expected
