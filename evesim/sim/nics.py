"""A simulated device's network ports: each on a node of the network of its own, with carrier, a DHCP address,
and the management ports nim applied, which carry controller and datastore traffic."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Literal, Protocol

import simpy

from evesim.agent import dpc, topics
from evesim.agent import effects as fx
from evesim.agent.pubsub import Bus
from evesim.net.network import Network

DHCP_S = 2.0
"""How long a port takes to get an address once it has carrier."""
NetworkFault = Literal["dns", "dhcp", "dhcp_down", "mtu"]
"""What can go wrong on a site's network besides links: its DNS server stops answering, its DHCP server has no
address left to lease (or stops answering, so that leases also run out), or a link on the path drops packets
larger than an MTU without saying so."""
LEASE_S = 86400.0
"""How long a DHCP lease lasts unless the scenario says otherwise."""


class Wired(Protocol):
    """What the ports need from their world: time, the network, and an event when a node's link changes."""

    @property
    def env(self) -> simpy.Environment: ...
    @property
    def net(self) -> Network: ...

    def link_changed(self, node: str) -> simpy.Event: ...


class Nics:
    """The device's ports in their order: the first is the device's own node, the others ``NODE/NAME``."""

    def __init__(self, node: str, names: tuple[str, ...]) -> None:
        self.names = names
        self.nodes = {name: node if i == 0 else f"{node}/{name}" for i, name in enumerate(names)}
        self._addresses: dict[str, str | None] = dict.fromkeys(names)
        self._domains: dict[str, str] = {}
        self.leased_at: dict[str, float] = {}
        """When each port's lease was last granted or renewed (renewals are not modelled one by one: see
        ``expiry``)."""
        self.lease_s = LEASE_S
        self.applied: tuple[fx.Route, ...] = (fx.Route(names[0]),)
        """The management ports nim applied."""
        self.traffic: dict[str, int] = dict.fromkeys(names, 0)
        """Bytes each port carried, both ways (controller exchanges and downloads)."""
        self.faults: dict[NetworkFault, int] = {}
        """Network faults in force and their MTU (bytes; 0 for the others)."""
        self.app_bps: dict[str, float] = {}
        """Apps' average traffic rate out of each port (bit/s), which downloads share the port with."""
        self.fault_count = 0
        """Faults applied so far (a timed one ends only if no later one took its place)."""

    def carrier(self, net: Network, name: str) -> bool:
        return net.access_up(self.nodes[name])

    def address(self, net: Network, name: str) -> str | None:
        """The port's address while it has carrier (its static one if nim applied one, else its lease); None for a
        port the device does not have."""
        if name not in self._addresses or not self.carrier(net, name):
            return None
        static = next((r.static for r in self.applied if r.name == name and r.static), "")
        return static.partition("/")[0] if static else self._addresses[name]

    def links(self, net: Network) -> tuple[fx.Link, ...]:
        return tuple(fx.Link(name, self.carrier(net, name), self.address(net, name), self.domain(net, name))
                     for name in self.names)

    def domain(self, net: Network, name: str) -> str:
        """The DHCP domain of a port's network: ``<router>.lan`` for the router it is linked to."""
        found = self._domains.get(name)
        if found is None:
            found = self._domains[name] = f"{next(iter(net.graph.neighbors(self.nodes[name])), 'none')}.lan"
        return found

    def order(self, via: str | None, max_cost: int | None = None) -> list[fx.Route]:
        """Ports to try, in turn, as nim applied them (``dpc.ports_in_turn``)."""
        return dpc.ports_in_turn(self.applied, via, max_cost)

    def apply(self, routes: tuple[fx.Route, ...]) -> list[str]:
        """Take nim's applied ports; a port that becomes static gives its lease back (EVE runs dhcpcd in static mode
        instead); returns the ports that stopped being static, whose DHCP client must ask again."""
        static = {r.name for r in routes if r.static}
        was = {r.name for r in self.applied if r.static}
        for name in static - was:
            self.expire(name)
        self.applied = routes
        return sorted(was - static)

    def expiry(self, name: str, now: float) -> float | None:
        """When port ``name``'s lease runs out if its DHCP server stops answering now: a DHCP client renews at half
        the lease (RFC 2131's T1, dhcpcd's default), so the last renewal was the latest half-lease mark since it was
        granted. None without a lease."""
        granted = self.leased_at.get(name)
        if granted is None or self._addresses.get(name) is None:
            return None
        half = self.lease_s / 2
        return granted + (now - granted) // half * half + self.lease_s

    def expire(self, name: str) -> bool:
        """The lease of ``name`` ran out: its address goes (True if it had one)."""
        if self._addresses.get(name) is None:
            return False
        self._addresses[name] = None
        self.leased_at.pop(name, None)
        return True

    def _blocked(self) -> bool:
        """No new lease: the site's DHCP pool is empty or its server does not answer."""
        return "dhcp" in self.faults or "dhcp_down" in self.faults

    def forget(self) -> None:
        """Power off: every address is gone, and nim applies its ports again at boot."""
        self._addresses = dict.fromkeys(self.names)
        self.leased_at = {}
        self.applied = (fx.Route(self.names[0]),)

    def dhcp(self, world: Wired, bus: Bus, index: int, name: str) -> Generator[simpy.Event, Any, None]:
        """Acquire an address whenever the port has carrier; drop it when carrier goes."""
        node = self.nodes[name]
        position = self.names.index(name)
        while True:
            if self.carrier(world.net, name) and self._addresses[name] is None and not self._blocked():
                yield world.env.timeout(DHCP_S)
                if self.carrier(world.net, name) and not self._blocked():
                    self._addresses[name] = f"10.{index // 65536 % 256 + 64 * position}.{index // 256 % 256}." \
                                            f"{index % 256 + 1}"
                    self.leased_at[name] = world.env.now
                    bus.publish(topics.LINK, self.links(world.net))
            yield world.link_changed(node)
            if not self.carrier(world.net, name) and self._addresses[name] is not None:
                self._addresses[name] = None
                bus.publish(topics.LINK, self.links(world.net))
