"""Topologies: the graph of devices, switches and routers between them and the controller."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import networkx as nx

from evesim.net.link import Link, LinkParams

CONTROLLER = "controller"
DATASTORE = "datastore"
CORE = "core"


def add_link(graph: nx.Graph, a: str, b: str, params: LinkParams) -> None:
    """Connect two nodes (created if missing) with a link."""
    graph.add_edge(a, b, link=Link(params))


def require_router(graph: nx.Graph, node: str, what: str) -> None:
    """KeyError naming the routers there are if ``node``, where ``what`` is to be attached, is not one of them."""
    if graph.nodes.get(node, {}).get("kind") != "router":
        routers = sorted(n for n, kind in graph.nodes(data="kind") if kind == "router")
        raise KeyError(f"cannot attach {what} to {node!r}: not a router of this network ({', '.join(routers)})")


def backbone(wan: LinkParams) -> nx.Graph:
    """The core router with the controller and the datastore behind it."""
    graph = nx.Graph()
    graph.add_node(CORE, kind="router")
    graph.add_node(CONTROLLER, kind="controller")
    graph.add_node(DATASTORE, kind="datastore")
    add_link(graph, CORE, CONTROLLER, wan)
    add_link(graph, CORE, DATASTORE, wan)
    return graph


def attach(graph: nx.Graph, devices: Sequence[str], default: Callable[[int], str], access: LinkParams,
           where: Mapping[str, str] | None = None) -> nx.Graph:
    """Connect each device by an access link to ``where[device]`` if given, else to ``default(i)``."""
    where = where or {}
    for i, device in enumerate(devices):
        node = where.get(device) or default(i)
        require_router(graph, node, device)
        graph.add_node(device, kind="device")
        add_link(graph, device, node, access)
    return graph


def star(devices: Sequence[str], access: LinkParams, wan: LinkParams,
         where: Mapping[str, str] | None = None) -> nx.Graph:
    """Every device on its own access link straight to the core."""
    return attach(backbone(wan), devices, lambda i: CORE, access, where)


def tree(devices: Sequence[str], sites: int, access: LinkParams, uplink: LinkParams, wan: LinkParams,
         where: Mapping[str, str] | None = None) -> nx.Graph:
    """Devices spread round-robin over ``sites`` site routers (unless placed), each uplinked to the core."""
    if sites < 1:
        raise ValueError("a tree needs at least one site")
    graph = backbone(wan)
    for s in range(sites):
        graph.add_node(f"site-{s}", kind="router")
        add_link(graph, f"site-{s}", CORE, uplink)
    return attach(graph, devices, lambda i: f"site-{i % sites}", access, where)


def mesh(devices: Sequence[str], routers: int, degree: int, seed: int, access: LinkParams,
         backbone_link: LinkParams, wan: LinkParams, where: Mapping[str, str] | None = None) -> nx.Graph:
    """A random connected mesh of routers (one of them the core); devices attach round-robin unless placed."""
    if routers < 2:
        raise ValueError("a mesh needs at least two routers")
    if routers == 2:
        shape = nx.path_graph(2)
    else:
        shape = nx.connected_watts_strogatz_graph(routers, min(max(degree, 2), routers - 1), 0.3, seed=seed)
    graph = backbone(wan)
    names = [CORE] + [f"router-{r}" for r in range(1, routers)]
    graph.add_nodes_from(names[1:], kind="router")
    for a, b in sorted(shape.edges()):
        add_link(graph, names[a], names[b], backbone_link)
    return attach(graph, devices, lambda i: names[i % routers], access, where)
