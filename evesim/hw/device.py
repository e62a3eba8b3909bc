"""The hardware of one simulated device: disk, TPM, files, watchdog and power state."""

from __future__ import annotations

from typing import Literal, get_args

from evesim.hw.board import BoardProfile
from evesim.hw.disk import Disk
from evesim.hw.image import EveImage
from evesim.hw.persist import FileSystem
from evesim.hw.tpm import Tpm
from evesim.hw.watchdog import HardwareWatchdog

ResetKind = Literal["soft", "hw_watchdog"]
"""``soft``: a reboot; ``hw_watchdog``: the hardware watchdog timer fired."""
RESET_KINDS: tuple[ResetKind, ...] = get_args(ResetKind)


class DeviceHardware:
    """Aggregate the simulation drives with explicit times; it starts powered off.

    Simplification: a soft reset is EVE's ``zboot reset`` (``reboot -n -f``, no sync), so it
    loses unsynced writes exactly like a power cut; only a power cut counts a power cycle.
    """

    __slots__ = (
        "profile",
        "serial",
        "disk",
        "tpm",
        "fs",
        "hw_watchdog",
        "power_cycles",
        "bootstatus_cardreset",
        "powered_since",
    )

    def __init__(self, profile: BoardProfile, seed: bytes, initial_image: EveImage | None, serial: str) -> None:
        if not isinstance(seed, bytes) or not seed:
            raise ValueError("hardware seed must be non-empty bytes")
        self.profile = profile
        self.serial = serial
        self.disk = Disk(profile, seed, initial_image)
        firmware = f"{profile.manufacturer} {profile.product_name}"
        self.tpm = Tpm(seed, serial=serial, firmware=firmware) if profile.has_tpm else None
        self.fs = FileSystem()
        self.hw_watchdog = HardwareWatchdog(profile.hw_watchdog_timeout_s) if profile.has_hw_watchdog else None
        self.power_cycles = 0
        self.bootstatus_cardreset = False
        self.powered_since: float | None = None

    @property
    def powered(self) -> bool:
        """True while the device has power."""
        return self.powered_since is not None

    def power_on(self, now: float) -> None:
        """Power restored: the disk counts a power cycle, the TPM starts fresh; no effect if already on."""
        if self.powered:
            return
        self.power_cycles += 1
        self.bootstatus_cardreset = False
        self._restart()
        self.powered_since = now

    def power_cut(self, now: float) -> None:
        """Power lost at ``now``: everything not durable is gone; no effect if already off."""
        if not self.powered:
            return
        self._stop()
        self.powered_since = None

    def reset(self, kind: ResetKind, now: float) -> None:
        """Warm reset (``soft`` or ``hw_watchdog``) at ``now``: like a cut, but power stays on."""
        if kind not in RESET_KINDS:
            raise ValueError(f"reset kind must be one of {RESET_KINDS}, got {kind!r}")
        if not self.powered:
            raise RuntimeError("cannot reset a device that has no power")
        self._stop()
        self._restart()
        self.bootstatus_cardreset = kind == "hw_watchdog"

    def _stop(self) -> None:
        self.fs.crash()
        self.disk.abort_writes()
        if self.hw_watchdog is not None:
            self.hw_watchdog.disarm()

    def _restart(self) -> None:
        if self.tpm is not None:
            self.tpm.reset()
