"""The named parts a simulated device is made of: its boot state, its telemetry, its storage."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal, get_args

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.api.vocab import PartitionLabel
from evesim.hw.disk import TableWrite
from evesim.hw.image import AppImage, EveImage

DeviceState = Literal["off", "booting", "running", "bricked"]
"""A device's power and boot state."""
STATES: tuple[DeviceState, ...] = get_args(DeviceState)
LOG_BUFFER = 2000
"""Device log entries kept for upload; older ones are dropped."""


@dataclass(slots=True)
class BootState:
    """Power and boot: what runs now, since when, and what this device has ever booted."""

    state: DeviceState = "off"
    boots: int = 0
    booted_at: float = 0.0
    running_label: PartitionLabel | None = None
    running_image: EveImage | None = None
    booted_versions: set[str] = field(default_factory=set)
    reset_pending: bool = False


@dataclass(slots=True)
class Telemetry:
    """What the device shows and reports: its log buffer, its LED, its traffic counters."""

    log_buffer: deque[fx.LogRecord] = field(default_factory=lambda: deque(maxlen=LOG_BUFFER))
    msgid: int = 0
    led: topics.Led = topics.Led.UNDEFINED
    tx_bytes: int = 0
    rx_bytes: int = 0


@dataclass(slots=True)
class Storage:
    """What the disk holds beyond files: verified blobs, the vault's key, the partition table as zboot sees it."""

    blobs: dict[str, EveImage | AppImage] = field(default_factory=dict)
    vault_key: bytes | None = None
    persist_free_cap: int | None = None
    """While something outside EVE's apps fills ``/persist``: the bytes it leaves free."""
    persist_fills: int = 0
    """How many ``fill_persist`` faults this disk has had (a timed one ends only if no later one followed)."""
    pending_table: tuple[TableWrite, float] | None = None
    """A GPT write in progress and when it started (a power cut meanwhile tears it)."""
    view: fx.PartitionView | None = None
    """zboot's view of the partitions, until the next table write, image write or boot."""
