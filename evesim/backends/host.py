"""The ``host`` backend: performs agents' effects on the real machine.

Instant effects are plain functions; timed ones are coroutines the runner awaits. Time is the
wall clock, the controller is reached over HTTPS, files live under the state directory.
With a TPM the identity, quotes and the vault key are the TPM's (``evesim.backends.tpm_effects``); without
one quotes, sealing and attestation certs are absent and the device key is a soft key in ``/config``.
Simplifications: the vault is a plain directory, no A/B disk (partition writes are refused), no
hypervisor (domain operations fail).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evesim.agent import effects as fx
from evesim.agent import paths, topics
from evesim.agent.pubsub import Bus
from evesim.api import certs
from evesim.api.vocab import EventKind, Severity
from evesim.backends import machine, tpm_effects
from evesim.backends.https import ControllerClient, request_headers
from evesim.backends.logsink import LogSink
from evesim.backends.statedir import StateDir

AGENT = "host"
KEY_FILES = {"device": paths.DEVICE_KEY, "onboard": paths.ONBOARD_KEY}
UNSUPPORTED = "not supported on the host backend"
VAULT_DIR = "/persist/vault"
MAX_CN = 64
DEVICE_CERT_DAYS = 100 * 365
"""A device cert's validity from ``certs.EPOCH`` (fixed, so the cert can be made again identically)."""


