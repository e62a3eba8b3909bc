"""The effect vocabulary: small immutable requests an agent yields; a backend performs them.

An agent is a generator: ``result = yield Effect(...)``. Effects marked *instant* complete
without time passing; the others take (simulated or real) time.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from evesim.agent.netinst import Ace, NiKind
from evesim.api.vocab import DOMAIN_OPS as DOMAIN_OPS
from evesim.api.vocab import TRANSPORT_ERRORS as TRANSPORT_ERRORS
from evesim.api.vocab import (
    DomainOp,
    DomainStatus,
    EventKind,
    PartitionLabel,
    PartitionState,
    SettableState,
    Severity,
    TransportError,
)

# ---------------------------------------------------------------- time and randomness


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds``. Result: None."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Now:
    """Instant. Result: monotonic seconds since this boot (immune to clock jumps)."""


@dataclass(frozen=True, slots=True)
class WallClock:
    """Instant. Result: the device's idea of unix time in seconds (can jump)."""


@dataclass(frozen=True, slots=True)
class Random:
    """Instant. Result: a float in [0, 1) from the device's seeded stream ``stream``."""

    stream: str = "agent"


@dataclass(frozen=True, slots=True)
class RandomBytes:
    """Instant. Result: ``n`` bytes for key material (seeded in simulation, ``os.urandom`` on hosts)."""

    n: int


