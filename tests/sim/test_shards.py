"""What makes a fleet splittable: controller cells, keyed controller draws, campaigns at boundaries, the canonical
event order, and a world split in shards that logs what the whole world logs."""

from __future__ import annotations

import heapq

import pytest

from evesim.controller import Controller
from evesim.sim.campaigns import Launch, Report
from evesim.sim.events import Event, EventLog, digest
from evesim.sim.service import SimController, split
from evesim.sim.sharding import deal
from evesim.sim.world import Group, ImageSpec, World, WorldSpec, windows

SPEC = WorldSpec(seed=3, groups=(Group("edge", 6), Group("lab", 3)), images=(ImageSpec("14.6.0", 2_000_000),),
                 cells=4, power_on_spread_s=120.0)


def test_a_run_stops_at_each_boundary_then_at_its_end() -> None:
    assert windows(0.0, 100.0) == [30.0, 60.0, 90.0, 100.0]
    assert windows(30.0, 60.0) == [60.0]
    assert windows(29.5, 61.0) == [30.0, 60.0, 61.0]
    assert windows(10.0, 10.0) == [] and windows(10.0, 5.0) == []


def test_workers_are_split_evenly_between_at_most_as_many_cells() -> None:
    assert split(16, 8) == [2] * 8
    assert split(5, 3) == [2, 2, 1]
    assert split(2, 8) == [1, 1]


def test_a_cell_never_queues_behind_another() -> None:
    service = SimController(Controller(), workers=2, service_time_s=1.0, cells=2)
    first = service.serve(0.0, "GET", "/api/v2/edgedevice/ping", b"", cell=0)
    other = service.serve(0.0, "GET", "/api/v2/edgedevice/ping", b"", cell=1)
    queued = service.serve(0.0, "GET", "/api/v2/edgedevice/ping", b"", cell=0)
    assert (first.done_at, other.done_at, queued.done_at) == (1.0, 1.0, 2.0)
    assert service.max_wait_s == 1.0


def test_cells_are_dealt_in_turn_and_those_kept_together_go_to_one_shard() -> None:
    assert [sorted(s.cells or ()) for s in deal(5, 2)] == [[0, 2, 4], [1, 3]]
    assert [sorted(s.cells or ()) for s in deal(2, 3)] == [[0], [1]]
    together = [sorted(s.cells or ()) for s in deal(8, 2, [{0, 1, 2}, {2, 6}])]
    assert together == [[0, 1, 2, 6], [3, 4, 5, 7]]
    assert [s.index for s in deal(8, 3, [set(range(8))])] == [0]
    assert all(s.owns(c) for s in deal(1, 1) for c in (0,)) and not deal(4, 2)[0].owns(1)


def test_a_shard_runs_the_devices_of_its_cells() -> None:
    shard = World(SPEC, deal(4, 2)[1])
    assert [d.name for d in shard.devices] == ["edge-00001", "edge-00003", "edge-00005", "lab-00001"]
    assert [d.cell for d in shard.devices] == [1, 3, 1, 3]
    assert len(shard.roster) == 9 and shard.roster[6] == ("lab-00000", "lab")


def test_the_canonical_order_does_not_depend_on_how_devices_interleave() -> None:
    one, other = EventLog(), EventLog()
    for device in ("a", "b"):
        one.append(1.0, device, "nim", "boot")
    one.append(1.0, "world", "net", "link", {"a": "a", "b": "r", "up": False}, owner="a")
    one.append(1.0, "a", "nim", "reboot")
    other.append(1.0, "b", "nim", "boot")
    other.append(1.0, "a", "nim", "boot")
    other.append(1.0, "world", "net", "link", {"a": "a", "b": "r", "up": False}, owner="a")
    other.append(1.0, "a", "nim", "reboot")
    assert one.digest() == other.digest()
    assert [(e.device, e.kind) for e in one.canonical()] == [("a", "boot"), ("a", "reboot"), ("b", "boot"),
                                                             ("world", "link")]
    assert [e.owner for e in one.canonical() if e.device == "world"] == ["a"]


def test_only_the_first_shard_keeps_the_worlds_own_events() -> None:
    log = EventLog(world_events=False)
    log.append(0.0, "world", "controller", "controller_down")
    log.append(0.0, "world", "timeline", "action", {"index": 0}, owner="edge-00001")
    assert [e.kind for e in log] == ["action"]


def _start(world: World) -> World:
    world.start()
    world.at(700.0, lambda: world.set_controller_up(False))
    world.at(760.0, lambda: world.set_controller_up(True))
    world.at(400.0, lambda: world.campaigns.request(Launch(tuple(n for n, _ in world.roster), "14.6.0",
                                                           batch_size=(3,))))
    return world


def _lock_step(shards: list[World], until: float) -> None:
    """Advance the shards of one fleet together, settling the campaigns on their merged report at each boundary."""
    for stop in windows(0.0, until):
        if [shard.advance(stop) for shard in shards][0]:
            merged = Report.merge(shard.campaigns.report() for shard in shards)
            for shard in shards:
                shard.settle(merged)


@pytest.fixture(scope="module")
def worlds() -> tuple[World, list[World]]:
    whole = _start(World(SPEC))
    whole.run(1800.0)
    shards = [_start(World(SPEC, shard)) for shard in deal(4, 2)]
    _lock_step(shards, 1800.0)
    return whole, shards


def test_two_shards_log_what_the_whole_world_logs(worlds: tuple[World, list[World]]) -> None:
    whole, shards = worlds
    merged: list[Event] = list(heapq.merge(*(s.log.canonical() for s in shards), key=Event.key))
    assert digest(merged) == whole.log.digest()
    assert {d.name: d.uuid for s in shards for d in s.devices} == {d.name: d.uuid for d in whole.devices}
    assert all(d.uuid for d in whole.devices)
    assert not any(e.device == "world" for e in shards[1].log)
    assert whole.log.counts["controller_down"] == 1


def test_a_campaign_starts_and_ticks_at_boundaries_in_every_shard(worlds: tuple[World, list[World]]) -> None:
    whole, shards = worlds
    rollout = [(e.time, e.kind) for e in whole.log if e.agent == "rollout"]
    assert rollout[:2] == [(420.0, "created"), (420.0, "batch_started")]
    assert all(time % 30.0 == 0.0 for time, _ in rollout)
    status = whole.core.rollouts.get("r1").status()
    assert [s.core.rollouts.get("r1").status() for s in shards] == [status, status]
    assert status["counts"]["updated"] > 0
