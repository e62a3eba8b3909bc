"""A simulated fleet for the live view: each device's phase as its controller sees it, plus what only the world
knows (off, booting, bricked); campaigns, faults, the simulated clock and its speed.

It is read from the web server's thread while the simulation runs: it only reads, so the run's outputs
are the same with or without it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from evesim.api.vocab import FAULT_KINDS
from evesim.controller.fleetview import Phase, campaign_view, devices_view, phase_of
from evesim.scenario.progress import hms
from evesim.sim.device import SimDevice
from evesim.sim.world import World

RECENT_FAULTS = 30
TIMELINE_EVENTS = 300
"""A device's timeline shows its last this many events."""


class WorldSource:
    """The live view's source over a running world of ``duration`` simulated seconds."""

    def __init__(self, world: World, duration: float) -> None:
        self.world = world
        self.duration = duration
        self.done = False
        self._lock = threading.Lock()
        self._faults: deque[dict[str, Any]] = deque(maxlen=RECENT_FAULTS)
        self._scanned = 0
        self._speed_mark = (time.monotonic(), 0.0)
        self._speed = 0.0

    def phase(self, device: SimDevice) -> Phase:
        """What the page shows for one device."""
        if device.state != "running":
            return device.state
        try:
            return phase_of(self.world.core.latest_device_info(device.uuid) if device.uuid else None)
        except LookupError:  # registered a moment ago, not yet indexed by the controller
            return "onboarding"

    def rows(self) -> list[dict[str, Any]]:
        """Every device in fleet order: name, UUID ("" before it registers), phase, running version, LED, and each
        port with its address ("" without one)."""
        net = self.world.net
        return [{"name": d.name, "uuid": d.uuid, "phase": self.phase(d), "version": d.running_version,
                 "led": d.led.name, "ports": [(link.name, link.address or "") for link in d.nics.links(net)]}
                for d in self.world.devices]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            world = self.world
            rows = self.rows()
            now = min(world.env.now, self.duration)
            return {"source": "simulation",
                    "clock": {"label": f"sim {hms(now)} / {hms(self.duration)}", "now_s": now,
                              "speed": self._measure(now), "done": self.done},
                    **devices_view(rows),
                    "campaigns": [campaign_view(c, world.epoch) for c in world.core.rollouts.list()],
                    "faults": self._recent_faults()}

    def _measure(self, now: float) -> float:
        """Simulated seconds per wall second since the last look (at least a second apart)."""
        wall, then = self._speed_mark
        elapsed = time.monotonic() - wall
        if elapsed >= 1.0:
            self._speed = round((now - then) / elapsed, 1)
            self._speed_mark = (time.monotonic(), now)
        return self._speed

    def _recent_faults(self) -> list[dict[str, Any]]:
        events = self.world.log.events
        end = len(events)
        for event in events[self._scanned:end]:
            if event.kind in FAULT_KINDS and not _repair(event.kind, event.fields):
                self._faults.append({"time": hms(event.time), "device": event.device, "kind": event.kind})
        self._scanned = end
        return list(reversed(self._faults))

    def timeline(self, name: str) -> list[dict[str, Any]] | None:
        if not any(d.name == name for d in self.world.devices):
            return None
        events = [e for e in self.world.log.events[:] if e.device == name][-TIMELINE_EVENTS:]
        return [{"time": hms(e.time), "kind": e.kind, "fields": e.fields} for e in events]


def _repair(kind: str, fields: str) -> bool:
    """A fault event that ends a fault (a link back up, a network fault over): not listed among faults."""
    return (kind == "link" and '"up":true' in fields) or (kind == "network_fault" and '"on":false' in fields)
