"""Routing over the simulated network: paths, link state, and what a device's link change invalidates."""

from __future__ import annotations

import pytest

from evesim.net import topology
from evesim.net.link import LinkParams
from evesim.net.network import Network, transfer

ACCESS = LinkParams(latency_s=0.01, bandwidth_bps=50e6, loss=0.01)
UPLINK = LinkParams(latency_s=0.005, bandwidth_bps=1e9)
WAN = LinkParams(latency_s=0.02, bandwidth_bps=10e9, loss=0.001)


def _tree() -> Network:
    return Network(topology.tree([f"d{i}" for i in range(6)], 3, ACCESS, UPLINK, WAN))


def test_path_through_access_uplink_and_wan() -> None:
    stats = _tree().path("d0", topology.CONTROLLER)
    assert stats is not None and stats.hops == 3
    assert stats.latency_s == pytest.approx(0.01 + 0.005 + 0.02)
    assert stats.bandwidth_bps == 50e6
    assert stats.loss == pytest.approx(1 - 0.99 * 0.999)


def test_a_device_link_down_cuts_only_that_device_and_keeps_the_others_cached() -> None:
    net = _tree()
    before = {d: net.path(d, topology.CONTROLLER) for d in ("d0", "d1", "d3")}
    version = net.version
    assert net.set_up("d0", "site-0", False)
    assert net.version == version and not net.access_up("d0")
    assert net.path("d0", topology.CONTROLLER) is None
    assert net.path("d3", topology.CONTROLLER) is before["d3"]  # still the cached object
    net.set_up("d0", "site-0", True)
    assert net.path("d0", topology.CONTROLLER) == before["d0"]


def test_a_router_link_down_partitions_its_site() -> None:
    net = _tree()
    assert net.set_up("site-0", topology.CORE, False)
    assert net.path("d0", topology.CONTROLLER) is None and net.path("d3", topology.CONTROLLER) is None
    assert net.path("d1", topology.CONTROLLER) is not None
    assert net.access_up("d0")  # carrier stays: only the uplink is gone


def test_unknown_links_are_named() -> None:
    with pytest.raises(KeyError, match="no link between 'd0' and 'core'"):
        _tree().set_up("d0", topology.CORE, False)


@pytest.mark.parametrize("routers", [2, 3, 8])
def test_mesh_of_any_size_connects_every_device(routers: int) -> None:
    net = Network(topology.mesh([f"d{i}" for i in range(5)], routers, 3, 1, ACCESS, UPLINK, WAN))
    assert all(net.path(f"d{i}", topology.CONTROLLER) is not None for i in range(5))


def test_an_access_link_may_lose_more_towards_the_device_than_from_it() -> None:
    lossy = LinkParams(latency_s=0.01, bandwidth_bps=5e6, loss=0.0, loss_down=0.5)
    net = Network(topology.star(["d0", "d1"], lossy, LinkParams(latency_s=0.02, bandwidth_bps=1e9)))
    stats = net.path("d0", "controller")
    assert stats is not None and (stats.loss, stats.loss_down) == (0.0, 0.5)
    draws = iter([0.0, 0.0] + [0.9] * 20)

    class Seq:
        def random(self) -> float:
            return next(draws)

    up = transfer(stats, 1000, Seq(), 60.0)
    back = transfer(stats, 1000, Seq(), 60.0, back=True)
    assert up.error is None and up.delay_s == pytest.approx(0.03 + 8000 / 5e6)
    assert back.error is None and back.delay_s == pytest.approx(0.03 + 8000 / 5e6 + 1 + 2), "two losses, two RTOs"
    symmetric = Network(topology.star(["d0"], LinkParams(loss=0.2), LinkParams())).path("d0", "controller")
    assert symmetric is not None and symmetric.loss_down == symmetric.loss == pytest.approx(0.2)
