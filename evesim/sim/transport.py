"""Carrying a device's requests over the simulated network to the controller and datastores."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from evesim.agent import effects as fx
from evesim.agent.dpc import bypassed
from evesim.api import pac
from evesim.api.pac import PacError
from evesim.api.vocab import TransportError
from evesim.net.network import Network, PathStats, joined, transfer
from evesim.net.topology import CONTROLLER
from evesim.sim.ports import Networked

HTTP_OVERHEAD_BYTES = 600
"""Headers, TLS records and TCP/IP framing added to each request and each response."""
SERVER_HOST = "controller.evesim.test"
"""The controller's host name as devices know it (``/config/server``), matched against proxy exceptions."""
DATASTORE_HOST = "datastore.evesim.test"
"""The datastores' host name in image URLs, matched against proxy exceptions."""
DNS_TIMEOUT_S = 5.0
"""How long a lookup waits for a DNS server that does not answer (the resolver's default)."""
DIAL_TIMEOUT_S = 10.0
"""EVE's ``timer.dial.timeout``: a TCP connect with no answer fails after this long."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """How long a request takes from the device's point of view, and what it gets."""

    delay_s: float
    response: fx.Response


def _fail(delay: float, error: TransportError) -> Exchange:
    return Exchange(delay, fx.Response(None, error=error))


def exchange(device: Networked, request: fx.Request) -> Exchange:
    """Send one request to the controller over the device's ports and bring back its answer (or a transport error).

    As EVE's ``SendOnAllIntf``: the ports are tried in turn until one gets a success; a 403 stops at once; otherwise
    the last HTTP answer (or the last transport error) is what the caller gets, after all the time spent.
    """
    image = device.boot.running_image
    if image is not None and "no_controller" in image.defects:
        return _fail(DIAL_TIMEOUT_S, "timeout")
    spent = 0.0
    answer: fx.Response | None = None
    error: fx.Response | None = None
    for route in device.nics.order(request.via):
        out = _over(device, route, request, spent)
        spent += out.delay_s
        if out.response.ok or out.response.status == 403:
            return Exchange(spent, out.response)
        if out.response.status is not None:
            answer = out.response
        else:
            error = out.response
    return Exchange(spent, answer or error or fx.Response(None, error="unreachable"))


def _over(device: Networked, route: fx.Route, request: fx.Request, start: float) -> Exchange:
    """One attempt over ``route``'s port (through its proxy if it has one), starting ``start`` seconds from now."""
    world = device.world
    address = device.nics.address(world.net, route.name)
    if address is None:
        return _fail(0.0, "unreachable")
    faults = device.nics.faults
    if not route.gateway:
        return _fail(0.0, "unreachable")  # a static port without a gateway has no default route
    if "dns" in faults or not route.dns:
        return _fail(min(DNS_TIMEOUT_S, request.timeout), "dns")
    stats, error = path(world.net, device.nics.nodes[route.name], route, address=address)
    if stats is None:
        return _fail(min(DIAL_TIMEOUT_S, request.timeout) if error == "timeout" else 0.0, error)
    if untrusted(world.net, route, address):
        return _fail(min(3 * stats.latency_s, request.timeout), "cert_unknown_authority")
    rng = device.rng("net")
    body = request.body or b""
    sent = len(body) + HTTP_OVERHEAD_BYTES
    if sent > faults.get("mtu", sent):
        return _fail(request.timeout, "timeout")  # its large segments vanish: the request never arrives whole
    up = transfer(stats, sent, rng, request.timeout)
    device.telemetry.tx_bytes += sent
    device.nics.traffic[route.name] += sent
    if up.error:
        return _fail(up.delay_s, up.error)
    now = world.env.now + start
    served = world.controller.serve(now + up.delay_s, request.method, request.path, body, device.cell)
    reply = served.reply
    if reply is None:
        return _fail(served.done_at - now + stats.latency_s, served.error or "reset")
    received = len(reply.body) + HTTP_OVERHEAD_BYTES
    down = transfer(stats, received, rng, request.timeout, back=True)
    total = served.done_at - now + down.delay_s
    if down.error or total > request.timeout or received > faults.get("mtu", received):
        return _fail(request.timeout, "timeout")
    device.telemetry.rx_bytes += received
    device.nics.traffic[route.name] += received
    return Exchange(total, fx.Response(reply.status, reply.body, reply.content_type))


def untrusted(net: Network, route: fx.Route, address: str, host: str = SERVER_HOST) -> bool:
    """The port's proxy inspects TLS with a CA the port's config does not give: the handshake fails as EVE's does,
    ``x509: certificate signed by unknown authority``."""
    if not route.proxy and not route.pac:
        return False
    proxy_at = proxy_for(route, host, address)
    if not proxy_at:
        return False
    ca = net.inspecting_ca(proxy_at.rpartition(":")[0] or proxy_at)
    return bool(ca) and ca not in route.trusted


def proxy_for(route: fx.Route, host: str, address: str) -> str | None:
    """The proxy (``host:port``) a request to ``host`` goes through over ``route``'s port, "" for none: its PAC file's
    answer if it has one (None if the file fails), else its proxy unless ``host`` is one of its exceptions (EVE's
    ``LookupProxy``)."""
    if route.pac:
        try:
            return pac_proxy(route.pac, host, address)
        except PacError:
            return None
    return "" if not route.proxy or bypassed(host, route.exceptions) else route.proxy


ADDRESSES = {SERVER_HOST: "203.0.113.10", DATASTORE_HOST: "203.0.113.20"}
"""What the simulated DNS answers for the controller and the datastore (a PAC file may look them up)."""


def resolve(name: str) -> str | None:
    """The simulated DNS: the controller's and datastore's addresses; no other name resolves."""
    return ADDRESSES.get(name)


@lru_cache(maxsize=4096)
def pac_proxy(pac_b64: str, host: str, address: str) -> str:
    """The proxy a port's PAC file gives for ``https://host/`` from ``address`` ("" for DIRECT); ``PacError``."""
    return pac.proxy_for(pac.decode(pac_b64), f"https://{host}/", host, resolve, address)


def path(net: Network, node: str, route: fx.Route, target: str = CONTROLLER,
         host: str = SERVER_HOST, address: str = "") -> tuple[PathStats | None, TransportError]:
    """The path from a port's node to ``target`` (named ``host``), through the port's proxy unless ``host`` is one of
    its exceptions; None and why when there is none (no route: a timeout; a proxy that cannot reach it: ``proxy``)."""
    proxy_at = proxy_for(route, host, address) if route.proxy or route.pac else ""
    if proxy_at is None:
        # EVE: pkg/pillar/controllerconn/send.go prepareHTTPClientConfig goes direct when LookupProxy fails; a
        # download (pkg/pillar/cmd/downloader) fails instead
        if host != SERVER_HOST:
            return None, "proxy"
        proxy_at = ""
    if not proxy_at:
        return net.path(node, target), "timeout"
    proxy = proxy_at.rpartition(":")[0] or proxy_at
    to_proxy = net.path(node, proxy) if net.is_proxy(proxy) else None
    if to_proxy is None:
        return None, "timeout"
    onwards = net.path(proxy, target)
    return (None, "proxy") if onwards is None else (joined(to_proxy, onwards), "timeout")
