"""The live fleet view's data: each device's phase as the controller sees it, and the snapshots the page shows.

A device's phase comes from its last ``ZInfoDevice`` (what a real controller knows): ``onboarding``
before its first report, ``downloading`` while a base OS downloads, ``updating`` while it is
installed and the device reboots into it, ``testing`` during the test window, ``rolled back``
when it reports the new version FAILED or FALLBACK, ``running`` otherwise. A simulation adds what
only it knows (``off``, ``booting``, ``bricked``). The same page shows a simulated fleet
(``evesim run --live``) and real devices (``evesim controller serve``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from evesim.api import pb

if TYPE_CHECKING:
    from evesim.controller.core import Controller
    from evesim.controller.rollout import Campaign

Phase = Literal["off", "booting", "onboarding", "running", "downloading", "updating", "testing", "rolled back",
                "bricked"]
PHASES: tuple[Phase, ...] = get_args(Phase)
SHOWN_DEVICES = 600
"""At most this many devices are drawn one by one (the counts always cover the whole fleet)."""
PUSH_S = 0.5
"""How often the stream looks for a change to push."""
INFO = pb.info


def phase_of(info: pb.info.ZInfoDevice | None) -> Phase:
    """A running device's phase from its last ``ZInfoDevice`` (None: it has not reported yet)."""
    if info is None:
        return "onboarding"
    sw = list(info.swList)
    if any(s.userStatus == INFO.DOWNLOADING for s in sw):
        return "downloading"
    if any(s.subStatus == INFO.UPDATE_TESTING or (s.activated and s.partitionState == "inprogress") for s in sw):
        return "testing"
    if info.state == INFO.ZDEVICE_STATE_BASEOS_UPDATING or any(s.userStatus == INFO.UPDATING for s in sw):
        return "updating"
    if any(s.userStatus in (INFO.FAILED, INFO.FALLBACK) for s in sw):
        return "rolled back"
    return "running"


def running_version(info: pb.info.ZInfoDevice | None) -> str:
    """The version of the activated partition the device reports ("" if none)."""
    for sw in info.swList if info is not None else ():
        if sw.activated:
            return sw.shortVersion
    return ""


def campaign_view(campaign: Campaign, epoch: float) -> dict[str, Any]:
    """A campaign for the page: state, counts, and each settled batch's time and failure rate so far."""
    summary = campaign.summary()
    settled, failed, rates = 0, 0, []
    for batch in campaign.batches:
        if batch.settled_at is None:
            continue
        counts = batch.counts()
        settled += len(batch.devices)
        failed += counts["failed"] + counts["timed_out"]
        rates.append({"t": round(batch.settled_at - epoch, 3), "success": round(1 - failed / settled, 4)})
    return {"id": campaign.id, "version": summary["version"], "state": summary["state"], "reason": summary["reason"],
            "batches": f"{summary['batches_started']}/{summary['batches_planned']}", "counts": summary["counts"],
            "failure_rate": round(summary["failure_rate"], 4), "success_over_time": rates}


def devices_view(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per phase over every row, devices with and without an address on each port name, and the first
    ``SHOWN_DEVICES`` rows."""
    counts = Counter(row["phase"] for row in rows)
    up = Counter(name for row in rows for name, address in row["ports"] if address)
    down = Counter(name for row in rows for name, address in row["ports"] if not address)
    ports = {name: {"up": up.get(name, 0), "down": down.get(name, 0)} for name in sorted(up.keys() | down.keys())}
    return {"phases": {phase: counts.get(phase, 0) for phase in PHASES}, "total": len(rows), "ports": ports,
            "devices": rows[:SHOWN_DEVICES]}


def reported_ports(info: pb.info.ZInfoDevice | None) -> list[tuple[str, str]]:
    """The ports of the DPC a device reports in use, each with its first address ("" for none)."""
    if info is None or not info.systemAdapter.status:
        return []
    adapters = info.systemAdapter
    status = adapters.status[min(adapters.currentIndex, len(adapters.status) - 1)]
    return [(port.ifname, port.IPAddrs[0] if port.IPAddrs else "") for port in status.ports]


class FleetSource(Protocol):
    """What the live view reads: a snapshot now, and one device's recent history."""

    def snapshot(self) -> dict[str, Any]: ...

    def rows(self) -> list[dict[str, Any]]: ...

    def timeline(self, name: str) -> list[dict[str, Any]] | None: ...


class ControllerSource:
    """The fleet as a served controller knows it: registered devices, their last reports, its campaigns."""

    def __init__(self, controller: Controller, started: float | None = None) -> None:
        self.controller = controller
        self.started = time.time() if started is None else started

    def _name(self, uuid: str) -> str:
        return self.controller.device(uuid).serial or uuid

    def rows(self) -> list[dict[str, Any]]:
        """Every registered device in registration order: name (its serial, else its UUID), UUID, phase, version."""
        ctl = self.controller
        rows = []
        for uuid in ctl.device_uuids():
            info = ctl.latest_device_info(uuid)
            rows.append({"name": self._name(uuid), "uuid": uuid, "phase": phase_of(info),
                         "version": running_version(info), "led": "", "ports": reported_ports(info)})
        return rows

    def snapshot(self) -> dict[str, Any]:
        ctl = self.controller
        rows = self.rows()
        now = time.time()
        return {"source": "controller", "clock": {"label": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now)),
                                                  "speed": 1.0, "done": False},
                **devices_view(rows), "campaigns": [campaign_view(c, self.started) for c in ctl.rollouts.list()],
                "faults": []}

    def timeline(self, name: str) -> list[dict[str, Any]] | None:
        ctl = self.controller
        uuid = next((u for u in ctl.device_uuids() if u == name or self._name(u) == name), None)
        if uuid is None:
            return None
        info = ctl.latest_device_info(uuid)
        if info is None:
            return [{"time": "", "kind": "registered", "fields": "no report yet"}]
        sw = [f"{s.shortVersion} {s.partitionLabel} {s.partitionState} {INFO.BaseOsStatus.Name(s.userStatus)}"
              for s in info.swList]
        return [{"time": "last report", "kind": INFO.ZDeviceState.Name(info.state), "fields": "; ".join(sw)}]


async def stream(source: FleetSource, threaded: bool, every_s: float = PUSH_S) -> AsyncIterator[str]:
    """Server-sent events: a ``snapshot`` event at once and whenever the fleet changes (looked at every
    ``every_s``); a comment line now and then so that proxies keep the stream open. A ``threaded`` source (a
    simulation running in another thread) is read off the event loop."""
    last, quiet = "", 0
    while True:
        try:
            taken = await asyncio.to_thread(source.snapshot) if threaded else source.snapshot()
            current = json.dumps(taken, separators=(",", ":"))
        except RuntimeError:  # the simulation changed a collection while it was read: look again
            current = last
        if current != last:
            last, quiet = current, 0
            yield f"event: snapshot\ndata: {current}\n\n"
        else:
            quiet += 1
            if quiet * every_s >= 15:
                quiet = 0
                yield ": still here\n\n"
        await asyncio.sleep(every_s)
