"""From a validated ``Scenario`` to a ``World`` ready to run."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from evesim.api.envelope import CryptoMode
from evesim.controller.appnet import Interface, NetworkInstance, Rule
from evesim.net import topology
from evesim.net.link import LinkParams
from evesim.scenario import model
from evesim.sim.appnet import Traffic
from evesim.sim.service import FaultRule
from evesim.sim.sharding import Shard
from evesim.sim.world import AppSpec, Group, ImageSpec, PortSpec, ProxySpec, World, WorldSpec

DEFAULT_SUBNET = "10.1.0.0/24"
"""A local network instance's subnet when the scenario gives none."""


def link(spec: model.Link) -> LinkParams:
    """Network-layer link parameters from the scenario's."""
    return LinkParams(latency_s=spec.latency, jitter_s=spec.jitter, bandwidth_bps=spec.bandwidth, loss=spec.loss,
                      loss_down=spec.loss_down)


def fault_rule(spec: model.FaultRule, start: float = 0.0, end: float | None = None) -> FaultRule:
    """A controller fault rule, its window shifted to start at ``start`` if given."""
    begin = spec.start + start
    stop = end if end is not None else (spec.end + start if spec.end is not None else float("inf"))
    return FaultRule(spec.action, spec.method, spec.path, spec.status, spec.delay, spec.count, begin, stop)


def _topology(net: model.Network, seed: int) -> Callable[[list[str], dict[str, str]], nx.Graph]:
    """The network builder the world calls with its device names and where each attaches."""
    access, wan = link(net.access), link(net.wan)
    if net.topology == "tree":
        return lambda names, where: topology.tree(names, net.sites, access, link(net.uplink), wan, where)
    if net.topology == "mesh":
        return lambda names, where: topology.mesh(names, net.routers, net.degree, seed, access,
                                                  link(net.backbone), wan, where)
    return lambda names, where: topology.star(names, access, wan, where)


def world_spec(scenario: model.Scenario, seed: int | None = None) -> WorldSpec:
    """The world a scenario describes (``seed`` overrides the scenario's)."""
    seed = scenario.seed if seed is None else seed
    return WorldSpec(
        seed=seed,
        groups=tuple(Group(g.name, g.count, g.board, g.version, dict(g.config_items), g.attach, tuple(g.apps),
                           tuple(PortSpec(p.name, p.cost, p.mgmt, p.attach, link(p.link) if p.link else None)
                                 for p in g.ports), g.proxy or "", g.proxy_ca, g.pac or "", g.wpad)
                     for g in scenario.fleet),
        proxies=tuple(ProxySpec(p.name, tuple(p.attach), link(p.link) if p.link else None, p.intercepts, p.pac or "")
                      for p in scenario.network.proxies),
        images=tuple(ImageSpec(i.version, i.size, frozenset(i.defects)) for i in scenario.images),
        apps=tuple(AppSpec(a.name, a.size, a.memory // 1024, a.vcpus, frozenset(a.defects),
                           tuple(Interface(i.network, tuple(Rule(r.matches(), r.drop, r.portmap or 0)
                                                                for r in i.acl)) for i in a.interfaces),
                           tuple(Traffic(a.name, t.to, t.port, t.protocol, t.every, t.bytes, t.reply)
                                 for t in a.traffic))
                   for a in scenario.apps),
        network_instances=tuple(NetworkInstance(n.name, n.kind, n.port,
                                                n.subnet or (DEFAULT_SUBNET if n.kind == "local" else ""), n.flowlog)
                                for n in scenario.network_instances),
        crypto=CryptoMode(scenario.crypto),
        fixes=frozenset(scenario.fixes),
        config_items=dict(scenario.config_items),
        workers=scenario.controller.workers,
        cells=scenario.controller.cells,
        service_time_s=scenario.controller.service_time,
        datastore_bps=scenario.network.datastore_bandwidth,
        dhcp_lease_s=scenario.network.dhcp_lease,
        power_on_spread_s=scenario.power_on_spread,
        access=link(scenario.network.access),
        wan=link(scenario.network.wan),
        topology=_topology(scenario.network, seed),
        require_integrity_token=scenario.controller.require_integrity_token,
        controller_policy=scenario.controller.policy,
    )


def world(scenario: model.Scenario, seed: int | None = None, shard: Shard = Shard()) -> World:
    """Build the world (or one shard of it), with the controller's standing fault rules armed."""
    built = World(world_spec(scenario, seed), shard)
    built.controller.rules.extend(fault_rule(rule) for rule in scenario.controller.faults)
    return built
