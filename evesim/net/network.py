"""Routing over up links and what a message experiences on its path.

Simplification: a message's fate is drawn per exchange, not per packet: one-way delay is
the path latency plus jitter plus size over the bottleneck bandwidth; each loss costs a
TCP retransmission timeout (1 s, doubling) and too many losses time the exchange out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import networkx as nx

from evesim.net.link import Link

TransferError = Literal["timeout"]
"""Why a one-way transfer failed (a narrowing of ``evesim.api.vocab.TransportError``)."""

RTO_S = 1.0
MAX_RETRANSMITS = 6


@dataclass(frozen=True, slots=True)
class PathStats:
    """Aggregate of a path: summed latency and jitter, bottleneck bandwidth, combined loss (``loss_down``: back
    towards the path's start, which differs when a device's access link loses more one way)."""

    latency_s: float
    jitter_s: float
    bandwidth_bps: float
    loss: float
    hops: int
    loss_down: float = -1.0

    def __post_init__(self) -> None:
        if self.loss_down < 0.0:
            object.__setattr__(self, "loss_down", self.loss)


@dataclass(frozen=True, slots=True)
class Transfer:
    """Outcome of moving bytes one way: delay, or a failure."""

    delay_s: float
    error: TransferError | None = None


def _latency(u: str, v: str, data: dict) -> float | None:
    link: Link = data["link"]
    return link.params.latency_s + 1e-9 if link.up else None


class Network:
    """A topology with link state, cached routes and per-path statistics."""

    def __init__(self, graph: nx.Graph) -> None:
        self.graph = graph
        self.version = 0
        """Bumped when a link between routers changes; device access links do not bump it."""
        self._routes: dict[tuple[str, str], tuple[int, PathStats | None]] = {}
        self._up_links: dict[str, int] = {node: 0 for node in graph.nodes}
        for a, b, data in graph.edges(data=True):
            if data["link"].up:
                self._up_links[a] += 1
                self._up_links[b] += 1
        self._access: dict[str, tuple[str, Link]] = {
            node: (nbr, graph.edges[node, nbr]["link"])
            for node, kind in graph.nodes(data="kind")
            if kind == "device" and graph.degree(node) == 1
            for nbr in graph.neighbors(node)
        }
        """Devices on a single access link: their router and that link."""
        self._proxies = frozenset(node for node, kind in graph.nodes(data="kind") if kind == "proxy")

    def link(self, a: str, b: str) -> Link:
        """The link between two adjacent nodes; KeyError naming them if there is none."""
        try:
            return self.graph.edges[a, b]["link"]
        except KeyError:
            raise KeyError(f"no link between {a!r} and {b!r}") from None

    def set_up(self, a: str, b: str, up: bool) -> bool:
        """Bring a link up or down; returns whether anything changed."""
        link = self.link(a, b)
        if link.up == up:
            return False
        link.up = up
        if a not in self._access and b not in self._access:
            self.version += 1
        step = 1 if up else -1
        self._up_links[a] += step
        self._up_links[b] += step
        return True

    def access_up(self, node: str) -> bool:
        """True if some link of ``node`` is up (it has carrier)."""
        return self._up_links.get(node, 0) > 0

    def path(self, src: str, dst: str) -> PathStats | None:
        """Stats of the lowest-latency path over up links, None if unreachable (cached).

        A device on one access link goes through its router, so a device's link going up or down
        never invalidates another device's route.
        """
        access = self._access.get(src)
        if access is None:
            return self._path(src, dst)
        router, link = access
        if not link.up:
            return None
        key = (src, dst)
        cached = self._routes.get(key)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        inner = self._path(router, dst)
        stats = None if inner is None else _through(link, inner)
        self._routes[key] = (self.version, stats)
        return stats

    def _path(self, src: str, dst: str) -> PathStats | None:
        key = (src, dst)
        cached = self._routes.get(key)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        stats = self._compute(src, dst)
        self._routes[key] = (self.version, stats)
        return stats

    def inspecting_ca(self, node: str) -> str:
        """The fingerprint of the CA a proxy re-signs TLS with when it inspects it ("" if it does not)."""
        return str(self.graph.nodes[node].get("ca", "")) if node in self._proxies else ""

    def is_proxy(self, node: str) -> bool:
        """True if ``node`` is a proxy of this network."""
        return node in self._proxies

    def _compute(self, src: str, dst: str) -> PathStats | None:
        """The lowest-latency path; traffic does not cross a proxy unless the proxy is an end of it."""
        graph = self.graph
        if self._proxies:
            ends = {src, dst}
            graph = nx.subgraph_view(self.graph, filter_node=lambda n: n in ends or n not in self._proxies)
        try:
            nodes = nx.shortest_path(graph, src, dst, weight=_latency)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return None
        links = [self.graph.edges[a, b]["link"] for a, b in zip(nodes, nodes[1:], strict=False)]
        keep = 1.0
        for link in links:
            keep *= 1.0 - link.params.loss
        return PathStats(
            latency_s=sum(link.params.latency_s for link in links),
            jitter_s=sum(link.params.jitter_s for link in links),
            bandwidth_bps=min(link.params.bandwidth_bps for link in links),
            loss=1.0 - keep,
            hops=len(links),
        )


class Draw(Protocol):
    """Anything with ``random() -> float in [0, 1)``."""

    def random(self) -> float: ...


def _through(link: Link, path: PathStats) -> PathStats:
    """``path`` with ``link`` in front of it."""
    p = link.params
    return PathStats(p.latency_s + path.latency_s, p.jitter_s + path.jitter_s, min(p.bandwidth_bps, path.bandwidth_bps),
                     1.0 - (1.0 - p.loss) * (1.0 - path.loss), path.hops + 1,
                     1.0 - (1.0 - p.loss_towards_device) * (1.0 - path.loss_down))


def joined(first: PathStats, then: PathStats) -> PathStats:
    """Two paths end to end (through a proxy): latencies and jitters add, the narrower bandwidth, both losses."""
    return PathStats(first.latency_s + then.latency_s, first.jitter_s + then.jitter_s,
                     min(first.bandwidth_bps, then.bandwidth_bps), 1.0 - (1.0 - first.loss) * (1.0 - then.loss),
                     first.hops + then.hops, 1.0 - (1.0 - first.loss_down) * (1.0 - then.loss_down))


def transfer(stats: PathStats, nbytes: int, rng: Draw, timeout_s: float, back: bool = False) -> Transfer:
    """One-way delivery of ``nbytes`` along a path (``back`` towards its start)."""
    delay = stats.latency_s + nbytes * 8.0 / stats.bandwidth_bps
    if stats.jitter_s:
        delay += stats.jitter_s * rng.random()
    loss = stats.loss_down if back else stats.loss
    if loss:
        rto = RTO_S
        for _ in range(MAX_RETRANSMITS + 1):
            if rng.random() >= loss:
                break
            delay += rto
            rto *= 2
        else:
            return Transfer(timeout_s, "timeout")
    if delay > timeout_s:
        return Transfer(timeout_s, "timeout")
    return Transfer(delay)
