"""HTTP proxies on the simulated network: direct traffic never crosses one; a port configured with one reaches the
controller through it unless the host is an exception; a proxy that is down or cut off from the controller fails
the request the way a real one does."""

from __future__ import annotations

import networkx as nx
import pytest

from evesim.agent import effects as fx
from evesim.agent.dpc import bypassed
from evesim.net import topology
from evesim.net.link import LinkParams
from evesim.net.network import Network
from evesim.sim import transport
from evesim.sim.world import Group, PortSpec, ProxySpec, World, WorldSpec

LINK = LinkParams(latency_s=0.01, bandwidth_bps=1e8)
PROXY = fx.Route("eth0", proxy="proxy-0:3128")


def _office() -> Network:
    """A device at site-0, whose only way to the core is the proxy."""
    graph = topology.tree(["dev"], 1, LINK, LINK, LINK)
    graph.add_node("proxy-0", kind="proxy")
    topology.add_link(graph, "proxy-0", "site-0", LINK)
    topology.add_link(graph, "proxy-0", "core", LINK)
    graph.remove_edge("site-0", "core")
    return Network(graph)


def test_direct_traffic_never_crosses_a_proxy() -> None:
    net = _office()
    assert net.path("dev", topology.CONTROLLER) is None
    stats, error = transport.path(net, "dev", fx.Route("eth0"))
    assert stats is None and error == "timeout"


def test_a_port_with_the_proxy_reaches_the_controller_through_it() -> None:
    net = _office()
    stats, _ = transport.path(net, "dev", PROXY)
    assert stats is not None and stats.hops == 4 and stats.latency_s == pytest.approx(0.04), "dev, site-0, proxy, core"


def test_a_proxy_that_is_down_or_cut_off() -> None:
    net = _office()
    net.set_up("proxy-0", "core", False)
    assert transport.path(net, "dev", PROXY) == (None, "proxy")
    net.set_up("proxy-0", "site-0", False)
    assert transport.path(net, "dev", PROXY) == (None, "timeout")
    assert transport.path(net, "dev", fx.Route("eth0", proxy="proxy-9:3128")) == (None, "timeout"), "no such proxy"


@pytest.mark.parametrize(("exceptions", "direct"), [
    ("", False), ("evesim.test", True), (".evesim.test", True), ("controller.evesim.test", True), ("*", True),
    ("other.test, evesim.test", True), ("test.evesim", False), ("roller.evesim.test", False),
])
def test_exceptions_match_as_gos_no_proxy(exceptions: str, direct: bool) -> None:
    assert bypassed("controller.evesim.test", exceptions) is direct


def test_an_exception_goes_direct() -> None:
    graph = nx.Graph(_office().graph)
    topology.add_link(graph, "site-0", "core", LINK)
    stats, _ = transport.path(Network(graph), "dev", fx.Route("eth0", proxy="proxy-0:3128", exceptions="evesim.test"))
    assert stats is not None and stats.hops == 3


def test_a_group_behind_a_proxy_ships_with_it_and_onboards_through_it() -> None:
    spec = WorldSpec(seed=2, groups=(Group("office", 2, attach="site-0", proxy="proxy-0:3128"),),
                     proxies=(ProxySpec("proxy-0", ("site-0", "core")),), power_on_spread_s=0.0,
                     topology=lambda names, where: topology.tree(names, 1, LINK, LINK, LINK, where))
    world = World(spec)
    world.set_link("site-0", "core", False)
    world.start()
    world.run(900.0)
    assert all(device.uuid for device in world.devices)
    assert all(device.nics.applied == (fx.Route("eth0", proxy="proxy-0:3128"),) for device in world.devices)
    adapters = world.core.config(world.devices[0].uuid).networks[0].entProxy.proxies
    assert [(p.server, p.port) for p in adapters] == [("proxy-0", 3128)]


def test_a_proxy_or_a_port_attached_to_what_is_not_a_router_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match=r"cannot attach proxy proxy-0 to 'nowhere': not a router .*\(core\)"):
        World(WorldSpec(groups=(Group("g", 1),), proxies=(ProxySpec("proxy-0", ("nowhere",)),)))
    with pytest.raises(KeyError, match=r"cannot attach port eth1 of g-00000 to 'controller': not a router"):
        World(WorldSpec(groups=(Group("g", 1, ports=(PortSpec("eth1", attach="controller"),)),)))
