"""zedagent's periodic reporting tasks: device/app info, metrics, controller-cert refresh."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from evesim.agent import certfetch, topics
from evesim.agent import effects as fx
from evesim.agent.configitems import IntItem
from evesim.agent.controllerconn import url
from evesim.agent.zedagent import report
from evesim.agent.zedagent.deferred import Queue
from evesim.agent.zedagent.state import Zedagent

AGENT = "zedagent"
INFO_WATCH = (
    topics.NODE,
    topics.GLOBAL_CONFIG,
    topics.ATTEST,
    topics.NETWORK,
    topics.DPC_LIST,
    topics.BASEOS_STATUS,
    topics.INFO_TRIGGER,
    topics.VAULT,
    topics.MAINTENANCE,
)


def _jittered(z: Zedagent, key: IntItem, lo: float, hi: float, draw: float) -> float:
    return z.config.int(key) * (lo + (hi - lo) * draw)


def device_info(z: Zedagent, queue: Queue) -> Generator[Any, Any, None]:
    """Send ZInfoDevice when what it reports changes, on a new controller epoch, and every
    ``timer.deviceinfo.interval`` ±20%."""
    seen = 0
    last = b""
    last_trigger = None
    now = yield fx.Now()
    # EVE: pkg/pillar/cmd/zedagent/handleconfig.go configTimerTask: tickerInfo ranges over [0.8, 1.2] × the interval
    due = now + _jittered(z, "timer.deviceinfo.interval", 0.8, 1.2, (yield fx.Random("info")))
    while True:
        msg = yield from report.device_info(z)
        content = msg.dinfo.SerializeToString()
        trigger = yield fx.Read(topics.INFO_TRIGGER)
        now = yield fx.Now()
        if content != last or now >= due or trigger != last_trigger:
            last, last_trigger = content, trigger
            yield queue.put("device", url("info", z.uuid), msg.SerializeToString())
            if now >= due:
                due = now + _jittered(z, "timer.deviceinfo.interval", 0.8, 1.2, (yield fx.Random("info")))
        seen = yield fx.Wait(INFO_WATCH, seen, max(due - now, 0.0))


def object_info(z: Zedagent, queue: Queue) -> Generator[Any, Any, None]:
    """Send ZInfoApp for each app, and ZInfoNetworkInstance for each network instance, whose status changed, and for
    all of them on a new controller epoch; for one that is gone, a message with only its ID (EVE's delete:
    ``handleAppInstanceStatusImpl``, ``handleNetworkInstanceImpl``)."""
    seen = 0
    apps: dict[str, topics.AppStatus] = {}
    nis: dict[str, topics.NiStatus] = {}
    last_trigger = None
    while True:
        seen = yield fx.Wait((topics.APP_STATUS, topics.NI_STATUS, topics.INFO_TRIGGER), seen)
        trigger = yield fx.Read(topics.INFO_TRIGGER)
        if trigger != last_trigger:
            last_trigger, apps, nis = trigger, {}, {}
        current = (yield fx.Read(topics.APP_STATUS)) or ()
        wall = yield fx.WallClock()
        info = url("info", z.uuid)
        for app in current:
            if apps.get(app.uuid) != app:
                apps[app.uuid] = app
                yield queue.put(f"app:{app.uuid}", info, report.app_info(z, app, wall).SerializeToString())
        for uuid in sorted(set(apps) - {app.uuid for app in current}):
            del apps[uuid]
            yield queue.put(f"app:{uuid}", info, report.app_gone(z, uuid, wall).SerializeToString())
        statuses = (yield fx.Read(topics.NI_STATUS)) or ()
        for status in statuses:
            if nis.get(status.uuid) != status:
                nis[status.uuid] = status
                yield queue.put(f"ni:{status.uuid}", info, report.ni_info(z, status, wall).SerializeToString())
        for uuid in sorted(set(nis) - {s.uuid for s in statuses}):
            gone = nis.pop(uuid)
            yield queue.put(f"ni:{uuid}", info, report.ni_gone(z, gone, wall).SerializeToString())


def metrics(z: Zedagent) -> Generator[Any, Any, None]:
    """Post ZMetricMsg at start, then every [0.3, 1.0] × ``timer.metric.interval`` (tick to tick); never retried.

    A changed interval takes effect at once, with a metric sent now (EVE's ``updateMetricsTimer``).
    Simplification: EVE holds a longer interval back until the controller has been told of it.
    """
    start = yield fx.Now()
    interval = z.config.int("timer.metric.interval")
    seen = 0
    while True:
        wall = yield fx.WallClock()
        now = yield fx.Now()
        apps = (yield fx.Read(topics.APP_STATUS)) or ()
        msg = report.metrics(z, wall, now - start, apps, (yield fx.MemoryUsage()))
        reply = yield from z.conn.post(url("metrics", z.uuid), msg.SerializeToString())
        z.counters.count(reply, wall)
        # EVE: pkg/pillar/cmd/zedagent/handlemetrics.go metricsAndInfoTimerTask: a range ticker of [0.3, 1.0] × interval
        due = now + _jittered(z, "timer.metric.interval", 0.3, 1.0, (yield fx.Random("metrics")))
        while (now := (yield fx.Now())) < due:
            seen = yield fx.Wait((topics.GLOBAL_CONFIG,), seen, due - now)
            if z.config.int("timer.metric.interval") != interval:
                interval = z.config.int("timer.metric.interval")
                break


def cert_refresh(z: Zedagent) -> Generator[Any, Any, None]:
    """Refetch ``/certs`` every ``timer.cert.interval`` and when the config's cert hash changes."""
    seen = 0
    while True:
        seen = yield fx.Wait((topics.CERT_REFETCH,), seen, float(z.config.int("timer.cert.interval")))
        yield from certfetch.refresh(z.conn, AGENT)
