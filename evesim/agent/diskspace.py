"""volumemgr's remaining-space report: what is left on ``/persist`` for volumes and content trees.

As EVE's ``diskMetricsTimerTask`` and ``getRemainingDiskSpace`` (``pkg/pillar/cmd/volumemgr/handlediskmetrics.go``,
``sizemgmt.go``) with ``Dom0DiskReservedSize`` (``pkg/pillar/diskmetrics/usage.go``): at start, then every
[0.3, 1.0] × ``timer.metric.diskscan.interval``. nodeagent enters maintenance mode when it reaches 0.
Simplification: an app's volume counts as its image size once the volume exists.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.configitems import GlobalConfig

VOLUMES = "/persist/vault/volumes/"
"""Where domainmgr keeps its volume records (``evesim.agent.domainmgr`` imports this one)."""


def dom0_reserved(config: GlobalConfig, total: int, used_by_dom0: int) -> int:
    """The space kept for EVE itself: the larger of its current use and its configured share, plus the log."""
    # EVE: pkg/pillar/diskmetrics/usage.go Dom0DiskReservedSize adds newlog.gzipfiles.ondisk.maxmegabytes as bytes,
    # not megabytes (2048 bytes by default)
    newlog = config.int("newlog.gzipfiles.ondisk.maxmegabytes")
    share = int(total * config.int("storage.dom0.disk.minusage.percent") * 0.01)
    static = config.int("storage.dom0.disk.maxusagebytes")
    if static < used_by_dom0:
        return newlog + used_by_dom0
    return newlog + (static if share > static else share)


def remaining(config: GlobalConfig, usage: fx.DiskUsage, apps: int) -> int | None:
    """``getRemainingDiskSpace``: bytes left for volumes and content trees (0 when none); None when EVE's reserve
    alone exceeds the disk, which EVE treats as an error and does not publish."""
    used_by_dom0 = max(usage.used - apps, 0)
    reserved = dom0_reserved(config, usage.total, used_by_dom0)
    if usage.total < reserved:
        return None
    return max(usage.total - reserved - apps, 0)


def _app_usage() -> Generator[Any, Any, int]:
    """Bytes held by the apps' volumes: the image size of each configured app whose volume exists."""
    volumes = set((yield fx.ListFiles(VOLUMES)))
    configs = (yield fx.Read(topics.APP_CONFIG)) or ()
    return sum(app.image_size for app in configs if app.uuid in volumes)


def run() -> Generator[Any, Any, None]:
    """Publish the remaining space now and at each disk-scan tick."""
    while True:
        config = yield from topics.global_config()
        usage = yield fx.PersistUsage()
        left = remaining(config, usage, (yield from _app_usage()))
        if left is not None and left != (yield fx.Read(topics.VOLUMEMGR_STATUS)):
            yield fx.Publish(topics.VOLUMEMGR_STATUS, left)
        # EVE: pkg/pillar/cmd/volumemgr/handlediskmetrics.go diskMetricsTimerTask: a range ticker of [0.3, 1.0] ×
        # the interval
        draw = yield fx.Random("diskscan")
        yield fx.Sleep(config.int("timer.metric.diskscan.interval") * (0.3 + 0.7 * draw))