@dataclass(frozen=True)
class Clock:
    """Where the host backend reads time: a monotonic clock and the wall clock."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time


class Lifecycle(Protocol):
    """What the runner does for effects that change the set of running agents."""

    def start_agent(self, name: str, process: Generator[Any, Any, Any]) -> None: ...

    def reboot(self, reason: str) -> None: ...

    def power_off(self, reason: str) -> None: ...


class HostDevice:
    """The device as the host backend sees it: state directory, controller client, bus, logs."""

    def __init__(self, state: StateDir, lifecycle: Lifecycle, log: LogSink, *, clock: Clock = Clock(),
                 seed: int = 0, system: Path = Path("/"), tpm: tpm_effects.Chip | None = None,
                 ports: Mapping[str, str] | None = None) -> None:
        self.name = str(state.root)
        """How errors name this device: its state directory."""
        self.state = state
        self.lifecycle = lifecycle
        self.log = log
        self.clock = clock
        self.seed = seed
        self.system = system
        self.tpm = tpm
        self.ports = dict(ports or {})
        """The ports and the local address each one's traffic leaves from; none: one port, whatever routes."""
        self.client = ControllerClient(state, self.ports)
        self.bus = Bus()
        self.booted_at = clock.monotonic()
        self.links = self._down()
        self.led: Any = None
        self._rngs: dict[str, random.Random] = {}
        self._keys: dict[bytes, ec.EllipticCurvePrivateKey | None] = {}
        self._hardware: fx.Hardware | None = None

    # -------------------------------------------------------------- lifecycle

    def new_boot(self) -> None:
        """Forget everything a boot held in memory: bus, uptime origin, link, hardware facts."""
        self.bus.clear_waiters()
        self.bus = Bus()
        self.booted_at = self.clock.monotonic()
        self.links = self._down()
        self.led = None
        self._hardware = None

    def record(self, agent: str, kind: EventKind, fields: Mapping[str, Any] | None = None,
               severity: Severity = "info") -> None:
        """Log an event (stdout + upload buffer) and wake loguploader."""
        msgid = self.log.emit(agent, kind, fields or {}, severity)
        self.bus.publish(topics.LOGS, msgid)

    def publish(self, topic: str, value: Any) -> None:
        """Publish on the bus; LED changes are also logged, as the ledmanager would show them."""
        self.bus.publish(topic, value)
        if topic == topics.LED and value != self.led:
            self.led = value
            blinks = int(value) if isinstance(value, int) else None
            self.record("ledmanager", "led", {"blinks": blinks, "state": getattr(value, "name", str(value))})

    def _down(self) -> tuple[fx.Link, ...]:
        return tuple(fx.Link(name, False, None) for name in self.ports or (machine.PORT,))

    def apply_ports(self, routes: tuple[fx.Route, ...]) -> None:
        """nim applied a DPC: its management ports (and their proxies) carry the requests from now on."""
        self.client.routes = routes

    def set_links(self, links: tuple[fx.Link, ...]) -> None:
        """A new view of the ports: publish ``Link`` when it changed, and log each port that changed."""
        if links == self.links:
            return
        old = {link.name: link for link in self.links}
        self.links = links
        self.bus.publish(topics.LINK, links)
        for link in links:
            if link != old.get(link.name):
                fields = {"up": link.up, "address": link.address}
                self.record(AGENT, "link", {"port": link.name, **fields} if self.ports else fields)

    # -------------------------------------------------------------- facts

    def now(self) -> float:
        """Monotonic seconds since this boot."""
        return self.clock.monotonic() - self.booted_at

    def rng(self, stream: str) -> random.Random:
        """The random stream ``stream`` (seeded from the device seed)."""
        rng = self._rngs.get(stream)
        if rng is None:
            rng = self._rngs[stream] = random.Random(f"{self.seed}/{stream}")
        return rng

    def timed(self, kind: type) -> Timed | None:
        """The handler of timed effects of type ``kind``: the TPM's with a TPM (a backend built on this one swaps
        others)."""
        mine = tpm_effects.TIMED.get(kind) if self.tpm is not None else None
        return mine or TIMED.get(kind)

    def instant(self, kind: type) -> Instant | None:
        """The handler of instant effects of type ``kind``."""
        mine = tpm_effects.INSTANT.get(kind) if self.tpm is not None else None
        return mine or INSTANT.get(kind)

    def hardware(self) -> fx.Hardware:
        """The board's facts, read once per boot."""
        if self._hardware is None:
            self._hardware = replace(self.host_facts(), has_tpm=self.tpm is not None)
        return self._hardware

    def host_facts(self) -> fx.Hardware:
        """What the machine says of itself (``evesim.backends.machine``)."""
        return machine.hardware(self.state, self.system)

    def onboarding_serials(self) -> tuple[str, str] | None:
        """(serial, soft serial) while the device has no UUID yet, else None."""
        if self.state.read(paths.UUID):
            return None
        soft = (self.state.read(paths.SOFT_SERIAL) or b"").decode(errors="replace").strip()
        return self.hardware().serial, soft

    # -------------------------------------------------------------- identity

    def sign(self, key: str, data: bytes) -> bytes | None:
        """ECDSA-SHA256 raw r‖s with the device or onboarding key from ``/config``; None if it is missing or
        unusable (not a PEM EC private key)."""
        path = KEY_FILES.get(key)
        if path is None:
            raise ValueError(f"unknown signing key {key!r}: expected 'device' or 'onboard'")
        if key == "device" and tpm_effects.enabled(self):
            return tpm_effects.sign(self, data)
        private = self._key(self.state.read(path))
        return None if private is None else certs.sign_raw(private, data)

    def _key(self, pem: bytes | None) -> Any:
        """The parsed private key of ``pem`` (cached), or None."""
        if not pem:
            return None
        if pem not in self._keys:
            try:
                self._keys[pem] = certs.load_key(pem)
            except certs.CertError:
                self._keys[pem] = None
        return self._keys[pem]

    def create_identity(self) -> bytes:
        """The device cert, self-signed, for the device key in ``/config`` if it holds a usable one (a new
        EC P-256 key, mode 0600, if not). The cert follows from key and serial alone, so a lost or
        corrupt cert is made again byte for byte and the device keeps its identity at the controller."""
        key = self._key(self.state.read(paths.DEVICE_KEY))
        if key is None:
            key = certs.make_key()
            self.state.write(paths.DEVICE_KEY, certs.key_pem(key), mode=0o600)
        pem = self.issue_device_cert(key)
        self.state.write(paths.DEVICE_CERT, pem)
        return pem

    def issue_device_cert(self, key: ec.EllipticCurvePrivateKey) -> bytes:
        """The self-signed device cert of ``key`` (soft or in the TPM): serial and validity follow from the public
        key and the board's serial."""
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        issued = certs.issue(_common_name(self.hardware().serial), certs.Usage.DEVICE, key=key,
                             seed=hashlib.sha256(public).digest(), days=DEVICE_CERT_DAYS)
        return issued.cert_pem


