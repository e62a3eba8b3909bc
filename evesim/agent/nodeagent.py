"""nodeagent: boot reason, restart counter, reboots, the base-OS test window, maintenance mode.

EVE ticks every 10 s (``pkg/pillar/cmd/nodeagent/handletimers.go`` ``handleDeviceTimers``); here the
agent sleeps until its next deadline (rounded up to the 10 s tick grid) or until a topic it reacts to
changes, which gives the same decisions with far fewer wake-ups.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import replace
from typing import Any, Literal

from evesim.agent import bootreason, paths, topics
from evesim.agent import effects as fx
from evesim.agent.bootreason import BootReason
from evesim.agent.configitems import DEFAULTS, GlobalConfig
from evesim.agent.topics import ConfigGet, NodeStatus
from evesim.api import pb

AGENT = "nodeagent"
TICK_S = 10.0
"""EVE's ``timeTickInterval``."""
REACHED = (ConfigGet.SUCCESS, ConfigGet.TEMPORARY_FAIL)
"""Fetch results that count as the controller being reachable."""
MIN_REBOOT_DELAY_S = 30.0
"""EVE's ``minRebootDelay``."""
HALT_WAIT_S = 300.0
"""EVE's ``maxDomainHaltTime``."""
UINT32_MAX = 2**32 - 1
WATCH = (topics.ONBOARDING, topics.DEVICE_OPS, topics.GLOBAL_CONFIG, topics.ATTEST, topics.VAULT,
         topics.BASEOS_STATUS, topics.CONFIG_STATUS, topics.MAINTENANCE, topics.VOLUMEMGR_STATUS,
         topics.TPM_STATUS)
"""Topics nodeagent reacts to at once; the rest it reads at its deadlines."""
REASON_TEXT = {
    BootReason.REBOOT_CMD: "NORMAL: controller reboot command",
    BootReason.UPDATE: "NORMAL: baseos-update reboot",
    BootReason.FALLBACK: "fallback: controller not reachable while testing the new image",
    BootReason.DISCONNECT: "reboot: controller not reachable for timer.reboot.no.network",
    BootReason.VAULT_FAILED: "vault not unlocked within timer.vault.ready.cutoff while testing the new image",
}
INFO = pb.info


def _int(raw: bytes | None) -> int | None:
    """A counter file's value; None if it is missing, not a number or outside uint32 (as on the wire)."""
    try:
        value = int((raw or b"").strip()) if raw else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value <= UINT32_MAX else None


def boot() -> Generator[Any, Any, Node]:
    """Work out why we booted, count the restart, publish NodeAgentStatus."""
    start = yield fx.Now()
    wall = yield fx.WallClock()
    hw = yield fx.HardwareInfo()
    reason, text = yield from _boot_reason(hw)
    # EVE: pkg/pillar/cmd/nodeagent/nodeagent.go incrementRestartCounter reports the count before this boot
    counter = (_int((yield fx.ReadFile(paths.RESTART_COUNTER))) or 0)
    yield fx.WriteFile(paths.RESTART_COUNTER, str(counter + 1).encode())
    yield fx.WriteFile(paths.FIRST_BOOT_DONE, b"1")
    yield fx.WriteFile(paths.POWER_CYCLES, str(hw.power_cycles).encode())
    reboot_counter = _int((yield fx.ReadFile(paths.REBOOT_CONFIG_COUNTER)))
    shutdown_counter = _int((yield fx.ReadFile(paths.SHUTDOWN_CONFIG_COUNTER)))
    view = yield fx.Partitions()
    testing = view.states.get(view.current) == "inprogress"
    status = NodeStatus(
        boot_reason=int(reason), last_reboot_reason=text, restart_counter=counter, boot_time=wall,
        reboot_config_counter=reboot_counter or 0, shutdown_config_counter=shutdown_counter or 0,
        state=INFO.ZDEVICE_STATE_BOOTING, update_in_progress=testing,
    )
    yield fx.Publish(topics.NODE, status)
    yield fx.Log(AGENT, "boot", {"reason": reason.name, "restart_counter": counter, "partition": view.current,
                                 "version": view.versions.get(view.current) or "", "testing": testing})
    return Node(start, status, reboot_counter, shutdown_counter)


