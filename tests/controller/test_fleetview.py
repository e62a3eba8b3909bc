"""The live view's data: a device's phase from its last report, and snapshots that leave a simulation unchanged."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from evesim.api import pb
from evesim.controller.fleetview import PHASES, devices_view, phase_of, reported_ports, running_version
from evesim.scenario import loader
from evesim.scenario.fleetsource import WorldSource
from evesim.scenario.run import run

INFO = pb.info
WATCH = Path(__file__).resolve().parents[1] / "live" / "watch.yaml"


def _info(*sw: dict, state: int = INFO.ZDEVICE_STATE_ONLINE) -> pb.info.ZInfoDevice:
    return pb.info.ZInfoDevice(state=state, swList=[pb.info.ZInfoDevSW(**entry) for entry in sw])


ACTIVE = {"activated": True, "partitionState": "active", "shortVersion": "14.5.1", "userStatus": INFO.UPDATED}


@pytest.mark.parametrize(("info", "phase"), [
    (None, "onboarding"),
    (_info(ACTIVE), "running"),
    (_info(ACTIVE, {"shortVersion": "14.6.0", "userStatus": INFO.DOWNLOADING}), "downloading"),
    (_info(ACTIVE, {"shortVersion": "14.6.0", "userStatus": INFO.UPDATING}), "updating"),
    (_info(ACTIVE, state=INFO.ZDEVICE_STATE_BASEOS_UPDATING), "updating"),
    (_info({**ACTIVE, "partitionState": "inprogress", "shortVersion": "14.6.0"}), "testing"),
    (_info({**ACTIVE, "subStatus": INFO.UPDATE_TESTING}), "testing"),
    (_info(ACTIVE, {"shortVersion": "14.6.0", "userStatus": INFO.FAILED}), "rolled back"),
    (_info(ACTIVE, {"shortVersion": "14.6.0", "userStatus": INFO.FALLBACK}), "rolled back"),
])
def test_the_phase_follows_what_the_device_reports(info: pb.info.ZInfoDevice | None, phase: str) -> None:
    assert phase_of(info) == phase and phase in PHASES


def test_the_running_version_is_the_activated_partitions() -> None:
    assert running_version(_info({"shortVersion": "14.6.0"}, ACTIVE)) == "14.5.1"
    assert running_version(None) == ""


def test_reading_the_world_while_it_runs_changes_nothing() -> None:
    loaded = loader.load(WATCH)
    alone = run(loaded).summary()["event_log_sha256"]
    looks: list[dict] = []
    stop = threading.Event()

    def watch(now: float, total: float, world: object) -> None:
        if not looks:
            source = WorldSource(world, total)  # type: ignore[arg-type]

            def keep_looking() -> None:
                while not stop.is_set():
                    looks.append(source.snapshot())

            threading.Thread(target=keep_looking, daemon=True).start()
            looks.append(source.snapshot())

    try:
        watched = run(loaded, None, watch, pace=3600.0).summary()["event_log_sha256"]
    finally:
        stop.set()
    assert watched == alone
    assert len(looks) > 10 and looks[-1]["total"] == 6
    assert {phase for look in looks for phase, count in look["phases"].items() if count} >= {"off", "running"}
    assert all(set(look["ports"]) <= {"eth0"} and sum(look["ports"].get("eth0", {}).values()) in (0, 6)
               for look in looks)
    assert any(look["ports"].get("eth0", {}).get("up") == 6 for look in looks)


def test_ports_are_counted_per_name_from_each_devices_report() -> None:
    info = pb.info.ZInfoDevice()
    info.systemAdapter.currentIndex = 1
    info.systemAdapter.status.add(ports=[pb.info.DevicePort(ifname="eth9")])
    info.systemAdapter.status.add(ports=[pb.info.DevicePort(ifname="eth0", IPAddrs=["10.0.0.2"]),
                                         pb.info.DevicePort(ifname="wwan0")])
    assert reported_ports(info) == [("eth0", "10.0.0.2"), ("wwan0", "")] and reported_ports(None) == []
    rows = [{"phase": "running", "ports": reported_ports(info)},
            {"phase": "running", "ports": [("eth0", ""), ("wwan0", "10.64.0.2")]}]
    assert devices_view(rows)["ports"] == {"eth0": {"up": 1, "down": 1}, "wwan0": {"up": 1, "down": 1}}


def test_the_faults_list_shows_faults_beginning_not_ending() -> None:
    from evesim.sim import faults
    from evesim.sim.world import Group, World, WorldSpec

    world = World(WorldSpec(seed=1, groups=(Group("site", 1),), power_on_spread_s=0.0))
    world.start()
    world.run(300.0)
    faults.network_fault(world, world.devices[0], "dns", duration=60.0)
    faults.link_down(world, world.devices[0], 30.0)
    world.run(500.0)
    listed = WorldSource(world, 600.0).snapshot()["faults"]
    assert [(f["device"], f["kind"]) for f in listed] == [("world", "link"), ("site-00000", "network_fault")]