def _common_name(serial: str) -> str:
    """A device cert's CN from the serial: X.509 allows 1 to 64 characters."""
    return serial[:MAX_CN] or "eve-device"


# ---------------------------------------------------------------- instant effects

E = TypeVar("E")
R = TypeVar("R")
Instant = Callable[[HostDevice, Any], Any]
Timed = Callable[[HostDevice, Any], Awaitable[Any]]


def _on(cls: type[E], handler: Callable[[HostDevice, E], R]) -> tuple[type, Callable[[HostDevice, Any], R]]:
    """A table entry: ``handler`` performs effects of type ``cls`` (mypy checks it takes one)."""
    return cls, handler


def _spawn(dev: HostDevice, eff: fx.Spawn) -> None:
    dev.lifecycle.start_agent(eff.name, eff.process)


def _write_file(dev: HostDevice, eff: fx.WriteFile) -> None:
    """Write a device file; a checkpoint write the host refuses (a directory in the way, no space, read-only) is
    logged and the agent goes on, as EVE's agents log a failed checkpoint write (``fileutils.WriteRename``'s error);
    any other failed write (the device identity, status files) still fails the agent."""
    try:
        dev.state.write(eff.path, eff.data, eff.keep_bak)
    except OSError as exc:
        if not eff.path.startswith(CHECKPOINTS):
            raise
        dev.record("host", "write_failed", {"path": eff.path, "error": exc.strerror or str(exc)}, "error")


CHECKPOINTS = "/persist/checkpoint/"


def _unlock_vault(dev: HostDevice, eff: fx.UnlockVault) -> bool:
    """Simplification: ``/persist/vault`` is an unencrypted directory, so any key "unlocks" it."""
    dev.state.host_path(VAULT_DIR).mkdir(parents=True, exist_ok=True)
    return True


INSTANT: dict[type, Instant] = dict((
    _on(fx.Now, lambda dev, eff: dev.now()),
    _on(fx.WallClock, lambda dev, eff: dev.clock.wall()),
    _on(fx.Random, lambda dev, eff: dev.rng(eff.stream).random()),
    _on(fx.RandomBytes, lambda dev, eff: os.urandom(eff.n)),
    _on(fx.UnlockVault, _unlock_vault),
    _on(fx.LinkStatus, lambda dev, eff: dev.links),
    _on(fx.ApplyAppNetwork, lambda dev, eff: None),
    _on(fx.CollectFlows, lambda dev, eff: ()),
    _on(fx.ApplyPorts, lambda dev, eff: dev.apply_ports(eff.ports)),
    _on(fx.ReadFile, lambda dev, eff: dev.state.read(eff.path)),
    _on(fx.WriteFile, _write_file),
    _on(fx.RemoveFile, lambda dev, eff: dev.state.remove(eff.path)),
    _on(fx.ListFiles, lambda dev, eff: dev.state.listdir(eff.path)),
    _on(fx.Sign, lambda dev, eff: dev.sign(eff.key, eff.data)),
    _on(fx.HardwareInfo, lambda dev, eff: dev.hardware()),
    _on(fx.PersistUsage, lambda dev, eff: machine.persist_usage(dev.state)),
    _on(fx.MemoryUsage, lambda dev, eff: machine.memory_usage(dev.system)),
    _on(fx.DeviceCerts, lambda dev, eff: ()),
    _on(fx.Partitions, lambda dev, eff: machine.partitions(dev.state)),
    _on(fx.Publish, lambda dev, eff: dev.publish(eff.topic, eff.value)),
    _on(fx.Read, lambda dev, eff: dev.bus.get(eff.topic)),
    _on(fx.Spawn, _spawn),
    _on(fx.Log, lambda dev, eff: dev.record(eff.agent, eff.kind, dict(eff.fields), eff.severity)),
    _on(fx.DrainLogs, lambda dev, eff: dev.log.drain(eff.limit)),
))


# ---------------------------------------------------------------- timed effects


