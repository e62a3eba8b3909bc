"""One simulated device: its hardware, its power and boot lifecycle, the processes it runs.

Power on → firmware → GRUB ``gptprio.next`` (its table write can tear) → measured boot →
kernel → ``device-steps`` (the agents). A power cut or reset stops every process mid-effect.
The effects agents yield are performed by ``evesim.sim.backend`` and the handler modules it names.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import Any

import simpy

from evesim.agent import device_steps, paths, topics
from evesim.agent import effects as fx
from evesim.agent.bootreason import BootReason
from evesim.agent.pubsub import Bus
from evesim.api.vocab import EventKind, PartitionLabel, Severity
from evesim.hw import bootloader, tpm
from evesim.hw.board import BoardProfile
from evesim.hw.device import DeviceHardware, ResetKind
from evesim.hw.image import EveImage
from evesim.sim import backend, disk_effects, rng
from evesim.sim.appnet import AppNet
from evesim.sim.nics import Nics
from evesim.sim.parts import STATES as STATES
from evesim.sim.parts import BootState, DeviceState, Storage, Telemetry
from evesim.sim.ports import DeviceWorld
from evesim.sim.watchdogs import Watchdogs
from evesim.sim.xen import SimXen

PANIC_REBOOT_S = 10.0
AGENT_CRASH_WATCHDOG_S = 60.0


def _until_reset(body: Generator[simpy.Event, Any, Any]) -> Generator[simpy.Event, Any, Any]:
    """A device-level process body that ends quietly when the device resets."""
    try:
        yield from body
    except simpy.Interrupt:
        body.close()


class SimDevice:
    """A device of the world; starts powered off.

    Its state is in named parts: ``boot`` (``BootState``), ``telemetry`` (``Telemetry``), ``storage``
    (``Storage``), ``hw`` (the hardware models), ``xen`` and ``watchdogs`` (per-boot services).
    """

    def __init__(self, world: DeviceWorld, index: int, name: str, node: str, board: BoardProfile, image: EveImage,
                 serial: str, soft_serial: str, ports: tuple[str, ...] = ("eth0",), cell: int = 0) -> None:
        self.world = world
        self.index = index
        self.cell = cell
        """The controller cell (and datastore share) that serves it."""
        self.name = name
        self.serial = serial
        self.group = ""
        self.uuid = ""
        self.hw = DeviceHardware(board, rng.seed_bytes(world.seed, name, "hw"), image, serial)
        self.boot = BootState()
        self.telemetry = Telemetry()
        self.storage = Storage()
        self.bus = Bus()
        self.nics = Nics(node, ports)
        self.appnet = AppNet()
        self.clock_offset = 0.0
        self.procs: list[simpy.Process] = []
        self.agents: dict[str, list[simpy.Process]] = {}
        self._rngs: dict[str, rng.Stream] = {}
        self.watchdogs = Watchdogs(self)
        self.xen = SimXen(self)
        self._install_bootstrap(soft_serial)

    # -------------------------------------------------------------- setup helpers

    def _install_bootstrap(self, soft_serial: str) -> None:
        """The CONFIG partition as the factory ships it (durable)."""
        boot = self.world.bootstrap
        for path, data in ((paths.SERVER, boot.server), (paths.ROOT_CERT, boot.root_pem),
                           (paths.ONBOARD_CERT, boot.onboard_cert_pem), (paths.ONBOARD_KEY, boot.onboard_key_pem),
                           (paths.SOFT_SERIAL, soft_serial.encode())):
            if data:
                self.write_durable(path, data)

    def rng(self, purpose: str) -> rng.Stream:
        """This device's random stream for ``purpose``."""
        stream = self._rngs.get(purpose)
        if stream is None:
            stream = self._rngs[purpose] = rng.Stream(self.world.seed, self.name, purpose)
        return stream

    # -------------------------------------------------------------- what the world sees

    @property
    def env(self) -> simpy.Environment:
        return self.world.env

    @property
    def state(self) -> DeviceState:
        """Off, booting, running or bricked."""
        return self.boot.state

    @property
    def boots(self) -> int:
        """Boots since the run started."""
        return self.boot.boots

    @property
    def running_label(self) -> PartitionLabel | None:
        """The partition running now (None while off or booting)."""
        return self.boot.running_label

    @property
    def running_image(self) -> EveImage | None:
        """The EVE image running now (None while off or booting)."""
        return self.boot.running_image

    @property
    def running_version(self) -> str:
        """The EVE version running now ("" while off or booting)."""
        image = self.boot.running_image
        return image.version if image is not None else ""

    @property
    def booted_versions(self) -> set[str]:
        """Every EVE version this device has booted."""
        return self.boot.booted_versions

    @property
    def led(self) -> topics.Led:
        """What the LED shows."""
        return self.telemetry.led

    @property
    def tx_bytes(self) -> int:
        return self.telemetry.tx_bytes

    @property
    def rx_bytes(self) -> int:
        return self.telemetry.rx_bytes

    def record(self, agent: str, kind: EventKind, fields: Mapping[str, Any] | None = None,
               severity: Severity = "info") -> None:
        """Log an event for this device (event log + the device's upload buffer)."""
        fields = fields or {}
        world = self.world
        now = world.env.now
        world.log.append(now, self.name, agent, kind, fields, severity)
        telemetry = self.telemetry
        telemetry.msgid += 1
        content = f"{kind} {fields}" if fields else kind
        telemetry.log_buffer.append(fx.LogRecord(world.epoch + now, agent, kind, severity, content, telemetry.msgid))
        if self.boot.state == "running":
            self.bus.publish(topics.LOGS, telemetry.msgid)

    def write_durable(self, path: str, data: bytes) -> None:
        """Atomic durable replace (tmp + fsync + rename + dir fsync)."""
        self.hw.fs.replace_durably(path, data)

    # -------------------------------------------------------------- power and boot

    def power_on(self) -> None:
        """Apply power; the boot sequence starts."""
        if self.hw.powered:
            return
        self.hw.power_on(self.env.now)
        self.record("hw", "power_on")
        self._boot()

    def power_cut(self) -> None:
        """Remove power now: processes stop, unsynced writes and torn writes are lost."""
        if not self.hw.powered:
            return
        self._kill()
        disk_effects.tear_pending_table(self)
        self.hw.power_cut(self.env.now)
        boot = self.boot
        boot.state = "off"
        self.record("hw", "power_cut", {"running": boot.running_label or ""})
        boot.running_label = boot.running_image = None

    def request_reset(self, kind: ResetKind, reason: str) -> None:
        """Reset from inside a process: happens right after the current step."""
        if self.boot.reset_pending:
            return
        self.boot.reset_pending = True
        self.env.timeout(0).callbacks.append(lambda _: self.reset(kind, reason))

    def request_poweroff(self, reason: str) -> None:
        """Power off from inside a process: happens right after the current step."""
        self.env.timeout(0).callbacks.append(lambda _: self._poweroff(reason))

    def _poweroff(self, reason: str) -> None:
        self.record("hw", "poweroff", {"reason": reason})
        self.power_cut()

    def reset(self, kind: ResetKind, reason: str) -> None:
        """Warm reset (``soft`` or ``hw_watchdog``) and boot again."""
        self.boot.reset_pending = False
        if not self.hw.powered:
            return
        self._kill()
        disk_effects.tear_pending_table(self)
        self.hw.reset(kind, self.env.now)
        self.record("hw", "reset", {"kind": kind, "reason": reason})
        self._boot()

    def _kill(self) -> None:
        active = self.env.active_process
        for proc in self.procs:
            if proc.is_alive and proc is not active:
                proc.interrupt("reset")
        self.procs = []
        self.bus.clear_waiters()
        self.nics.forget()
        self.appnet.forget()
        self.world.mesh.attached(self, ())
        self.telemetry.led = topics.Led.UNDEFINED  # the LED is dark until this boot's ledmanager lights it
        self.agents = {}
        self.xen.reboot()

    def _boot(self) -> None:
        self.storage.view = None
        boot = self.boot
        boot.state = "booting"
        boot.boots += 1
        self.bus = Bus()
        boot.running_label = boot.running_image = None
        self.spawn(self._firmware())

    def spawn(self, body: Generator[simpy.Event, Any, Any]) -> simpy.Process:
        """Run a device-level process (firmware, DHCP, watchdog timers) until the next reset."""
        proc = self.env.process(_until_reset(body))
        self.procs.append(proc)
        return proc

    def _firmware(self) -> Generator[simpy.Event, Any, None]:
        profile = self.hw.profile
        boot = self.boot
        yield self.env.timeout(profile.firmware_boot_s)
        choice = bootloader.gptprio_next(self.hw.disk)
        if choice is None:
            boot.state = "bricked"
            self.record("grub", "bricked", {}, "error")
            return
        if choice.write is not None:
            yield from disk_effects.table_write(self, choice.write)
        self.record("grub", "boot_partition", {"label": choice.label, "tries_decremented": choice.tries_decremented,
                                               "version": choice.image.version if choice.image else ""})
        if choice.image is None:
            yield from self._panic("partition holds no complete image")
            return
        if self.hw.tpm is not None:
            tpm.measure_boot(self.hw.tpm, choice.image)
        yield self.env.timeout(profile.kernel_boot_s)
        boot.running_label, boot.running_image = choice.label, choice.image
        self.storage.view = None
        boot.booted_versions.add(choice.image.version)
        boot.booted_at = self.env.now
        boot.state = "running"
        self.telemetry.led = topics.Led.UNDEFINED
        if "crash_at_boot" in choice.image.defects:
            self.spawn(self._agent_crash())
        for port in self.nics.names:
            self.spawn(self.nics.dhcp(self.world, self.bus, self.index, port))
        self.watchdogs.boot(self.env.now)
        self.start_agent("device-steps", device_steps.boot(self.world.settings))

    def _panic(self, why: str) -> Generator[simpy.Event, Any, None]:
        self.record("kernel", "panic", {"why": why}, "error")
        yield self.env.timeout(PANIC_REBOOT_S)
        self.reset("soft", "kernel panic")

    def _agent_crash(self) -> Generator[simpy.Event, Any, None]:
        """A defective image: zedbox dies; the watchdog sees its pid file vanish and reboots."""
        yield self.env.timeout(AGENT_CRASH_WATCHDOG_S)
        self.record("watchdog", "pid_missing", {"pid": "zedbox"}, "error")
        self.persist_reboot_reason(BootReason.WATCHDOG_PID, "watchdog: zedbox.pid missing")
        self.reset("soft", "watchdog pid")

    def persist_reboot_reason(self, reason: BootReason, text: str) -> None:
        """What EVE's ``watchdog-report.sh`` writes before the daemon reboots."""
        # EVE: pkg/watchdog/watchdog-report.sh appends to reboot-reason and does not replace a boot-reason an agent
        # already wrote
        fs = self.hw.fs
        if fs.read(paths.BOOT_REASON) is None:
            self.write_durable(paths.BOOT_REASON, str(int(reason)).encode())
        self.write_durable(paths.REBOOT_REASON, (fs.read(paths.REBOOT_REASON) or b"") + text.encode())
        self.write_durable(paths.REBOOT_IMAGE, (self.boot.running_label or "").encode())

    # -------------------------------------------------------------- agents

    def start_agent(self, name: str, gen: Generator[Any, Any, Any]) -> None:
        """Run an agent generator on this device."""
        proc = self.env.process(backend.drive(self, gen, name))
        self.procs.append(proc)
        self.agents.setdefault(name, []).append(proc)

    def running(self, domain: str) -> bool:
        """Whether domain ``domain`` runs on this boot."""
        found = self.xen.hypervisor.info(domain)
        return found is not None and found.state == "running"

    def wall(self) -> float:
        """The device's wall clock (Unix seconds)."""
        return self.world.epoch + self.env.now + self.clock_offset

    def on_publish(self, topic: str, value: Any) -> None:
        """Mirror a few topics into the world's view (LED, onboarding)."""
        if topic == topics.LED and value != self.telemetry.led:
            self.telemetry.led = value
            self.record("ledmanager", "led", {"blinks": int(value), "state": value.name})
        elif topic == topics.ONBOARDING and value is not None and value.uuid != self.uuid:
            self.uuid = value.uuid
            self.world.device_onboarded(self.name, self.uuid)

    def hang(self, agent: str) -> None:
        """Fault: ``agent`` (and its tasks, ``agent.*``) freezes; ``watchdog`` freezes the watchdog
        daemon, ``kernel`` everything. The watchdogs then reset the device, or nothing does."""
        if self.boot.state != "running":
            return
        now = self.env.now
        if agent in ("watchdog", "kernel"):
            if agent == "kernel":
                self._freeze(lambda name: True)
            self.record("fault", "agent_hung", {"agent": agent}, "warning")
            self.watchdogs.daemon_hung(now)
            return
        if not self._freeze(lambda name: name == agent or name.startswith(agent + ".")):
            self.record("fault", "agent_not_running", {"agent": agent}, "warning")
            return
        self.record("fault", "agent_hung", {"agent": agent}, "warning")
        self.watchdogs.agent_hung(agent, now)

    def _freeze(self, chosen: Callable[[str], bool]) -> bool:
        """Stop the live processes of the chosen agents; True if there was one."""
        frozen = False
        for name, procs in self.agents.items():
            if chosen(name):
                for proc in procs:
                    if proc.is_alive:
                        proc.interrupt("hung")
                        frozen = True
        return frozen