# ---------------------------------------------------------------- controller traffic


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTPS request to the controller, path relative to its host. Result: ``Response``."""

    method: str
    path: str
    body: bytes | None = None
    timeout: float = 120.0
    via: str | None = None
    """Send over this port only (nim's per-port test); None: over the applied management ports, cheapest first,
    each tried in turn until one answers (EVE's ``SendOnAllIntf``)."""


SUCCESS = frozenset({200, 201, 204, 304})
"""HTTP statuses EVE treats as success everywhere."""


@dataclass(frozen=True, slots=True)
class Response:
    """What came back: an HTTP status, or ``status=None`` and a transport ``error``."""

    status: int | None
    body: bytes = b""
    content_type: str = ""
    error: TransportError | None = None

    @property
    def ok(self) -> bool:
        """EVE's success codes: 200, 201, 204, 304."""
        return self.status in SUCCESS


@dataclass(frozen=True, slots=True)
class Download:
    """Fetch a blob from a datastore URL and check its sha256. Result: ``DownloadResult``."""

    url: str
    sha256: str
    size_bytes: int
    max_cost: int = 0
    """Only management ports of at most this cost carry it (EVE's ``network.download.max.cost``)."""


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """Outcome of a download: ``blob`` names the verified content on the device, or ``error``.

    ``verify_failed``: the bytes arrived but their sha256 is not the one asked for.
    """

    blob: str | None
    error: str | None = None
    verify_failed: bool = False


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """Instant. Result: a ``Link`` for each network port the device has, in its order."""


@dataclass(frozen=True, slots=True)
class Link:
    """A port's name, carrier and address, and the domain name its DHCP lease gives ("" for none)."""

    name: str
    up: bool
    address: str | None
    domain: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """A management port as nim applies it: its cost, whether its last test failed, its HTTPS proxy."""

    name: str
    cost: int = 0
    failed: bool = False
    proxy: str = ""
    """``host:port`` of the proxy requests to the controller go through ("" for none)."""
    exceptions: str = ""
    """Hosts reached without the proxy, comma-separated."""
    static: str = ""
    """A static address with its prefix (``192.168.1.44/24``) the port is given instead of asking DHCP."""
    gateway: bool = True
    """Whether the port has a default route (a static port without a gateway has none: EVE's ``--nogateway``)."""
    dns: bool = True
    """Whether the port has DNS servers (a static port lists its own)."""
    trusted: tuple[str, ...] = ()
    """SHA-256 fingerprints of the proxy CA certificates the port's config gives (``proxyCertPEM``): a proxy that
    inspects TLS with one of them is trusted."""
    pac: str = ""
    """A proxy auto-configuration file (base64, as in the config, or as nim found it by WPAD): it decides the proxy
    for each request, instead of ``proxy`` and ``exceptions``."""


@dataclass(frozen=True, slots=True)
class Vif:
    """An app adapter as zedrouter set it up: its instance, the ports behind it, address and rules."""

    app: str
    app_name: str
    adapter: str
    network: str
    kind: NiKind
    ports: tuple[str, ...]
    name: str
    """The VIF's host name, ``nbu<adapter>x<app number>``."""
    bridge: str
    mac: str
    ip: str
    """Its address on a local instance (a switch instance's address comes from the outside DHCP server: "")."""
    acls: tuple[Ace, ...]
    flowlog: bool


@dataclass(frozen=True, slots=True)
class ApplyAppNetwork:
    """Instant. Set up these app interfaces (and tear down the others), as zedrouter's reconciler does. Result: None."""

    vifs: tuple[Vif, ...]


@dataclass(frozen=True, slots=True)
class Flow:
    """A finished connection of an app interface, from the app's side (EVE's ``FlowRec``); times in wall seconds."""

    app: str
    adapter: str
    src: str
    src_port: int
    dst: str
    dst_port: int
    protocol: int
    inbound: bool
    ace_id: int
    action: Literal["accept", "drop"]
    start: float
    end: float
    tx_bytes: int
    tx_pkts: int
    rx_bytes: int
    rx_pkts: int


@dataclass(frozen=True, slots=True)
class CollectFlows:
    """Instant. The connections of app interfaces that ended within the last 150 s (conntrack's extra timeout), as
    EVE's flow collector dumps them: one may be seen by two collections. Result: tuple[Flow, ...]."""


@dataclass(frozen=True, slots=True)
class FetchPac:
    """Timed. GET a PAC file at ``url`` directly over port ``port`` (15 s at most), as EVE's WPAD ``getPacFile``.
    Result: PacFetched."""

    port: str
    url: str


@dataclass(frozen=True, slots=True)
class PacFetched:
    """A PAC file fetched (base64), or why not."""

    pac: str | None
    error: str = ""


@dataclass(frozen=True, slots=True)
class ApplyPorts:
    """Instant. Route controller traffic over these management ports (nim applying a DPC). Result: None."""

    ports: tuple[Route, ...]


# ---------------------------------------------------------------- persistent state


@dataclass(frozen=True, slots=True)
class ReadFile:
    """Instant. Result: the file's bytes, or None if it does not exist or cannot be read."""

    path: str


@dataclass(frozen=True, slots=True)
class WriteFile:
    """Instant. Durable atomic replace (tmp + fsync + rename + dir fsync). ``keep_bak`` keeps the old copy."""

    path: str
    data: bytes
    keep_bak: bool = False


@dataclass(frozen=True, slots=True)
class RemoveFile:
    """Instant. Remove a file durably (no error if absent)."""

    path: str


@dataclass(frozen=True, slots=True)
class ListFiles:
    """Instant. Result: the sorted names of the files in directory ``path`` (empty if there is none)."""

    path: str


# ---------------------------------------------------------------- identity and hardware


@dataclass(frozen=True, slots=True)
class CreateDeviceIdentity:
    """Make the device key (in the TPM if there is one) and self-signed cert. Result: cert PEM."""


@dataclass(frozen=True, slots=True)
class Sign:
    """Instant. ECDSA-SHA256 with ``key`` ("device" or "onboard"). Result: raw r‖s bytes, or None if that
    key is missing or unusable."""

    key: str
    data: bytes


@dataclass(frozen=True, slots=True)
class HardwareInfo:
    """Instant. Result: ``Hardware`` facts of this board."""


@dataclass(frozen=True, slots=True)
class PersistUsage:
    """Instant. Result: ``DiskUsage`` of the file system holding ``/persist`` (a statfs)."""


@dataclass(frozen=True, slots=True)
class DiskUsage:
    """Size and used bytes of a file system."""

    total: int
    used: int


@dataclass(frozen=True, slots=True)
class MemoryUsage:
    """Instant. Result: ``Memory``, the device's memory and how much of it is in use now."""


@dataclass(frozen=True, slots=True)
class Memory:
    """Total and used memory, in MiB."""

    total_mb: int
    used_mb: int


@dataclass(frozen=True, slots=True)
class Hardware:
    """Static and boot-time facts the board reports."""

    serial: str
    manufacturer: str
    product_name: str
    ncpu: int
    memory_mb: int
    storage_mb: int
    has_tpm: bool
    has_hw_watchdog: bool
    power_cycles: int
    watchdog_cardreset: bool


TpmCheck = Literal["ok", "encryption"]
"""What tpmmgr's sanity check found: all well, or ECDH encrypt/decrypt failing."""


@dataclass(frozen=True, slots=True)
class TpmSanity:
    """Encrypt and decrypt a message with the TPM (EVE's ``tpmSanityCheck``). Result: ``TpmCheck``, or None without
    a TPM."""


@dataclass(frozen=True, slots=True)
class Quote:
    """Ask the TPM for a quote over ``nonce``. Result: ``QuoteResult`` or None without a TPM."""

    nonce: bytes


@dataclass(frozen=True, slots=True)
class QuoteResult:
    """A TPM quote and the PCR values it covers."""

    attest: bytes
    signature: bytes
    pcr_values: Mapping[int, bytes]


@dataclass(frozen=True, slots=True)
class DeviceCerts:
    """Instant. Result: PEM certs the device presents for attestation: tuple of (kind, pem)."""


@dataclass(frozen=True, slots=True)
class SealKey:
    """Seal ``secret`` to the current PCRs. Result: blob bytes, or None without a TPM."""

    secret: bytes


@dataclass(frozen=True, slots=True)
class UnsealKey:
    """Unseal a blob. Result: the secret, or None if the PCR policy fails (vault stays locked)."""

    blob: bytes


@dataclass(frozen=True, slots=True)
class UnlockVault:
    """Mount the encrypted ``/persist/vault`` with ``key``. Result: True if it unlocked."""

    key: bytes


# ---------------------------------------------------------------- boot partitions (zboot)


@dataclass(frozen=True, slots=True)
class Partitions:
    """Instant. Result: ``PartitionView`` of IMGA/IMGB as zboot reports them."""


@dataclass(frozen=True, slots=True)
class PartitionView:
    """Current partition, each partition's state and the version of its complete image (and its size)."""

    current: PartitionLabel
    states: Mapping[PartitionLabel, PartitionState]
    versions: Mapping[PartitionLabel, str | None]
    sizes: Mapping[PartitionLabel, int] | None = None
    """Each partition's size in bytes (zboot's ``GetPartitionSizeInBytes``); None if not known."""


@dataclass(frozen=True, slots=True)
class SetPartitionState:
    """zboot set_partstate: ``state`` in active/updating/unused. Result: None."""

    label: PartitionLabel
    state: SettableState


@dataclass(frozen=True, slots=True)
class WritePartition:
    """Stream a downloaded blob onto a partition. Result: None, or an error string.

    ``version``: what the controller says the image is (a backend that cannot read the image's own
    ``/etc/eve-release`` reports it as the partition's version)."""

    label: PartitionLabel
    blob: str
    version: str = ""


# ---------------------------------------------------------------- hypervisor (domainmgr)


@dataclass(frozen=True, slots=True)
class Domain:
    """A hypervisor operation on a domain. Result: ``DomainState``.

    ``create`` (paused, booting from volume ``blob``), ``start`` (unpause), ``stop`` (ask the guest
    to shut down, or switch it off if ``force``), ``destroy`` (free it), ``info``.
    """

    op: DomainOp
    name: str
    memory_kb: int = 0
    vcpus: int = 0
    blob: str = ""
    force: bool = False


@dataclass(frozen=True, slots=True)
class DomainState:
    """What the hypervisor says about a domain afterwards.

    ``state``: ``paused``, ``running``, ``shutdown`` (shutting down), ``halted``, ``crashed`` or
    ``absent``; ``error`` says why the operation was refused.
    """

    name: str
    state: DomainStatus
    domid: int | None = None
    error: str | None = None


# ---------------------------------------------------------------- in-device pubsub and lifecycle


@dataclass(frozen=True, slots=True)
class Publish:
    """Instant. Set ``topic`` to ``value`` in the device's pubsub; wakes its waiters."""

    topic: str
    value: Any


@dataclass(frozen=True, slots=True)
class Read:
    """Instant. Result: the current value of ``topic`` (None if never published)."""

    topic: str


@dataclass(frozen=True, slots=True)
class Wait:
    """Block until any of ``topics`` changed after bus version ``since``, or ``timeout`` passed.

    Result: the bus version when woken (compare with ``since`` to tell change from timeout).
    """

    topics: tuple[str, ...]
    since: int
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Spawn:
    """Instant. Start another agent process of this device."""

    name: str
    process: Generator[Any, Any, Any] = field(compare=False)


@dataclass(frozen=True, slots=True)
class Log:
    """Instant. A structured event for the run's event log and the device's uploaded logs."""

    agent: str
    kind: EventKind
    fields: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity = "info"


@dataclass(frozen=True, slots=True)
class DrainLogs:
    """Instant. Result: up to ``limit`` pending device log entries (``LogRecord``), oldest first."""

    limit: int = 500


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One device log entry waiting for upload."""

    time: float
    agent: str
    kind: EventKind
    severity: Severity
    content: str
    msgid: int


@dataclass(frozen=True, slots=True)
class Reboot:
    """Reset the device now (``zboot reset``): every process of it stops. Never returns."""

    reason: str


@dataclass(frozen=True, slots=True)
class PowerOff:
    """Power the device off (``zboot poweroff``). Never returns."""

    reason: str


# ---------------------------------------------------------------- the vocabulary as a whole


Effect: TypeAlias = (
    Sleep | Now | WallClock | Random | RandomBytes | Request | Download | FetchPac | LinkStatus | ApplyPorts
    | ApplyAppNetwork | CollectFlows | ReadFile
    | WriteFile
    | RemoveFile | ListFiles | CreateDeviceIdentity | Sign | HardwareInfo | PersistUsage | MemoryUsage | TpmSanity
    | Quote
    | DeviceCerts | SealKey | UnsealKey | UnlockVault | Partitions | SetPartitionState | WritePartition | Domain
    | Publish | Read | Wait | Spawn | Log | DrainLogs | Reboot | PowerOff
)
"""Every request an agent may yield; a backend performs each of them (``typing.get_args(Effect)``)."""


class EffectFailed(RuntimeError):
    """A backend failed to perform an effect: the message names the device, the agent and the effect."""

    @classmethod
    def performing(cls, device: str, agent: str, effect: object, cause: BaseException) -> EffectFailed:
        """The error for ``cause``, raised by the handler of ``effect`` (raise it ``from cause``)."""
        return cls(f"device {device}, agent {agent}: performing {effect!r} failed: {type(cause).__name__}: {cause}")
