"""One simulated device: its hardware, its power and boot lifecycle, and the effects only it can perform.

Power on → firmware → GRUB ``gptprio.next`` (its table write can tear) → measured boot →
kernel → ``device-steps`` (the agents). A power cut or reset stops every process mid-effect.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

import simpy

from evesim.agent import device_steps, paths, topics
from evesim.agent import effects as fx
from evesim.agent.bootreason import BootReason
from evesim.agent.pubsub import Bus
from evesim.api import certs, pb
from evesim.hw import bootloader, flash, tpm
from evesim.hw.device import DeviceHardware
from evesim.hw.disk import WRITE_ORDER, TableWrite
from evesim.hw.image import AppImage, EveImage
from evesim.sim import backend, rng, transport
from evesim.sim.watchdogs import Watchdogs
from evesim.sim.xen import SimXen

if TYPE_CHECKING:
    from evesim.sim.world import World

STATES = ("off", "booting", "running", "bricked")
"""A device's power and boot state, as ``SimDevice.state`` holds it."""
LOG_BUFFER = 2000
DHCP_S = 2.0
PANIC_REBOOT_S = 10.0
AGENT_CRASH_WATCHDOG_S = 60.0
DOWNLOAD_CHUNKS = 10


@functools.lru_cache(maxsize=4096)
def _parse_key(pem: bytes) -> Any:
    """A soft device key, parsed once per PEM (FULL crypto signs every request with it)."""
    return certs.load_key(pem)


def _until_reset(body: Generator[simpy.Event, Any, Any]) -> Generator[simpy.Event, Any, Any]:
    """A device-level process body that ends quietly when the device resets."""
    try:
        yield from body
    except simpy.Interrupt:
        body.close()


