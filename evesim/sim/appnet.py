"""Apps' networks on simulated devices: the interfaces zedrouter set up, the traffic apps make between devices,
the firewall verdicts on both ends, and the connection table EVE's flow collector reads.

An app with ``traffic`` opens a connection to the nearest running instance of another app every interval. The
connection leaves through its interface's instance (a local instance NATs it out of a port with an address; a
switch instance bridges it onto its port's network), crosses the world's network, and reaches the peer directly
on a switch instance or through a port map on a local one. The sender's rules decide going out and the peer's
coming in, as EVE applies an adapter's rules both ways (``pkg/pillar/nireconciler/linux_acl.go``); with none, EVE
drops everything. Each end keeps the connection in its table for 150 s after it ends (conntrack's extra timeout
in EVE's ``02-eve.conf``), so that a collection may see it twice, as EVE's may. A connection dropped by a switch
instance's rules is not kept (EVE does not log those).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import simpy

from evesim.agent import effects as fx
from evesim.agent import netinst
from evesim.agent.domainmgr import domain_name
from evesim.net.network import Network, PathStats
from evesim.sim.nics import Nics

EXTRA_TIMEOUT_S = 150.0
"""How long a finished connection stays visible to the flow collector."""
MSS = 1448
PROTOCOLS = {"tcp": 6, "udp": 17}
Outcome = Literal["delivered", "dropped_out", "dropped_in", "no_route", "no_port_map", "no_peer", "no_address"]


@dataclass(frozen=True, slots=True)
class Traffic:
    """Connections app ``app`` opens: to the nearest running ``to``, on ``port``, every ``every`` seconds."""

    app: str
    to: str
    port: int
    protocol: Literal["tcp", "udp"] = "tcp"
    every: float = 60.0
    send_bytes: int = 4096
    reply_bytes: int = 1024


class Host(Protocol):
    """A device as its apps' traffic sees it."""

    @property
    def name(self) -> str: ...
    @property
    def index(self) -> int: ...
    @property
    def nics(self) -> Nics: ...
    @property
    def env(self) -> simpy.Environment: ...
    @property
    def appnet(self) -> AppNet: ...

    def running(self, domain: str) -> bool: ...
    def wall(self) -> float: ...
    def record(self, agent: str, kind: Any, fields: Mapping[str, Any] | None = None, severity: Any = "info") -> None:
        ...
    def spawn(self, body: Generator[simpy.Event, Any, Any]) -> simpy.Process: ...


@dataclass
class Mesh:
    """The world's app traffic: what each app sends, and where each app has interfaces."""

    net: Network
    traffic: Mapping[str, tuple[Traffic, ...]] = field(default_factory=dict)
    instances: dict[str, list[Host]] = field(default_factory=dict)

    def attached(self, host: Host, vifs: tuple[fx.Vif, ...]) -> None:
        """Note where ``host`` now has app interfaces (device order kept, so peers are chosen the same each run)."""
        names = {v.app_name for v in vifs}
        for app, hosts in self.instances.items():
            if host in hosts and app not in names:
                hosts.remove(host)
        for app in sorted(names):
            hosts = self.instances.setdefault(app, [])
            if host not in hosts:
                hosts.append(host)
                hosts.sort(key=lambda h: h.index)


@dataclass
class AppNet:
    """A device's app interfaces on this boot and its connection table."""

    vifs: tuple[fx.Vif, ...] = ()
    table: list[fx.Flow] = field(default_factory=list)
    next_port: int = 32768
    senders: set[tuple[str, str, int]] = field(default_factory=set)

    def forget(self) -> None:
        """A reset: no interfaces, an empty table, no traffic."""
        self.vifs, self.table, self.senders = (), [], set()

    def ephemeral(self) -> int:
        port = self.next_port
        self.next_port = 32768 + (self.next_port - 32767) % 28232
        return port

    def keep(self, flow: fx.Flow) -> None:
        self.table.append(flow)

    def collect(self, now: float) -> tuple[fx.Flow, ...]:
        """Connections that ended at most 150 s ago (older ones leave the table)."""
        self.table = [f for f in self.table if f.end >= now - EXTRA_TIMEOUT_S]
        return tuple(f for f in self.table if f.end <= now)


