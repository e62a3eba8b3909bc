"""The ``Download`` effect: a blob from the datastore in chunks over the simulated network, then verified."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from typing import Any

import simpy

from evesim.agent import effects as fx
from evesim.net.topology import DATASTORE
from evesim.sim import transport
from evesim.sim.ports import Downloader
from evesim.sim.transport import DATASTORE_HOST, DIAL_TIMEOUT_S

CHUNKS = 10
"""A download is this many chunks; each shares its cell's part of the datastore with the downloads under way there."""


def download(dev: Downloader, eff: fx.Download) -> Generator[simpy.Event, Any, fx.DownloadResult]:
    """Fetch a blob from the datastore in chunks, then verify its sha256."""
    world = dev.world
    env = dev.env
    image = world.images.get(eff.url)
    if image is None:
        yield env.timeout(0.1)
        return fx.DownloadResult(None, f"404 for {eff.url}")
    chunk = max(image.size_bytes // CHUNKS, 1)
    world.downloads[dev.cell] += 1
    try:
        for _ in range(CHUNKS):
            delay = _chunk_delay(dev, chunk, eff.max_cost)
            if delay is None:
                yield env.timeout(DIAL_TIMEOUT_S)
                return fx.DownloadResult(None, "datastore unreachable")
            yield env.timeout(delay)
    finally:
        world.downloads[dev.cell] -= 1
    if image.content_sha256 != eff.sha256:
        return fx.DownloadResult(None, f"sha256 mismatch: got {image.content_sha256[:12]}, want {eff.sha256[:12]}",
                                 verify_failed=True)
    dev.storage.blobs[eff.url] = image
    return fx.DownloadResult(eff.url)


def _chunk_delay(dev: Downloader, nbytes: int, max_cost: int) -> float | None:
    """Seconds for a chunk over the first applied port cheap enough (``network.download.max.cost``) that has an
    address and a path to the datastore; None if there is none."""
    net = dev.world.net
    for route in dev.nics.order(None, max_cost):
        address = dev.nics.address(net, route.name)
        if address is not None:
            stats, _ = transport.path(net, dev.nics.nodes[route.name], route, DATASTORE, DATASTORE_HOST, address)
            if stats is not None and not transport.untrusted(net, route, address, DATASTORE_HOST):
                dev.nics.traffic[route.name] += nbytes
                load = dev.nics.app_bps.get(route.name, 0.0)
                if load:  # apps' traffic out of this port takes its share of the bandwidth (at most 90%)
                    stats = replace(stats, bandwidth_bps=max(stats.bandwidth_bps - load, stats.bandwidth_bps / 10))
                return dev.world.datastore_chunk_delay(stats, dev.rng("net"), nbytes, dev.cell)
    return None
