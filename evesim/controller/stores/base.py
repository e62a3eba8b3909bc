"""What a controller store keeps, and the interface every store implements."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol, get_args

SeriesKind = Literal["info", "metrics", "logs", "applogs", "flowlog", "hardwarehealth", "requests"]
"""The bounded series a store keeps per device (``info`` is the history behind the latest-info table)."""
KINDS: tuple[SeriesKind, ...] = get_args(SeriesKind)


class StoreError(RuntimeError):
    """The store could not write (disk full, I/O error): the transaction was rolled back, nothing changed."""


@dataclass(frozen=True, kw_only=True)
class Limits:
    """How many entries a store keeps per device and series; 0 keeps none."""

    configs: int = 8
    info: int = 16
    metrics: int = 16
    logs: int = 128
    applogs: int = 128
    flowlog: int = 8
    hardwarehealth: int = 4
    requests: int = 32
    max_bytes: tuple[tuple[SeriesKind, int], ...] = ()
    """Bytes of item data a store keeps per device for the series named, oldest dropped first (the newest item
    always stays); the entry limits apply too."""
    max_objects: int | None = None
    """Distinct info objects (``<ztype>/<object id>``) whose latest info a device keeps; past it the object
    reported least recently is dropped. None: no limit."""

    def of(self, kind: SeriesKind | Literal["configs"]) -> int:
        """The limit for one series kind (or ``configs``)."""
        return getattr(self, kind)

    def bytes_of(self, kind: SeriesKind) -> int | None:
        """The byte limit of one series kind, None if it has none."""
        return dict(self.max_bytes).get(kind)


@dataclass(frozen=True, slots=True)
class OnboardEntry:
    """An onboarding certificate on the allow-list, keyed by its CN, with the serials it may register."""

    cn: str
    cert_pem: bytes
    serials: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A registered device: its UUID and device certificate, and how it onboarded."""

    uuid: str
    cert_pem: bytes
    cert_hash: bytes
    onboard_cn: str = ""
    serial: str = ""


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    """One version of a device's config: serialized ``EdgeDevConfig``."""

    version: int
    at: float
    data: bytes


@dataclass(frozen=True, slots=True)
class Attestation:
    """A device's attestation state: last nonce, integrity token, its certs and escrowed keys."""

    nonce: bytes = b""
    token: bytes = b""
    certs: bytes = b""
    """Serialized ``ZAttestReq`` of the last ATTEST_REQ_CERT."""
    keys: bytes = b""
    """Serialized ``AttestStorageKeys`` (token cleared) of the last STORE_KEYS."""
    quote: bytes = b""
    """Serialized ``ZAttestQuote`` of the last quote: its PCR values and versions (attestData and signature
    dropped), what Adam reports as the received PCR template."""


@dataclass(frozen=True, slots=True)
class Kept:
    """What a store keeps of one device's series, and what it dropped to stay within its limits."""

    items: int = 0
    bytes: int = 0
    dropped_items: int = 0
    dropped_bytes: int = 0


UNBOUNDED = 1 << 31
"""An item count limit that never binds (a series bounded by bytes only)."""
OBJECTS = "info_objects"
"""``retention``'s name for the latest-info table."""


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a series: when, about what (``key``) and the stored bytes."""

    at: float
    key: str
    data: bytes


class Store(Protocol):
    """Persistence for the controller; every mutating call runs inside ``transaction()`` when one is open."""

    limits: Limits

    def transaction(self) -> AbstractContextManager[None]:
        """Group calls into one atomic unit (nesting joins the outer one)."""

    def put_onboard(self, entry: OnboardEntry) -> None:
        """Add or replace the allow-list entry with ``entry.cn``."""

    def get_onboard(self, cn: str) -> OnboardEntry | None:
        """The entry with this CN."""

    def list_onboard(self) -> list[OnboardEntry]:
        """Every entry, in the order first added."""

    def remove_onboard(self, cn: str) -> bool:
        """Drop an entry; False if there was none."""

    def add_device(self, device: DeviceRecord) -> None:
        """Register a device (its UUID must be new)."""

    def get_device(self, uuid: str) -> DeviceRecord | None:
        """The device with this UUID."""

    def list_devices(self) -> list[DeviceRecord]:
        """Every device, in registration order."""

    def remove_device(self, uuid: str) -> bool:
        """Drop a device with its configs, attestation and series; False if unknown."""

    def put_config(self, uuid: str, config: ConfigVersion) -> None:
        """Make ``config`` the device's current config, keeping a bounded history."""

    def current_config(self, uuid: str) -> ConfigVersion | None:
        """The device's latest config."""

    def config_history(self, uuid: str) -> list[ConfigVersion]:
        """Kept config versions, oldest first, the current one last."""

    def get_attestation(self, uuid: str) -> Attestation:
        """The device's attestation state (empty if none yet)."""

    def put_attestation(self, uuid: str, state: Attestation) -> None:
        """Replace the device's attestation state."""

    def get_setting(self, key: str) -> bytes | None:
        """A controller-wide setting (such as Adam's global options), None if never set."""

    def put_setting(self, key: str, value: bytes) -> None:
        """Set a controller-wide setting."""

    def put_info(self, uuid: str, item: Item) -> None:
        """Store the latest info for ``item.key`` and append it to the device's info history."""

    def latest_info(self, uuid: str) -> list[Item]:
        """The latest info item per key, in key order."""

    def latest_info_item(self, uuid: str, key: str) -> Item | None:
        """The latest info item for one key."""

    def append(self, kind: SeriesKind, uuid: str, item: Item) -> None:
        """Append to a bounded series (one of ``KINDS``)."""

    def retention(self, uuid: str) -> dict[str, Kept]:
        """Per series (and ``OBJECTS``, the latest-info table): what is kept and what limits dropped."""

    def series(self, kind: SeriesKind, uuid: str, key: str | None = None) -> list[Item]:
        """A device's kept entries of one series, oldest first, optionally only those with ``key``."""

    def close(self) -> None:
        """Release resources."""


def check_kind(kind: str) -> None:
    """Raise ``ValueError`` for an unknown series kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown series kind {kind!r}; known: {', '.join(KINDS)}")
