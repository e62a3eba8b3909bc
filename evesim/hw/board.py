"""Board profiles: the hardware figures a simulated device is built from.

Simplification: the figures are plausible round numbers for each class of board, not
measurements of a particular unit.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024
ROOTFS_PART_BYTES = 300 * MIB
"""Size of IMGA/IMGB on a default EVE install (``make-raw``'s rootfs partition size)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardProfile:
    """Static figures of one kind of board; shared by every device built from it."""

    name: str
    ncpu: int
    ram_mb: int
    disk_gb: int
    imga_size_bytes: int
    flash_write_bps: float
    flash_read_bps: float
    flash_latency_s: float
    firmware_boot_s: float
    kernel_boot_s: float
    has_tpm: bool
    has_hw_watchdog: bool
    hw_watchdog_timeout_s: float
    tpm_op_s: float
    manufacturer: str
    product_name: str

    def __post_init__(self) -> None:
        positive = ("ncpu", "ram_mb", "disk_gb", "imga_size_bytes", "flash_write_bps", "flash_read_bps")
        for field in positive:
            if getattr(self, field) <= 0:
                raise ValueError(f"board profile {self.name!r}: {field} must be positive")
        if self.imga_size_bytes * 2 >= self.disk_gb * 10**9:
            raise ValueError(f"board profile {self.name!r}: two image partitions do not fit on the disk")


PROFILES: dict[str, BoardProfile] = {
    p.name: p
    for p in (
        BoardProfile(
            name="generic-x86",
            ncpu=4,
            ram_mb=8192,
            disk_gb=128,
            imga_size_bytes=ROOTFS_PART_BYTES,
            flash_write_bps=400e6,
            flash_read_bps=500e6,
            flash_latency_s=0.0002,
            firmware_boot_s=8.0,
            kernel_boot_s=15.0,
            has_tpm=True,
            has_hw_watchdog=True,
            hw_watchdog_timeout_s=60.0,
            tpm_op_s=0.03,
            manufacturer="Generic",
            product_name="x86_64 edge node",
        ),
        BoardProfile(
            name="rpi4",
            ncpu=4,
            ram_mb=4096,
            disk_gb=32,
            imga_size_bytes=ROOTFS_PART_BYTES,
            flash_write_bps=10e6,
            flash_read_bps=40e6,
            flash_latency_s=0.002,
            firmware_boot_s=5.0,
            kernel_boot_s=25.0,
            has_tpm=False,
            has_hw_watchdog=True,
            hw_watchdog_timeout_s=15.0,
            tpm_op_s=0.0,
            manufacturer="Raspberry Pi Ltd",
            product_name="Raspberry Pi 4 Model B",
        ),
        BoardProfile(
            name="qemu",
            ncpu=2,
            ram_mb=4096,
            disk_gb=16,
            imga_size_bytes=ROOTFS_PART_BYTES,
            flash_write_bps=200e6,
            flash_read_bps=400e6,
            flash_latency_s=0.0001,
            firmware_boot_s=3.0,
            kernel_boot_s=10.0,
            has_tpm=True,
            has_hw_watchdog=False,
            hw_watchdog_timeout_s=0.0,
            tpm_op_s=0.005,
            manufacturer="QEMU",
            product_name="Standard PC (Q35 + ICH9, 2009)",
        ),
        BoardProfile(
            name="supermicro-e300",
            ncpu=8,
            ram_mb=32768,
            disk_gb=256,
            imga_size_bytes=ROOTFS_PART_BYTES,
            flash_write_bps=500e6,
            flash_read_bps=1500e6,
            flash_latency_s=0.0001,
            firmware_boot_s=45.0,
            kernel_boot_s=15.0,
            has_tpm=True,
            has_hw_watchdog=True,
            hw_watchdog_timeout_s=60.0,
            tpm_op_s=0.05,
            manufacturer="Supermicro",
            product_name="SYS-E300-9A",
        ),
    )
}


def get(name: str) -> BoardProfile:
    """The profile called ``name``; ``KeyError`` naming the known profiles otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown board profile {name!r}; known: {', '.join(sorted(PROFILES))}") from None