def apply(host: Host, mesh: Mesh, vifs: tuple[fx.Vif, ...]) -> None:
    """``ApplyAppNetwork``: take the interfaces, start the traffic of apps that have one, and count its average rate
    against the port it leaves from (downloads over that port get the rest of its bandwidth)."""
    host.appnet.vifs = vifs
    mesh.attached(host, vifs)
    host.nics.app_bps = {}
    for vif in vifs:
        specs = mesh.traffic.get(vif.app_name, ())
        if specs and vif.ports:
            rate = sum((s.send_bytes + s.reply_bytes) * 8.0 / s.every for s in specs)
            host.nics.app_bps[vif.ports[0]] = host.nics.app_bps.get(vif.ports[0], 0.0) + rate
        for index, spec in enumerate(specs):
            key = (vif.app, vif.adapter, index)
            if key not in host.appnet.senders:
                host.appnet.senders.add(key)
                host.spawn(_send(host, mesh, key, spec))


def _send(host: Host, mesh: Mesh, key: tuple[str, str, int], spec: Traffic) -> Generator[simpy.Event, Any, None]:
    """One connection every ``spec.every`` while the interface ``key`` names exists and its app runs."""
    app, adapter, _ = key
    while True:
        yield host.env.timeout(spec.every)
        vif = next((v for v in host.appnet.vifs if (v.app, v.adapter) == (app, adapter)), None)
        if vif is None:
            host.appnet.senders.discard(key)
            return
        if host.running(domain_name(vif.app_name, vif.app)):
            connect(host, mesh, vif, spec)


def connect(host: Host, mesh: Mesh, vif: fx.Vif, spec: Traffic) -> Outcome:
    """Open one connection from ``vif`` as ``spec`` says; record it on both ends and log its outcome."""
    outcome, peer = _connect(host, mesh, vif, spec)
    host.record("app", "app_flow", {"app": vif.app_name, "to": spec.to, "peer": peer.name if peer else "",
                                    "port": spec.port, "outcome": outcome},
                "info" if outcome == "delivered" else "warning")
    return outcome


def _connect(host: Host, mesh: Mesh, vif: fx.Vif, spec: Traffic) -> tuple[Outcome, Host | None]:
    out = _egress(mesh.net, host, vif)
    if out is None:
        return "no_address", None
    node, source = out
    found = _peer(host, mesh, node, spec.to)
    if found is None:
        return "no_peer", None
    peer, peer_vif, stats = found
    proto = PROTOCOLS[spec.protocol]
    sport = host.appnet.ephemeral()
    target, local_port = _ingress_address(mesh.net, peer, peer_vif, spec.port)
    flow = (source, sport, target or "", spec.port, proto)
    action, ace = netinst.verdict(vif.acls, target or "", peer_vif.app_name, spec.protocol, spec.port, sport)
    start = host.wall()
    if action == "drop":
        _keep(host, vif, flow, False, ace, "drop", start, start, (spec.send_bytes, 0))
        return "dropped_out", peer
    if stats is None or target is None:
        _keep(host, vif, flow, False, ace, "accept", start, start, (spec.send_bytes, 0))
        return "no_route", peer
    end = start + 2 * stats.latency_s + (spec.send_bytes + spec.reply_bytes) * 8.0 / stats.bandwidth_bps
    if local_port is None:
        _keep(host, vif, flow, False, ace, "accept", start, end, (spec.send_bytes, 0))
        return "no_port_map", peer
    mapped = peer_vif.kind == "local"
    in_action, in_ace = netinst.verdict(peer_vif.acls, source, vif.app_name, spec.protocol, sport,
                                        spec.port if mapped else local_port, portmaps=mapped)
    peer_flow = (peer_vif.ip or target, local_port, source, sport, proto)
    if in_action == "drop":
        _keep(peer, peer_vif, peer_flow, True, in_ace, "drop", start, end, (0, spec.send_bytes))
        _keep(host, vif, flow, False, ace, "accept", start, end, (spec.send_bytes, 0))
        return "dropped_in", peer
    _keep(peer, peer_vif, peer_flow, True, in_ace, "accept", start, end, (spec.reply_bytes, spec.send_bytes))
    _keep(host, vif, flow, False, ace, "accept", start, end, (spec.send_bytes, spec.reply_bytes))
    _count(host, vif, spec.send_bytes + spec.reply_bytes)
    _count(peer, peer_vif, spec.send_bytes + spec.reply_bytes)
    return "delivered", peer


