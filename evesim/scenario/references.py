"""The names a scenario defines (groups, devices, routers, network nodes, links) and checks of every use of them.

Device names follow the world's ``<group>-00000`` numbering (``evesim.sim.world``); network nodes
are ``controller``, ``datastore``, the routers, the proxies, the devices and their extra ports
(``<device>/<port>``; ``evesim.net.topology``, ``evesim.sim.world``). The checks
read the scenario's parts through the protocols below, so they need not know the scenario model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

Loc = tuple[str | int, ...]
SERVICES = ("controller", "datastore")


class Network(Protocol):
    """A network's shape: its topology and the routers devices attach to."""

    @property
    def topology(self) -> str: ...

    def routers_names(self) -> list[str]: ...

    def default_router(self, index: int) -> str: ...

    def proxy_routers(self) -> dict[str, list[str]]: ...


class Port(Protocol):
    """A device port besides ``eth0``: its name and router."""

    @property
    def name(self) -> str: ...

    @property
    def attach(self) -> str | None: ...


class Group(Protocol):
    """A group of the fleet: its name, size, router and extra ports."""

    @property
    def name(self) -> str: ...

    @property
    def count(self) -> int: ...

    @property
    def attach(self) -> str | None: ...

    @property
    def ports(self) -> Sequence[Port]: ...


class Target(Protocol):
    """The names a target gives: a group and devices."""

    @property
    def group(self) -> str | None: ...

    @property
    def devices(self) -> list[str] | None: ...


class Names:
    """What a scenario's targets and partitions may name, known from the scenario alone."""

    def __init__(self, network: Network, fleet: Sequence[Group]) -> None:
        self.network = network
        self.groups = [g.name for g in fleet]
        self.counts = {g.name: g.count for g in fleet}
        self.attach = {g.name: g.attach for g in fleet}
        self.ports = {g.name: {p.name: p.attach for p in g.ports} for g in fleet}
        self.proxies = network.proxy_routers()
        self.first: dict[str, int] = {}
        total = 0
        for group in fleet:
            self.first[group.name], total = total, total + group.count
        self.routers = self.network.routers_names()

    def group_of(self, device: str) -> str | None:
        """The group of a device name, or None if the fleet has no such device."""
        group, _, number = device.rpartition("-")
        if group not in self.counts or not (number.isascii() and number.isdigit()):
            return None
        index = int(number)
        return group if f"{index:05d}" == number and index < self.counts[group] else None

    def router_of(self, device: str) -> str | None:
        """The router a device's access link goes to (None if the fleet has no such device)."""
        group = self.group_of(device)
        if group is None:
            return None
        return self.attach[group] or self.network.default_router(self.first[group] + int(device.rpartition("-")[2]))

    def is_node(self, name: str) -> bool:
        """True if the network has a node of that name."""
        if name in SERVICES or name in self.routers or name in self.proxies:
            return True
        device, _, port = name.partition("/")
        group = self.group_of(device)
        return group is not None and (not port or port in self.ports[group])

    def port_router(self, node: str) -> str | None:
        """The router a device port's node (``<device>/<port>``) links to."""
        device, _, port = node.partition("/")
        group = self.group_of(device)
        if group is None or port not in self.ports[group]:
            return None
        return self.ports[group][port] or self.router_of(device)

    def link_problem(self, a: str, b: str) -> str | None:
        """Why the network has no link between ``a`` and ``b`` (None if it has one)."""
        for node in (a, b):
            if not self.is_node(node):
                return self.node_problem(node)
        pair = {a, b}
        if pair <= set(self.routers) and self.network.topology == "mesh" and len(pair) == 2:
            return ("the links between a mesh's routers are drawn from the seed, so they cannot be named; "
                    "isolate a router with 'nodes' instead")
        if _adjacent(self, a, b) or _adjacent(self, b, a):
            return None
        return f"no link between {a!r} and {b!r} in this {self.network.topology} network"

    def node_problem(self, name: str) -> str:
        """The error for a node name the network does not have."""
        routers = self.routers if len(self.routers) <= 5 else [*self.routers[:2], "...", self.routers[-1]]
        return (f"no node {name!r} in this {self.network.topology} network (nodes: {', '.join(SERVICES)}, "
                f"{', '.join(routers)} and the devices, e.g. {self.groups[0]}-00000)")

    def target_problems(self, target: Target) -> list[tuple[Loc, str]]:
        """What a target names that the fleet does not have, each with its place inside the target."""
        problems: list[tuple[Loc, str]] = []
        if target.group is not None and target.group not in self.counts:
            problems.append((("group",), f"no group {target.group!r} (groups: {', '.join(self.groups)})"))
        for j, device in enumerate(target.devices or ()):
            group = self.group_of(device)
            if group is None:
                problems.append((("devices", j), f"no device {device!r} (devices are named <group>-00000, "
                                                 "<group>-00001, ...)"))
            elif target.group is not None and group != target.group:
                problems.append((("devices", j), f"device {device!r} is not in group {target.group!r}"))
        return problems


def _adjacent(names: Names, a: str, b: str) -> bool:
    """True if ``a``'s own link (a service's or a tree site's to the core, a device's access link) goes to ``b``."""
    if a in SERVICES or (a.startswith("site-") and a in names.routers):
        return b == "core"
    if a in names.proxies:
        return b in names.proxies[a]
    if "/" in a:
        return names.port_router(a) == b
    return names.router_of(a) == b


def problems(names: Names, targets: Iterable[tuple[Loc, Target]], nodes: Iterable[tuple[Loc, str]] = (),
             links: Iterable[tuple[Loc, tuple[str, str]]] = ()) -> list[tuple[Loc, str]]:
    """Every target, network node and link (each at its place in the scenario) naming what is not there."""
    found = [((*loc, *inner), p) for loc, target in targets for inner, p in names.target_problems(target)]
    found += [(loc, names.node_problem(node)) for loc, node in nodes if not names.is_node(node)]
    found += [(loc, p) for loc, (a, b) in links if (p := names.link_problem(a, b)) is not None]
    return found
