"""The watchdog daemon of a simulated device: agents' touch files, and the hardware watchdog it pets.

An agent idle in an effect counts as touching its file every 25 s (its stillRunning ticker); a
hung agent's last touch is its last tick. Once the file is older than ``change`` (500 s, checked every
second) the daemon waits out its retry timeout, runs ``watchdog-report.sh`` (which records WATCHDOG_HUNG
and sleeps 30 s) and shuts the device down: the reset comes 106 s after the file went stale. A hung
daemon (or kernel) stops petting ``/dev/watchdog``, which resets the board when its timeout runs out
(CARDRESET).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from evesim.agent.bootreason import BootReason
from evesim.hw.watchdog import HardwareWatchdog, SoftwareWatchdog
from evesim.sim.ports import Watched

STILL_RUNNING_S = 25.0
CHECK_S = 1.0
REPAIR_AFTER_S = 61.0
"""A stale touch file is repaired once it has been stale for more than ``retry-timeout`` (60 s), checked each second."""
REPORT_S = 30.0
"""``watchdog-report.sh`` ends with ``sleep 30`` before the daemon shuts down."""
SHUTDOWN_S = 15.0
"""The daemon's clean shutdown: 10 s, SIGTERM, 5 s more, then the reset."""


class Watchdogs:
    """Per-boot state of the daemon and of the board's hardware watchdog."""

    __slots__ = ("device", "touch_files", "daemon_alive")

    def __init__(self, device: Watched) -> None:
        self.device = device
        self.touch_files = SoftwareWatchdog()
        self.daemon_alive = False

    def boot(self, now: float) -> None:
        """The daemon starts with the agents and opens ``/dev/watchdog`` if there is one."""
        self.touch_files = SoftwareWatchdog()
        self.daemon_alive = True
        if self.device.hw.hw_watchdog is not None:
            self.device.hw.hw_watchdog.arm(now)

    def agent_hung(self, agent: str, now: float) -> None:
        """``agent`` stopped at ``now``: its touch file keeps its last tick's time."""
        self.touch_files.watch(agent, now - (now - self.device.boot.booted_at) % STILL_RUNNING_S)
        due = self.touch_files.next_deadline()
        if self.daemon_alive and due is not None:
            self.device.spawn(self._check_at(math.ceil(due / CHECK_S) * CHECK_S + CHECK_S))

    def daemon_hung(self, now: float) -> None:
        """The daemon (or the whole kernel) stopped at ``now``: no more checks, no more pets."""
        if not self.daemon_alive:
            return
        self.daemon_alive = False
        hw = self.device.hw.hw_watchdog
        if hw is not None and hw.deadline is not None:
            hw.pet(math.floor(now / CHECK_S) * CHECK_S)
            self.device.spawn(self._card_reset_at(hw, hw.deadline))

    def _check_at(self, when: float) -> Generator[simpy.Event, Any, None]:
        device = self.device
        yield device.env.timeout(max(when - device.env.now, 0.0))
        stale = self.touch_files.stale(device.env.now)
        if not stale or not self.daemon_alive:
            return
        device.record("watchdog", "touch_file_stale", {"agents": stale}, "error")
        # EVE: the watchdog daemon (pkg/watchdog, watchdog 5.15 wd_action) treats a stale file as repairable: it
        # runs the repair binary (pkg/watchdog/watchdog-report.sh) only after retry-timeout, then shuts down
        yield device.env.timeout(REPAIR_AFTER_S)
        if not self.daemon_alive:
            return
        device.persist_reboot_reason(BootReason.WATCHDOG_HUNG, f"watchdog: {', '.join(stale)} touch file not updated")
        yield device.env.timeout(REPORT_S + SHUTDOWN_S)
        if self.daemon_alive:
            device.reset("soft", f"watchdog {stale[0]}")

    def _card_reset_at(self, hw: HardwareWatchdog, when: float) -> Generator[simpy.Event, Any, None]:
        device = self.device
        yield device.env.timeout(max(when - device.env.now, 0.0))
        if hw.expired(device.env.now):
            device.record("watchdog", "hardware_watchdog_reset", {}, "error")
            device.reset("hw_watchdog", "hardware watchdog")