def _egress(net: Network, host: Host, vif: fx.Vif) -> tuple[str, str] | None:
    """The node the interface's traffic enters the network at, and the address it comes from (a local instance's
    port address after NAT; a switch interface's own); None without one."""
    for port in vif.ports:
        address = host.nics.address(net, port)
        if address is not None:
            return host.nics.nodes[port], address if vif.kind == "local" else switch_address(host, vif)
    return None


def _peer(host: Host, mesh: Mesh, node: str, app: str) -> tuple[Host, fx.Vif, PathStats | None] | None:
    """The running instance of ``app`` nearest (lowest latency) to ``node``; unreachable ones last."""
    best: tuple[float, int, Host, fx.Vif, PathStats | None] | None = None
    for peer in mesh.instances.get(app, ()):
        if peer is host:
            continue
        for vif in peer.appnet.vifs:
            if vif.app_name != app or not peer.running(domain_name(vif.app_name, vif.app)):
                continue
            entry = _ingress_node(mesh.net, peer, vif)
            stats = mesh.net.path(node, entry) if entry is not None else None
            rank = (stats.latency_s if stats is not None else float("inf"), peer.index)
            if best is None or rank < best[:2]:
                best = (*rank, peer, vif, stats)
    return None if best is None else (best[2], best[3], best[4])


def _ingress_node(net: Network, peer: Host, vif: fx.Vif) -> str | None:
    return next((peer.nics.nodes[p] for p in vif.ports if peer.nics.address(net, p) is not None), None)


def _ingress_address(net: Network, peer: Host, vif: fx.Vif, port: int) -> tuple[str | None, int | None]:
    """Where a connection to ``port`` of ``vif``'s app is sent (None: nowhere, the peer's ports have no address) and
    the port the app gets it on: a switch interface's own address and port; on a local instance the device port's
    address, forwarded by a port map to the app's port (None without one)."""
    if vif.kind == "switch":
        return switch_address(peer, vif), port
    mapped = next((rule for rule in vif.acls if rule.action == "portmap" and not rule.error and
                   ("lport", str(port)) in rule.matches), None)
    address = next((a for p in vif.ports if (a := peer.nics.address(net, p)) is not None), None)
    return address, mapped.app_port if mapped is not None else None


def switch_address(host: Host, vif: fx.Vif) -> str:
    """The address a switch interface leases from its network's DHCP server: by device and app number (apps 16
    apart on one device share one, a simplification)."""
    app_number = int(vif.name.rpartition("x")[2])
    return f"172.{16 + app_number % 16}.{host.index // 256 % 256}.{host.index % 256 + 1}"


def _keep(host: Host, vif: fx.Vif, flow: tuple[str, int, str, int, int], inbound: bool, ace: int, action: str,
          start: float, end: float, sizes: tuple[int, int]) -> None:
    """Add a connection to ``host``'s table (not one a switch instance dropped: EVE does not log those)."""
    if action == "drop" and vif.kind == "switch":
        return
    tx, rx = sizes
    host.appnet.keep(fx.Flow(vif.app, vif.adapter, *flow, inbound, ace, "drop" if action == "drop" else "accept",
                             start, end, tx, -(-tx // MSS) + 1 if tx else 0, rx, -(-rx // MSS) + 1 if rx else 0))


def _count(host: Host, vif: fx.Vif, nbytes: int) -> None:
    port = next((p for p in vif.ports if p in host.nics.traffic), None)
    if port is not None:
        host.nics.traffic[port] += nbytes
