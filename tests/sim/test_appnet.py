"""Apps' traffic between simulated devices: through local (NAT, port maps) and switch instances, both ends' rules,
the connection table the flow collector reads, and the port bandwidth app traffic takes from downloads."""

from __future__ import annotations

import json

import pytest

from evesim.agent import effects as fx
from evesim.api import pb
from evesim.controller.appnet import Interface, NetworkInstance, Rule
from evesim.sim import appnet, download
from evesim.sim.appnet import AppNet, Traffic
from evesim.sim.world import AppSpec, Group, PortSpec, World, WorldSpec

ANY = Rule((("ip", "0.0.0.0/0"),))
NAT = NetworkInstance("nat", "local", "uplink", "10.1.0.0/24")
LAN = NetworkInstance("lan", "switch", "eth1")


def _world(client: AppSpec, server: AppSpec, *, hours: float = 0.5) -> World:
    eth1 = (PortSpec("eth1", mgmt=False),)
    spec = WorldSpec(seed=4, groups=(Group("client", 2, apps=(client.name,), ports=eth1),
                                     Group("server", 1, apps=(server.name,), ports=eth1)),
                     apps=(client, server), network_instances=(NAT, LAN))
    world = World(spec)
    world.start()
    world.run(hours * 3600)
    return world


def _outcomes(world: World) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in world.log.of_kind("app_flow"):
        outcome = json.loads(event.fields)["outcome"]
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _client(rules: tuple[Rule, ...], network: str = "nat", port: int = 8443) -> AppSpec:
    return AppSpec("client", interfaces=(Interface(network, rules),),
                   traffic=(Traffic("client", "server", port, every=60.0),))


def test_a_local_instance_app_is_reached_only_through_a_port_map() -> None:
    mapped = AppSpec("server", interfaces=(Interface("nat", (Rule((("protocol", "tcp"), ("lport", "8443")),
                                                                  portmap=443),)),))
    world = _world(_client((ANY,)), mapped)
    assert set(_outcomes(world)) == {"delivered"}
    unmapped = AppSpec("server", interfaces=(Interface("nat", (ANY,)),))
    assert set(_outcomes(_world(_client((ANY,)), unmapped))) == {"no_port_map"}


def test_without_rules_eve_drops_the_senders_traffic_on_the_way_out() -> None:
    server = AppSpec("server", interfaces=(Interface("lan", (ANY,)),))
    world = _world(_client((), "lan"), server)
    assert set(_outcomes(world)) == {"dropped_out"}
    assert not any(dev.appnet.table for dev in world.devices), "drops on a switch instance are not logged"


def test_the_receivers_rules_decide_coming_in_and_both_ends_keep_the_connection() -> None:
    only_https = Rule((("protocol", "tcp"), ("lport", "443")))
    server = AppSpec("server", interfaces=(Interface("lan", (only_https,)),))
    assert set(_outcomes(_world(_client((ANY,), "lan", port=8080), server))) == {"dropped_in"}
    world = _world(_client((ANY,), "lan", port=443), server)
    assert set(_outcomes(world)) == {"delivered"}
    server_dev = world.devices[-1]
    inbound = [f for f in server_dev.appnet.table if f.inbound]
    # as EVE's FlowRec: the app's side is the source, also for a connection coming in
    assert inbound and all((f.src, f.src_port, f.action, f.ace_id, f.rx_bytes, f.tx_bytes) ==
                           ("172.17.0.3", 443, "accept", 1, 4096, 1024) for f in inbound)


def test_a_finished_connection_stays_visible_for_150_seconds() -> None:
    table = AppNet()
    flow = fx.Flow("a", "eth0", "1.1.1.1", 1, "2.2.2.2", 2, 6, False, 0, "accept", 100.0, 110.0, 1, 1, 1, 1)
    table.keep(flow)
    assert table.collect(105.0) == ()
    assert table.collect(200.0) == (flow,) == table.collect(259.0), "seen by two collections, as in EVE"
    assert table.collect(261.0) == () and table.table == []


def test_app_traffic_takes_its_share_of_the_ports_bandwidth_from_downloads() -> None:
    heavy = AppSpec("client", interfaces=(Interface("nat", (ANY,)),),
                    traffic=(Traffic("client", "server", 8443, every=1.0, send_bytes=5_000_000),))
    spec = WorldSpec(seed=4, groups=(Group("client", 1, apps=("client",)),), apps=(heavy,),
                     network_instances=(NAT,))
    world = World(spec)
    world.start()
    world.run(600)
    (device,) = world.devices
    assert device.nics.app_bps == {"eth0": pytest.approx((5_000_000 + 1024) * 8.0)}
    assert set(_outcomes(world)) == {"no_peer"}
    shared = download._chunk_delay(device, 10_000_000, 0)
    device.nics.app_bps = {}
    alone = download._chunk_delay(device, 10_000_000, 0)
    assert shared is not None and alone is not None
    assert shared - alone > 5.0, "40 of the port's 50 Mbit/s are the app's: about 8 s instead of 1.6 s"
    assert appnet.switch_address(device, fx.Vif("a", "x", "eth0", "n", "switch", ("eth1",), "nbu1x3", "eth1",
                                                "", "", (), True)) == "172.19.0.1"


def test_the_controller_keeps_flow_messages_and_network_instance_info() -> None:
    server = AppSpec("server", interfaces=(Interface("lan", (ANY,)),))
    world = _world(_client((ANY,), "lan", port=443), server)
    device = world.devices[0]
    kept = world.core.store.series("flowlog", device.uuid)
    assert kept, "the controller stored the device's flow messages"
    message = pb.flowlog.FlowMessage.FromString(kept[-1].data)
    assert message.devId == device.uuid and message.flows and message.scope.intf == "eth0"
    infos = [pb.info.ZInfoMsg.FromString(i.data) for i in world.core.store.latest_info(device.uuid)]
    (ni,) = {i.niinfo.displayname: i.niinfo for i in infos if i.ztype == pb.info.ZiNetworkInstance}.values()
    assert (ni.state, ni.activated, list(ni.ports), ni.bridgeName) == (pb.info.ZNETINST_STATE_ONLINE, True,
                                                                      ["eth1"], "eth1")
    apps = [i.ainfo for i in infos if i.ztype == pb.info.ZiApp and i.ainfo.network]
    assert apps and apps[-1].network[0].devName == "eth0" and apps[-1].network[0].localName == "nbu1x1"
