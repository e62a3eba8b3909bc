"""The ``FetchPac`` effect on a simulated device: a site's WPAD server (a proxy of the network with a PAC file)
answers ``http://wpad.<router>.lan/wpad.dat`` (and ``http://<proxy>/...``) over a direct path.

EVE: ``pkg/pillar/controllerconn/proxy.go`` ``getPacFile``: direct, 15 s at most; the answer must be
``application/x-ns-proxy-autoconfig`` (the simulated server always sends that).
"""

from __future__ import annotations

import base64
from collections.abc import Generator
from typing import Any
from urllib.parse import urlsplit

import simpy

from evesim.agent import effects as fx
from evesim.sim.ports import AgentHost
from evesim.sim.transport import DNS_TIMEOUT_S

FETCH_TIMEOUT_S = 15.0
"""``getPacFile``'s ``NetworkSendTimeout``."""


def fetch_pac(dev: AgentHost, eff: fx.FetchPac) -> Generator[simpy.Event, Any, fx.PacFetched]:
    """GET the PAC file at ``eff.url`` over port ``eff.port``, directly."""
    env, net = dev.world.env, dev.world.net
    host = urlsplit(eff.url).hostname or ""
    if dev.nics.address(net, eff.port) is None:
        yield env.timeout(0.0)
        return fx.PacFetched(None, f"interface {eff.port}: no suitable IP address")
    if "dns" in dev.nics.faults:
        yield env.timeout(DNS_TIMEOUT_S)
        return fx.PacFetched(None, f"dial tcp: lookup {host}: i/o timeout")
    served = dev.world.wpad.get(host)
    if served is None:
        yield env.timeout(0.01)
        return fx.PacFetched(None, f"dial tcp: lookup {host}: no such host")
    server, pac_js = served
    stats = net.path(dev.nics.nodes[eff.port], server)
    if stats is None:
        yield env.timeout(FETCH_TIMEOUT_S)
        return fx.PacFetched(None, "context deadline exceeded")
    yield env.timeout(4 * stats.latency_s)
    return fx.PacFetched(base64.b64encode(pac_js.encode()).decode())