def _boot_reason(hw: fx.Hardware) -> Generator[Any, Any, tuple[BootReason, str]]:
    """Persisted reason, else first boot, SMART power cycles, HW watchdog, kernel or unknown."""
    stored = bootreason.parse((yield fx.ReadFile(paths.BOOT_REASON)))
    text = ((yield fx.ReadFile(paths.REBOOT_REASON)) or b"").decode(errors="replace")
    for path in (paths.BOOT_REASON, paths.REBOOT_REASON, paths.REBOOT_IMAGE):
        yield fx.RemoveFile(path)
    if stored is not None and stored is not BootReason.NONE:
        return stored, text or stored.name
    # EVE: pkg/pillar/cmd/nodeagent/nodeagent.go synthesizeRebootReason when nothing was persisted
    if not (yield fx.ReadFile(paths.FIRST_BOOT_DONE)):
        return BootReason.FIRST, "NORMAL: first boot of device"
    previous = _int((yield fx.ReadFile(paths.POWER_CYCLES)))
    if previous is not None and previous >= 0 and hw.power_cycles >= 0:
        # EVE: synthesizeRebootReason; with both SMART records usable a risen power-cycle count wins over
        # the hardware watchdog's card-reset flag
        if previous < hw.power_cycles:
            return BootReason.POWER_FAIL, "device powered off"
        if hw.watchdog_cardreset:
            return BootReason.HW_WATCHDOG, "hardware watchdog reset the device"
        return BootReason.KERNEL, "system reset, reboot or kernel panic"
    if hw.watchdog_cardreset:
        return BootReason.HW_WATCHDOG, "hardware watchdog reset the device"
    return BootReason.UNKNOWN, "unknown reboot reason (no SMART power-cycle record)"


