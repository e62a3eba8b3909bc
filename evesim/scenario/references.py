"""The names a scenario defines (groups, devices, routers, network nodes, links) and checks of every use of them.

Device names follow the world's ``<group>-00000`` numbering (``evesim.sim.world``); network nodes
are ``controller``, ``datastore``, the routers and the devices (``evesim.net.topology``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evesim.scenario.model import Scenario, Target

Loc = tuple[str | int, ...]
SERVICES = ("controller", "datastore")


class Names:
    """What a scenario's targets and partitions may name, known from the scenario alone."""

    def __init__(self, scenario: Scenario) -> None:
        self.network = scenario.network
        self.groups = [g.name for g in scenario.fleet]
        self.counts = {g.name: g.count for g in scenario.fleet}
        self.attach = {g.name: g.attach for g in scenario.fleet}
        self.first: dict[str, int] = {}
        total = 0
        for group in scenario.fleet:
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
        return name in SERVICES or name in self.routers or self.group_of(name) is not None

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
    return names.router_of(a) == b


def problems(scenario: Scenario) -> list[tuple[Loc, str]]:
    """Every target, ``when`` target, expectation target, partition node and link naming what is not there."""
    names = Names(scenario)
    found: list[tuple[Loc, str]] = []
    for i, action in enumerate(scenario.timeline):
        targets: list[tuple[Loc, Target | None]] = [(("timeline", i, "target"), getattr(action, "target", None))]
        if action.when is not None:
            targets.append((("timeline", i, "when", "target"), action.when.target))
        found += [((*loc, *inner), p) for loc, target in targets if target is not None
                  for inner, p in names.target_problems(target)]
        if action.action == "partition":
            found += [(("timeline", i, "nodes", j), names.node_problem(n))
                      for j, n in enumerate(action.nodes) if not names.is_node(n)]
            found += [(("timeline", i, "links", j), p)
                      for j, (a, b) in enumerate(action.links) if (p := names.link_problem(a, b)) is not None]
    for i, expectation in enumerate(scenario.expectations):
        found += [(("expectations", i, expectation.kind, "target", *inner), p)
                  for inner, p in names.target_problems(expectation.check.target)]
    return found
