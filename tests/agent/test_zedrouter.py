"""zedrouter: network instances checked and activated as EVE's zedrouter does, app interfaces numbered and
addressed, apps told to wait or given the error, and flows collected into FlowMessages."""

from __future__ import annotations

from evesim.agent import effects as fx
from evesim.agent import topics, zedrouter
from evesim.agent.dpc import Dpc, PortConfig
from evesim.agent.netinst import Adapter, NetInstance
from evesim.agent.topics import App
from evesim.agent.zedrouter import Router
from evesim.api import pb

from .harness import Script

PORTS = (("eth0", True, 0), ("eth1", False, 0))
LAN = NetInstance("ni-lan", "1", "lan", pb.config.ZnetInstLocal, "uplink", subnet="10.1.0.0/24",
                  gateway="10.1.0.1", dhcp_start="10.1.0.128", dhcp_end="10.1.0.130")
PLANT = NetInstance("ni-plant", "1", "plant", pb.config.ZnetInstSwitch, "eth1")


def _app(n: int, *networks: str) -> App:
    return App(uuid=f"{n:08x}-0000-4000-8000-000000000000", name=f"app{n}", version="1", activate=True,
               memory_kb=1024, vcpus=1, adapters=tuple(Adapter(f"eth{i}", ni) for i, ni in enumerate(networks)))


def test_local_instance_apps_get_the_range_in_order_and_the_next_one_none() -> None:
    router = Router()
    apps = tuple(_app(n, "ni-lan") for n in range(1, 5))
    statuses, networks = router.update((LAN,), apps, PORTS)
    (lan,) = statuses
    assert (lan.activated, lan.ports, lan.bridge_name, lan.error) == (True, ("eth0",), "bn1", "")
    assert [n.vifs[0].ip for n in networks[:3]] == ["10.1.0.128", "10.1.0.129", "10.1.0.130"]
    assert networks[3].error == "no free IP addresses in DHCP range(10.1.0.128, 10.1.0.130)"
    assert [n.vifs[0].name for n in networks[:3]] == ["nbu1x1", "nbu1x2", "nbu1x3"]
    assert ("bridge:1", "10.1.0.1") in lan.assignments and len(lan.vifs) == 3
    # the first app goes: its address is the next app's (EVE's lowest free number)
    _, networks = router.update((LAN,), apps[1:], PORTS)
    assert [n.vifs[0].ip for n in networks] == ["10.1.0.129", "10.1.0.130", "10.1.0.128"]


def test_a_switch_instance_bridges_its_one_port_and_gives_no_address() -> None:
    statuses, networks = Router().update((PLANT,), (_app(1, "ni-plant"),), PORTS)
    assert statuses[0].bridge_name == "eth1" and statuses[0].ports == ("eth1",)
    vif = networks[0].vifs[0]
    assert (vif.kind, vif.ip, vif.ports) == ("switch", "", ("eth1",)) and vif.mac.startswith("02:16:3e:")


def test_instances_in_error_and_apps_that_wait() -> None:
    missing_port = NetInstance("ni-x", "1", "x", pb.config.ZnetInstSwitch, "eth7")
    overlap = NetInstance("ni-y", "1", "y", pb.config.ZnetInstLocal, "uplink", subnet="10.1.0.0/16",
                          gateway="10.1.0.1", dhcp_start="10.1.128.0", dhcp_end="10.1.128.255")
    cloud = NetInstance("ni-z", "1", "z", pb.config.ZnetInstCloud, "uplink")
    idle = NetInstance("ni-idle", "1", "idle", pb.config.ZnetInstSwitch, "eth1", activate=False)
    apps = (_app(1, "ni-x"), _app(2, "ni-gone"), _app(3, "ni-idle"))
    statuses, networks = Router().update((LAN, missing_port, overlap, cloud, idle), apps, PORTS)
    errors = {s.name: s.error for s in statuses}
    assert errors["x"] == "failed to select ports for network instance ni-x: no port is matching label 'eth7'"
    assert errors["y"].startswith("subnet (10.1.0.0/16) overlaps with another network instance (lan-ni-lan)")
    assert errors["z"] == "network instance type 3 is not supported" and errors["idle"] == ""
    assert [zedrouter.state_name(s) for s in statuses] == ["ERROR", "ERROR", "ERROR", "ERROR", "UNSPECIFIED"]
    bad, gone, waiting = networks
    assert bad.waiting and bad.error.startswith("network instance ni-x needed by app")
    assert (gone.waiting, gone.error) == (True, "") and (waiting.waiting, waiting.error) == (True, "")


def test_the_agent_publishes_and_applies_and_its_collector_packs_flows_for_zedagent() -> None:
    script = Script()
    script.bus.publish(topics.ONBOARDING, topics.Onboarding("dev-1", "box"))
    ports = (PortConfig("eth0", True), PortConfig("eth1", False))
    script.bus.publish(topics.DPC_LIST, (0, (Dpc("zedagent", 1.0, ports),)))
    script.bus.publish(topics.NI_CONFIG, (LAN,))
    app = _app(1, "ni-lan")
    script.bus.publish(topics.APP_CONFIG, (app,))
    flow = fx.Flow(app.uuid, "eth0", "10.0.0.2", 40000, "10.9.9.9", 8080, 6, False, 3, "accept", 1.0, 2.0,
                   2048, 3, 200, 2)
    script.flows = (flow,) * 130
    script.run(zedrouter.run(), max_time=10.0)
    (applied,) = script.effects(fx.ApplyAppNetwork)
    assert applied.vifs[0].ip == "10.1.0.128"
    assert [log.fields["state"] for log in script.logs("network_instance")] == ["ONLINE"]
    script.run(script.spawned["zedrouter.flows"], max_time=400.0)
    collections = script.published(topics.FLOWS)
    assert collections and collections[0][0] == 1
    messages = [pb.flowlog.FlowMessage.FromString(m) for m in collections[0][1]]
    assert [len(m.flows) for m in messages] == [126, 4], "EVE packs 126 records at most"
    record = messages[0].flows[0]
    assert (record.flow.dest, record.flow.destPort, record.aclId, record.action) == ("10.9.9.9", 8080, 3,
                                                                                     pb.flowlog.ActionAccept)
    scope = messages[0].scope
    assert messages[0].devId == "dev-1" and (scope.uuid, scope.netInstUUID, scope.localIntf) == (app.uuid, "ni-lan",
                                                                                                 "bn1")
    sleeps = [s for s in script.sleeps() if s > 10]
    assert sleeps and all(108.0 <= s <= 120.0 for s in sleeps)


def _collections(flowlog: bool) -> int:
    """Flow collections in 1000 s on a switch instance that logs flows or not."""
    script = Script()
    router = Router()
    statuses, networks = router.update((NetInstance("ni-q", "1", "q", pb.config.ZnetInstSwitch, "eth1",
                                                    flowlog=flowlog),), (_app(1, "ni-q"),), PORTS)
    router.statuses, router.vifs = statuses, tuple(v for n in networks for v in n.vifs)
    script.run(zedrouter.collect(router), max_time=1000.0)
    return len(script.effects(fx.CollectFlows))


def test_flows_are_collected_only_while_an_instance_logs_them() -> None:
    assert _collections(flowlog=False) == 0
    assert _collections(flowlog=True) == 8, "every 108-120 s (0.5 drawn: 114 s)"