class Node:
    """One boot of nodeagent, from its ``boot``."""

    def __init__(self, start: float, status: NodeStatus, reboot_counter: int | None,
                 shutdown_counter: int | None) -> None:
        self.status = status
        self.start = start
        self.onboarded_at: float | None = None
        self.config: GlobalConfig = DEFAULTS
        self.update_in_progress = status.update_in_progress
        self.reboot_counter = reboot_counter
        self.shutdown_counter = shutdown_counter
        self.first_config_ok: float | None = None
        self.vault_locked_up = False
        self.fetch: ConfigGet | None = None
        """zedagent's last config fetch result as nodeagent last saw it (EVE's ``configGetStatus``)."""
        self.reachable_at: float | None = None
        """EVE's ``lastControllerReachableTime``, in tick time."""
        self.temporary_at: float | None = None
        """The last tick at which the last fetch had failed temporarily (it restarts the test window)."""

    # -------------------------------------------------------------- ticks

    def tick(self) -> Generator[Any, Any, float]:
        """Apply every rule once; return the next time something is due."""
        now = yield fx.Now()
        self.config = yield from topics.global_config()
        if self.onboarded_at is None and (yield fx.Read(topics.ONBOARDING)) is not None:
            self.onboarded_at = now
        status = yield fx.Read(topics.CONFIG_STATUS)
        self._observe(now, status)
        if self.first_config_ok is None and status is not None and status.status is ConfigGet.SUCCESS:
            self.first_config_ok = now
        deadlines = [now + 86400.0]
        deadlines += (yield from self._vault(now))
        yield from self._maintenance(status)
        yield from self._baseos()
        deadlines += (yield from self._connectivity(now))
        yield from self._commands()
        return min(deadlines)

    def _vault(self, now: float) -> Generator[Any, Any, list[float]]:
        """The vault must unlock within ``timer.vault.ready.cutoff`` of the first config."""
        vault = yield fx.Read(topics.VAULT)
        if self.first_config_ok is None or vault is None or vault.unlocked:
            self.vault_locked_up = False
            return []
        cutoff = self.first_config_ok + self.config.int("timer.vault.ready.cutoff")
        if now <= cutoff:
            return [cutoff + 1e-6]
        # EVE: pkg/pillar/cmd/nodeagent/handletimers.go handleRebootOnVaultLocked fails only an update under test;
        # otherwise the device enters maintenance mode (VAULT_LOCKED_UP)
        if self.update_in_progress:
            yield from self.reboot(BootReason.VAULT_FAILED)
        self.vault_locked_up = True
        return []

    def _baseos(self) -> Generator[Any, Any, None]:
        report = yield fx.Read(topics.BASEOS_STATUS)
        if report is not None and report.reboot and not self.status.reboot_in_progress:
            yield from self.reboot(BootReason.UPDATE)
        updating = bool(report and report.updating)
        state = INFO.ZDEVICE_STATE_BASEOS_UPDATING if updating or self.update_in_progress else INFO.ZDEVICE_STATE_ONLINE
        if self.onboarded_at is None and not updating:
            state = INFO.ZDEVICE_STATE_BOOTING
        # EVE: pkg/pillar/cmd/zedagent/reportinfo.go getDeviceState puts zedagent's merged maintenance mode first
        maintenance = yield fx.Read(topics.MAINTENANCE)
        if maintenance is not None and maintenance.mode:
            state = INFO.ZDEVICE_STATE_MAINTENANCE_MODE
        yield from self._set(state=state, update_in_progress=self.update_in_progress)

    def _tick(self, now: float) -> float:
        """The time of the last 10 s tick at or before ``now`` (EVE's ``timeTickCount``)."""
        return self.start + math.floor((now - self.start) / TICK_S + 1e-9) * TICK_S

    def _observe(self, now: float, status: topics.ConfigStatus | None) -> None:
        """Reachability and the test restart as of the last tick, from zedagent's fetch results."""
        # EVE: pkg/pillar/cmd/nodeagent/handletimers.go updateTickerTime sets lastControllerReachableTime at each 10 s
        # tick while the last fetch result is Success or TemporaryFail (and updateZedagentCloudConnectStatus when it
        # turns to one): a fetch failing at t counts as reachable until the tick before t
        fetch = status.status if status is not None else None
        tick = self._tick(now)
        if fetch in REACHED or self.fetch in REACHED:
            self.reachable_at = tick
        if ConfigGet.TEMPORARY_FAIL in (fetch, self.fetch):
            self.temporary_at = tick
        self.fetch = fetch

    def _connectivity(self, now: float) -> Generator[Any, Any, list[float]]:
        """Fallback and commit while testing a new image; reboot after long disconnection (checked at ticks)."""
        # EVE: pkg/pillar/cmd/nodeagent/nodeagent.go Run starts both the reachability and test clocks once onboarded
        base = self._tick(self.onboarded_at) if self.onboarded_at is not None else self.start
        reachable = max(base, self.reachable_at or base)
        tick = self._tick(now)
        out: list[float] = []
        if self.update_in_progress and self.onboarded_at is not None:
            fallback_at = reachable + self.config.int("timer.update.fallback.no.network")
            if tick > fallback_at:
                yield from self.reboot(BootReason.FALLBACK)
            # EVE: pkg/pillar/cmd/nodeagent/handletimers.go updateTickerTime restarts the test window at each tick
            # while the last fetch failed temporarily (the controller answered but gave no config)
            test_start = max(base, self.temporary_at or base)
            commit_at = test_start + self.config.int("timer.test.baseimage.update")
            if tick >= commit_at:
                yield from self._commit()
            else:
                yield from self._set(test_deadline=commit_at)
                out += [fallback_at + 1e-6, commit_at]
        disconnect_at = reachable + self.config.int("timer.reboot.no.network")
        if tick > disconnect_at:
            yield from self.reboot(BootReason.DISCONNECT)
        return out + [disconnect_at + 1e-6]

    def _commit(self) -> Generator[Any, Any, None]:
        self.update_in_progress = False
        yield fx.Publish(topics.ZBOOT_CONFIG, topics.ZbootConfig(test_complete=True))
        yield fx.Log(AGENT, "test_complete", {})
        yield from self._set(update_in_progress=False, test_deadline=None)

    def _commands(self) -> Generator[Any, Any, None]:
        """Reboot/shutdown commands (counter bumps); deferred while an update is being tested."""
        ops = yield fx.Read(topics.DEVICE_OPS)
        # EVE: pkg/pillar/cmd/zedagent/parseconfig.go scheduleDeviceOperation defers a command while testing an update
        if ops is None or ops.saved or self.update_in_progress:
            return
        if (yield from self._bumped("shutdown_counter", paths.SHUTDOWN_CONFIG_COUNTER, ops.shutdown)):
            yield fx.Log(AGENT, "shutdown_command", {"counter": ops.shutdown})
            yield fx.Publish(topics.HALT_APPS, ops.shutdown)
        if (yield from self._bumped("reboot_counter", paths.REBOOT_CONFIG_COUNTER, ops.reboot)):
            yield from self.reboot(BootReason.REBOOT_CMD)

    def _bumped(self, name: Literal["reboot_counter", "shutdown_counter"], path: str,
                value: int) -> Generator[Any, Any, bool]:
        """Record a command counter from the config; True if it changed from one seen before
        (the first value ever seen is only recorded)."""
        # EVE: pkg/pillar/cmd/zedagent/parseconfig.go scheduleDeviceOperation: "First boot - skip the reboot/shutdown"
        old = getattr(self, name)
        if old == value:
            return False
        setattr(self, name, value)
        yield fx.WriteFile(path, str(value).encode())
        yield from self._set(**{name.replace("_counter", "_config_counter"): value})
        return old is not None

    def _maintenance(self, status: topics.ConfigStatus | None) -> Generator[Any, Any, None]:
        """nodeagent's own reasons for maintenance mode, in the order they arose; zedagent merges them."""
        wanted = set()
        if self.vault_locked_up:
            wanted.add(INFO.MAINTENANCE_MODE_REASON_VAULT_LOCKED_UP)
        attest = yield fx.Read(topics.ATTEST)
        if attest is not None and attest.certs_refused and status is not None and status.status is ConfigGet.SUCCESS:
            wanted.add(INFO.MAINTENANCE_MODE_REASON_EDGE_NODE_CERTS_REFUSED)
        if (yield fx.Read(topics.TPM_STATUS)) == "encryption":
            wanted.add(INFO.MAINTENANCE_MODE_REASON_TPM_ENCRYPTION_FAILURE)
        # EVE: pkg/pillar/cmd/nodeagent/nodeagent.go handleVolumeMgrStatusImpl: no space left for volumes
        if (yield fx.Read(topics.VOLUMEMGR_STATUS)) == 0:
            wanted.add(INFO.MAINTENANCE_MODE_REASON_LOW_DISK_SPACE)
        # EVE: pkg/pillar/cmd/nodeagent/nodeagent.go addMaintenanceModeReason appends a new reason at the end
        kept = tuple(r for r in self.status.local_maintenance_reasons if r in wanted)
        reasons = kept + tuple(sorted(wanted - set(kept)))
        if reasons != self.status.local_maintenance_reasons:
            yield from self._set(local_maintenance_reasons=reasons)

    def _set(self, **changes: Any) -> Generator[Any, Any, None]:
        updated = replace(self.status, **changes)
        if updated != self.status:
            self.status = updated
            yield fx.Publish(topics.NODE, updated)

    # -------------------------------------------------------------- reboot

    def reboot(self, reason: BootReason) -> Generator[Any, Any, None]:
        """EVE's reboot: wait 30 s, persist the reason, halt apps, wait 30 s, ``zboot reset``."""
        text = REASON_TEXT.get(reason, reason.name)
        yield fx.Log(AGENT, "reboot_requested", {"reason": reason.name})
        yield from self._set(reboot_in_progress=True, state=INFO.ZDEVICE_STATE_REBOOTING)
        # EVE: pkg/pillar/cmd/nodeagent/handletimers.go handleNodeOperation waits minRebootDelay before and after
        yield fx.Sleep(MIN_REBOOT_DELAY_S)
        view = yield fx.Partitions()
        yield fx.WriteFile(paths.REBOOT_REASON, text.encode())
        yield fx.WriteFile(paths.BOOT_REASON, str(int(reason)).encode())
        yield fx.WriteFile(paths.REBOOT_IMAGE, view.current.encode())
        yield from halt_apps(reason.name)
        yield fx.Sleep(MIN_REBOOT_DELAY_S)
        yield fx.Reboot(reason.name)


def halt_apps(why: str) -> Generator[Any, Any, None]:
    """Ask domainmgr to halt every app and wait (up to 300 s, EVE's ``maxDomainHaltTime``) until no app has
    or is creating a domain."""
    yield fx.Publish(topics.HALT_APPS, why)
    start = yield fx.Now()
    seen = 0
    while True:
        apps = (yield fx.Read(topics.APP_STATUS)) or ()
        now = yield fx.Now()
        if all(app.domid is None and app.state != pb.info.BOOTING for app in apps) or now - start >= HALT_WAIT_S:
            return
        seen = yield fx.Wait((topics.APP_STATUS,), seen, HALT_WAIT_S - (now - start))


def run() -> Generator[Any, Any, None]:
    """The nodeagent process."""
    node = yield from boot()
    seen = 0
    while True:
        due = yield from node.tick()
        now = yield fx.Now()
        since_start = max(due - node.start, 0.0)
        due = node.start + math.ceil(since_start / TICK_S - 1e-9) * TICK_S
        seen = yield fx.Wait(WATCH, seen, max(due - now, 0.0))