class SimDevice:
    """A device of the world; starts powered off."""

    def __init__(self, world: World, index: int, name: str, node: str, board: Any, image: EveImage,
                 serial: str, soft_serial: str) -> None:
        self.world = world
        self.index = index
        self.name = name
        self.node = node
        self.serial = serial
        self.group = ""
        self.hw = DeviceHardware(board, rng.seed_bytes(world.seed, name, "hw"), image, serial)
        self._rngs: dict[str, rng.Stream] = {}
        self.bus = Bus()
        self.procs: list[simpy.Process] = []
        self.state = "off"
        self.booted_at = 0.0
        self.boots = 0
        self.running_label: str | None = None
        self.running_image: EveImage | None = None
        self.address: str | None = None
        self.log_buffer: deque[fx.LogRecord] = deque(maxlen=LOG_BUFFER)
        self.msgid = 0
        self.blobs: dict[str, EveImage | AppImage] = {}
        self.clock_offset = 0.0
        self.vault_key: bytes | None = None
        self.booted_versions: set[str] = set()
        self.tx_bytes = 0
        self.rx_bytes = 0
        self.led = topics.Led.UNDEFINED
        self.uuid = ""
        self.agents: dict[str, list[simpy.Process]] = {}
        self.watchdogs = Watchdogs(self)
        self.xen = SimXen(self)
        self._pending_table: tuple[TableWrite, float] | None = None
        self._view: fx.PartitionView | None = None
        self._reset_pending = False
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

    @property
    def env(self) -> simpy.Environment:
        return self.world.env

    @property
    def carrier(self) -> bool:
        """The management port has link."""
        return self.world.net.access_up(self.node)

    @property
    def running_version(self) -> str:
        """The EVE version running now ("" while off or booting)."""
        return self.running_image.version if self.running_image is not None else ""

    @property
    def has_address(self) -> bool:
        return self.address is not None and self.carrier

    def record(self, agent: str, kind: str, fields: Mapping[str, Any] | None = None, severity: str = "info") -> None:
        """Log an event for this device (event log + the device's upload buffer)."""
        fields = fields or {}
        self.world.log.append(self.env.now, self.name, agent, kind, fields, severity)
        self.msgid += 1
        content = f"{kind} {fields}" if fields else kind
        self.log_buffer.append(fx.LogRecord(self.world.epoch + self.env.now, agent, kind, severity, content, self.msgid))
        if self.state == "running":
            self.bus.publish(topics.LOGS, self.msgid)

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
        self._tear_pending_table()
        self.hw.power_cut(self.env.now)
        self.state = "off"
        self.record("hw", "power_cut", {"running": self.running_label or ""})
        self.running_label = self.running_image = None

    def request_reset(self, kind: str, reason: str) -> None:
        """Reset from inside a process: happens right after the current step."""
        if self._reset_pending:
            return
        self._reset_pending = True
        self.env.timeout(0).callbacks.append(lambda _: self.reset(kind, reason))

    def request_poweroff(self, reason: str) -> None:
        self.env.timeout(0).callbacks.append(lambda _: self._poweroff(reason))

    def _poweroff(self, reason: str) -> None:
        self.record("hw", "poweroff", {"reason": reason})
        self.power_cut()

    def reset(self, kind: str, reason: str) -> None:
        """Warm reset (``soft`` or ``hw_watchdog``) and boot again."""
        self._reset_pending = False
        if not self.hw.powered:
            return
        self._kill()
        self._tear_pending_table()
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
        self.address = None
        self.led = topics.Led.UNDEFINED  # the LED is dark until this boot's ledmanager lights it
        self.agents = {}
        self.xen.reboot()

    def _boot(self) -> None:
        self._view = None
        self.state = "booting"
        self.boots += 1
        self.bus = Bus()
        self.running_label = self.running_image = None
        self.spawn(self._firmware())

    def spawn(self, body: Generator[simpy.Event, Any, Any]) -> simpy.Process:
        """Run a device-level process (firmware, DHCP, watchdog timers) until the next reset."""
        proc = self.env.process(_until_reset(body))
        self.procs.append(proc)
        return proc

    def _firmware(self) -> Generator[simpy.Event, Any, None]:
        profile = self.hw.profile
        yield self.env.timeout(profile.firmware_boot_s)
        choice = bootloader.gptprio_next(self.hw.disk)
        if choice is None:
            self.state = "bricked"
            self.record("grub", "bricked", {}, "error")
            return
        if choice.write is not None:
            yield from self._table_write(choice.write)
        self.record("grub", "boot_partition", {"label": choice.label, "tries_decremented": choice.tries_decremented,
                                               "version": choice.image.version if choice.image else ""})
        if choice.image is None:
            yield from self._panic("partition holds no complete image")
            return
        if self.hw.tpm is not None:
            tpm.measure_boot(self.hw.tpm, choice.image)
        yield self.env.timeout(profile.kernel_boot_s)
        self.running_label, self.running_image = choice.label, choice.image
        self._view = None
        self.booted_versions.add(choice.image.version)
        self.booted_at = self.env.now
        self.state = "running"
        self.led = topics.Led.UNDEFINED
        if "crash_at_boot" in choice.image.defects:
            self.spawn(self._agent_crash())
        self.spawn(self._dhcp())
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
        """What ``watchdog-report.sh`` writes before the daemon reboots (EVE.md §4.9)."""
        self.write_durable(paths.BOOT_REASON, str(int(reason)).encode())
        self.write_durable(paths.REBOOT_REASON, text.encode())
        self.write_durable(paths.REBOOT_IMAGE, (self.running_label or "").encode())

    def _table_write(self, write: TableWrite) -> Generator[simpy.Event, Any, None]:
        """Write both GPT copies; a power cut meanwhile tears one (see ``_tear_pending_table``)."""
        self._pending_table = (write, self.env.now)
        yield self.env.timeout(len(WRITE_ORDER) * self.hw.disk.table_write_seconds(self.hw.profile))
        self._pending_table = None
        self.hw.disk.apply(write)
        self._view = None

    def _tear_pending_table(self) -> None:
        if self._pending_table is None:
            return
        write, start = self._pending_table
        self._pending_table = None
        if self.env.now <= start:
            return
        torn = self.hw.disk.torn_by_cut(self.hw.profile, self.env.now - start)
        self.hw.disk.apply(write, torn)
        self._view = None
        if torn is not None:
            self.record("hw", "gpt_write_torn", {"copy": torn}, "warning")

    def _dhcp(self) -> Generator[simpy.Event, Any, None]:
        """Acquire an address whenever the port has carrier; drop it when carrier goes."""
        while True:
            if self.carrier and self.address is None:
                yield self.env.timeout(DHCP_S)
                if self.carrier:
                    self.address = f"10.{self.index // 65536 % 256}.{self.index // 256 % 256}.{self.index % 256 + 1}"
                    self.bus.publish(topics.LINK, self.address)
            yield self.world.link_changed(self.node)
            if not self.carrier and self.address is not None:
                self.address = None
                self.bus.publish(topics.LINK, None)

    # -------------------------------------------------------------- agents

    def start_agent(self, name: str, gen: Generator[Any, Any, Any]) -> None:
        """Run an agent generator on this device."""
        proc = self.env.process(backend.drive(self, gen))
        self.procs.append(proc)
        self.agents.setdefault(name, []).append(proc)

    def on_publish(self, topic: str, value: Any) -> None:
        """Mirror a few topics into the world's view (LED, onboarding)."""
        if topic == topics.LED and value != self.led:
            self.led = value
            self.record("ledmanager", "led", {"blinks": int(value), "state": value.name})
        elif topic == topics.ONBOARDING and value is not None and value.uuid != self.uuid:
            self.uuid = value.uuid
            self.world.device_onboarded(self)

    def hang(self, agent: str) -> None:
        """Fault: ``agent`` (and its tasks, ``agent.*``) freezes; ``watchdog`` freezes the watchdog
        daemon, ``kernel`` everything. The watchdogs then reset the device, or nothing does."""
        if self.state != "running":
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

    # -------------------------------------------------------------- facts for instant effects

    def hardware_facts(self) -> fx.Hardware:
        p = self.hw.profile
        return fx.Hardware(
            serial=self.serial, manufacturer=p.manufacturer, product_name=p.product_name, ncpu=p.ncpu,
            memory_mb=p.ram_mb, storage_mb=p.disk_gb * 1024, has_tpm=self.hw.tpm is not None,
            has_hw_watchdog=self.hw.hw_watchdog is not None, power_cycles=self.hw.power_cycles,
            watchdog_cardreset=self.hw.bootstatus_cardreset,
        )

    def partition_view(self) -> fx.PartitionView:
        """zboot's view of IMGA/IMGB (cached until the next table write, image write or boot)."""
        if self._view is None:
            disk = self.hw.disk
            labels = ("IMGA", "IMGB")
            versions = {label: (img.version if (img := disk.image_in(label)) else None) for label in labels}
            states = {label: disk.partition_state(label) for label in labels}
            self._view = fx.PartitionView(self.running_label or "IMGA", states, versions)
        return self._view

    def sign(self, key: str, data: bytes) -> bytes | None:
        """The ``Sign`` effect: with the TPM's device key, the soft key in /config (None if it is missing or
        unusable) or the onboarding key."""
        if key == "onboard":
            return certs.sign_raw(self.world.bootstrap.onboard_key, data)
        if self.hw.tpm is not None:
            return self.hw.tpm.sign(data)
        pem = self.hw.fs.read(paths.DEVICE_KEY)
        try:
            return certs.sign_raw(_parse_key(pem), data) if pem else None
        except certs.CertError:
            return None

    def attestation_certs(self) -> tuple[tuple[int, bytes], ...]:
        if self.hw.tpm is None:
            return ()
        return ((pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING, self.hw.tpm.ak_cert_pem),
                (pb.certs.CERT_TYPE_DEVICE_ENDORSEMENT_RSA, self.hw.tpm.ek_cert_pem))

    # -------------------------------------------------------------- timed device operations

    def create_identity(self, eff: fx.CreateDeviceIdentity) -> Generator[simpy.Event, Any, bytes]:
        """Device key in the TPM (or a soft key in /config) and a self-signed certificate."""
        cn = self.serial
        seed = rng.seed_bytes(self.world.seed, self.name, "device-key")
        if self.hw.tpm is not None:
            yield self.env.timeout(self.hw.profile.tpm_op_s)
            if not self.hw.tpm.device_key_exists():
                self.hw.tpm.create_device_key()
            pem = self.hw.tpm.device_cert_pem(cn)
        else:
            issued = certs.issue(cn, certs.Usage.DEVICE, seed=seed)
            self.write_durable(paths.DEVICE_KEY, issued.key_pem)
            pem = issued.cert_pem
        self.write_durable(paths.DEVICE_CERT, pem)
        return pem

    def quote(self, eff: fx.Quote) -> Generator[simpy.Event, Any, fx.QuoteResult | None]:
        if self.hw.tpm is None:
            return None
        yield self.env.timeout(self.hw.profile.tpm_op_s)
        result = self.hw.tpm.quote(eff.nonce)
        return fx.QuoteResult(result.attest, result.signature, result.pcr_values)

    def seal(self, eff: fx.SealKey) -> Generator[simpy.Event, Any, bytes | None]:
        if self.hw.tpm is None:
            return None
        yield self.env.timeout(self.hw.profile.tpm_op_s)
        return self.hw.tpm.seal(eff.secret)

    def unseal(self, eff: fx.UnsealKey) -> Generator[simpy.Event, Any, bytes | None]:
        if self.hw.tpm is None:
            return None
        yield self.env.timeout(self.hw.profile.tpm_op_s)
        if self.running_image is not None and "breaks_vault" in self.running_image.defects:
            return None
        try:
            return self.hw.tpm.unseal(eff.blob)
        except tpm.TpmError:
            return None

    def unlock_vault(self, key: bytes) -> bool:
        """Mount the vault with ``key``: right key (the first one ever used) and an image that can."""
        if self.running_image is not None and "breaks_vault" in self.running_image.defects:
            return False
        if self.vault_key is None:
            self.vault_key = key
        return key == self.vault_key

    def set_partition_state(self, eff: fx.SetPartitionState) -> Generator[simpy.Event, Any, None]:
        write = self.hw.disk.plan_state_change(eff.label, eff.state)
        yield from self._table_write(write)
        self.record("zboot", "partition_state", {"label": eff.label, "state": eff.state})

    def write_partition(self, eff: fx.WritePartition) -> Generator[simpy.Event, Any, str | None]:
        """Stream a verified blob onto a partition; a cut before the end leaves it invalid."""
        image = self.blobs.get(eff.blob)
        if image is None:
            return f"blob {eff.blob} not found"
        if not isinstance(image, EveImage):
            return f"blob {eff.blob} is not an EVE image"
        disk = self.hw.disk
        self._view = None
        try:
            disk.begin_image_write(eff.label, image)
        except ValueError as exc:
            return str(exc)
        total = flash.write_seconds(self.hw.profile, image.size_bytes)
        for step in range(1, 11):
            yield self.env.timeout(total / 10)
            self.record("zboot", "partition_write_progress", {"label": eff.label, "percent": step * 10})
        disk.finish_image_write(eff.label)
        self._view = None
        return None

    def domain(self, eff: fx.Domain) -> Generator[simpy.Event, Any, fx.DomainState]:
        """A hypervisor operation on this boot's Xen."""
        return (yield from self.xen.perform(eff))

    def download(self, eff: fx.Download) -> Generator[simpy.Event, Any, fx.DownloadResult]:
        """Fetch a blob from the datastore in chunks, then verify its sha256."""
        image = self.world.images.get(eff.url)
        if image is None:
            yield self.env.timeout(0.1)
            return fx.DownloadResult(None, f"404 for {eff.url}")
        chunk = max(image.size_bytes // DOWNLOAD_CHUNKS, 1)
        self.world.downloads += 1
        try:
            for _ in range(DOWNLOAD_CHUNKS):
                delay = self.world.datastore_chunk_delay(self, chunk)
                if delay is None:
                    yield self.env.timeout(transport.DIAL_TIMEOUT_S)
                    return fx.DownloadResult(None, "datastore unreachable")
                yield self.env.timeout(delay)
        finally:
            self.world.downloads -= 1
        if image.content_sha256 != eff.sha256:
            return fx.DownloadResult(None, f"sha256 mismatch: got {image.content_sha256[:12]}, want {eff.sha256[:12]}",
                                     verify_failed=True)
        self.blobs[eff.url] = image
        return fx.DownloadResult(eff.url)