async def _sleep(dev: HostDevice, eff: fx.Sleep) -> None:
    await asyncio.sleep(max(eff.seconds, 0.0))


async def _request(dev: HostDevice, eff: fx.Request) -> fx.Response:
    headers = request_headers(eff.body, str(uuid.uuid4()), dev.onboarding_serials())
    return await dev.client.request(eff, headers)


async def _download(dev: HostDevice, eff: fx.Download) -> fx.DownloadResult:
    return await dev.client.download(eff)


async def _fetch_pac(dev: HostDevice, eff: fx.FetchPac) -> fx.PacFetched:
    return await dev.client.fetch_pac(eff)


async def _wait(dev: HostDevice, eff: fx.Wait) -> int:
    loop = asyncio.get_running_loop()
    woken: asyncio.Future[int] = loop.create_future()

    def wake(version: int) -> None:
        if not woken.done():
            woken.set_result(version)

    bus = dev.bus
    waiter = bus.wait(eff.topics, eff.since, wake)
    timer = None
    if waiter is not None and eff.timeout is not None:
        timer = loop.call_later(max(eff.timeout, 0.0), bus.expire, waiter)
    try:
        return await woken
    finally:
        if timer is not None:
            timer.cancel()
        if waiter is not None:
            bus.expire(waiter)


async def _identity(dev: HostDevice, eff: fx.CreateDeviceIdentity) -> bytes:
    return dev.create_identity()


async def _no_tpm(dev: HostDevice, eff: fx.Quote | fx.SealKey | fx.UnsealKey | fx.TpmSanity) -> None:
    return None


async def _set_partition_state(dev: HostDevice, eff: fx.SetPartitionState) -> None:
    dev.record("zboot", "partition_state_refused", {"label": eff.label, "state": eff.state, "error": UNSUPPORTED},
               "warning")


async def _write_partition(dev: HostDevice, eff: fx.WritePartition) -> str:
    return UNSUPPORTED


async def _domain(dev: HostDevice, eff: fx.Domain) -> fx.DomainState:
    return fx.DomainState(eff.name, "absent", None, UNSUPPORTED)


async def _reboot(dev: HostDevice, eff: fx.Reboot) -> None:
    dev.lifecycle.reboot(eff.reason)
    await asyncio.get_running_loop().create_future()


async def _poweroff(dev: HostDevice, eff: fx.PowerOff) -> None:
    dev.lifecycle.power_off(eff.reason)
    await asyncio.get_running_loop().create_future()


TIMED: dict[type, Timed] = dict((
    _on(fx.Sleep, _sleep),
    _on(fx.Request, _request),
    _on(fx.Download, _download),
    _on(fx.FetchPac, _fetch_pac),
    _on(fx.Wait, _wait),
    _on(fx.CreateDeviceIdentity, _identity),
    _on(fx.Quote, _no_tpm),
    _on(fx.TpmSanity, _no_tpm),
    _on(fx.SealKey, _no_tpm),
    _on(fx.UnsealKey, _no_tpm),
    _on(fx.SetPartitionState, _set_partition_state),
    _on(fx.WritePartition, _write_partition),
    _on(fx.Domain, _domain),
    _on(fx.Reboot, _reboot),
    _on(fx.PowerOff, _poweroff),
))


async def drive(dev: HostDevice, process: Generator[Any, Any, Any], agent: str) -> None:
    """Run agent ``agent``'s generator to completion, performing each effect it yields.

    A handler that raises is reported as ``fx.EffectFailed`` naming the device, the agent and the effect.
    """
    send = process.send
    result: Any = None
    effect: Any = None
    try:
        while True:
            effect = send(result)
            instant = dev.instant(effect.__class__)
            if instant is not None:
                result = instant(dev, effect)
                continue
            timed = dev.timed(effect.__class__)
            if timed is None:
                raise TypeError(f"the host backend cannot perform {effect!r}")
            result = await timed(dev, effect)
    except StopIteration:
        return
    except Exception as exc:
        if inspect.getgeneratorstate(process) == inspect.GEN_CLOSED:  # the agent itself raised
            raise
        raise fx.EffectFailed.performing(dev.name, agent, effect, exc) from exc
    finally:
        process.close()
