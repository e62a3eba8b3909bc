"""EVE's boot disk: a GPT (primary and backup copy) with IMGA/IMGB states in attribute bits.

Layout as EVE's ``make-raw`` builds it: 1 ``EFI System``, 2 ``IMGA``, 3 ``IMGB``, 4 ``CONFIG``,
9 ``P3`` (/persist). Every table write, GRUB's or zboot's ``cgpt``'s, rewrites both copies, primary
first then backup; the simulation decides whether a power cut tears one of them.
Difference from EVE: GRUB's ``grub_gpt_write`` (lf-edge/eve pkg/grub/patches-2.12/0005-gpt-start-new-GPT-module.patch)
writes the backup copy first, so that a failed write leaves the primary intact.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Literal

from evesim.api import gpt
from evesim.api.gpt import ATTRS, Attr, Entry
from evesim.api.vocab import PARTITION_LABELS, SETTABLE_STATES, PartitionLabel, PartitionState, SettableState
from evesim.hw import flash
from evesim.hw.board import MIB, BoardProfile
from evesim.hw.image import EveImage

__all__ = ["ATTRS", "Attr", "Disk", "DiskError", "GptCorrupt", "TableWrite", "WRITE_ORDER"]

Partition = Literal["EFI", "IMGA", "IMGB", "CONFIG", "P3"]
"""Every partition of EVE's disk, by label."""
Copy = Literal["primary", "backup"]
"""One of the two GPT copies."""

SETTABLE: tuple[SettableState, ...] = SETTABLE_STATES
"""States ``zboot set_partstate`` can write; ``inprogress`` only comes from the bootloader."""
PARTITIONS: dict[Partition, int] = {"EFI": 1, "IMGA": 2, "IMGB": 3, "CONFIG": 4, "P3": 9}
IMAGE_LABELS: tuple[PartitionLabel, ...] = PARTITION_LABELS
WRITE_ORDER: tuple[Copy, ...] = ("primary", "backup")
"""The order in which one table write puts the two copies on disk."""

_STATES: dict[int, PartitionState] = {value: state for state, value in ATTRS.items()}
_FIRST_PARTITION_LBA = 2048
_EFI_BYTES = 36 * MIB
_CONFIG_BYTES = 1 * MIB
_LEGACY_BIOS_BOOTABLE = 1 << 2


class DiskError(ValueError):
    """An operation the disk cannot perform (bad label, stale write, image too large...)."""


class GptCorrupt(DiskError):
    """Neither GPT copy is valid: no partition can be found, so nothing boots."""


@dataclass(frozen=True, slots=True)
class TableWrite:
    """A planned rewrite of the partition table: ``label`` gets ``attr``."""

    label: Partition
    attr: Attr
    before: bytes
    entries: bytes


class Disk:
    """The boot disk of one device: GPT copies plus which image each IMGx partition holds."""

    __slots__ = ("profile", "_guid", "_primary", "_backup", "_images", "_pending", "primary_ok", "backup_ok")

    def __init__(self, profile: BoardProfile, seed: bytes, initial_image: EveImage | None) -> None:
        self.profile = profile
        self._guid = _guid(seed, "disk")
        entries = gpt.encode_entries(_layout(profile, seed))
        last = self._last
        self._primary = (gpt.encode_header(self._guid, last, entries, backup=False), entries)
        self._backup = (gpt.encode_header(self._guid, last, entries, backup=True), entries)
        self._images: list[EveImage | None] = [initial_image, None]
        self._pending: list[EveImage | None] = [None, None]
        self.primary_ok = self.backup_ok = True
        if initial_image is not None:
            self._check_fits("IMGA", initial_image)

    @property
    def _last(self) -> int:
        return gpt.last_lba(self.profile.disk_gb * 10**9)

    # -- reading the table -------------------------------------------------

    def _view(self) -> bytes | None:
        if self.primary_ok:
            return self._primary[1]
        return self._backup[1] if self.backup_ok else None

    def read_table(self) -> tuple[Entry, ...]:
        """The partition entries as GRUB sees them: a bad copy is repaired from the good one.

        GRUB repairs in memory; the repair reaches the disk with the next table write.
        Raises ``GptCorrupt`` when both copies are bad.
        """
        view = self._view()
        if view is None:
            raise GptCorrupt("both GPT copies are corrupt")
        return gpt.decode_entries(view)

    def attributes(self, label: Partition) -> Attr:
        """Priority, tries and successful of ``label``; ``GptCorrupt`` when no copy is valid."""
        number = _number(label)
        view = self._view()
        if view is None:
            raise GptCorrupt("both GPT copies are corrupt")
        return Attr.from_bits(gpt.attributes_at(view, number))

    def partition_state(self, label: Partition) -> PartitionState:
        """``zboot partstate``: active/updating/inprogress/unused, or unknown (zboot's INVALID)."""
        number = _number(label)
        view = self._view()
        if view is None:
            return "unknown"
        return _STATES.get(gpt.attributes_at(view, number) >> 48, "unknown")

    # -- writing the table -------------------------------------------------

    def plan_state_change(self, label: PartitionLabel, state: SettableState) -> TableWrite:
        """``zboot set_partstate``: a table write giving ``label`` one of active/updating/unused."""
        if state not in SETTABLE:
            raise DiskError(f"set_partstate can only set {', '.join(SETTABLE)}; got {state!r}")
        if label not in IMAGE_LABELS:
            raise DiskError(f"set_partstate works on {' or '.join(IMAGE_LABELS)}; got {label!r}")
        return self.plan_attr_change(label, Attr.from_bits(ATTRS[state] << 48))

    def plan_attr_change(self, label: Partition, attr: Attr) -> TableWrite:
        """A table write setting bits 48-63 of ``label`` to ``attr`` (bits 0-47 are kept)."""
        number = _number(label)
        view = self._view()
        if view is None:
            raise GptCorrupt("cannot plan a table write: both GPT copies are corrupt")
        return TableWrite(label, attr, view, gpt.with_high_attributes(view, number, attr.high))

    def apply(self, write: TableWrite, torn: Copy | None = None) -> None:
        """Put ``write`` on disk; ``torn`` names the copy a power cut interrupted (see ``WRITE_ORDER``).

        A torn copy has its new header but its old entries, so its CRC fails if anything changed;
        copies after the torn one in ``WRITE_ORDER`` are not written at all.
        """
        if torn not in (None, "primary", "backup"):
            raise DiskError(f"torn must be None, 'primary' or 'backup'; got {torn!r}")
        if self._view() != write.before:
            raise DiskError("stale table write: the partition table changed after it was planned")
        last = self._last
        for copy in WRITE_ORDER:
            backup = copy == "backup"
            header = gpt.encode_header(self._guid, last, write.entries, backup=backup)
            if copy == torn:
                self._set(copy, (header, (self._backup if backup else self._primary)[1]))
                break
            self._set(copy, (header, write.entries))
        self._revalidate()

    def table_write_seconds(self, profile: BoardProfile) -> float:
        """How long writing one GPT copy (header sector, then the 16 KiB entry array) takes."""
        return flash.write_seconds(profile, gpt.SECTOR) + flash.write_seconds(profile, gpt.ENTRIES_BYTES)

    def torn_by_cut(self, profile: BoardProfile, elapsed_s: float) -> Copy | None:
        """The copy a power cut ``elapsed_s`` after a table write began tears (None: write complete)."""
        if not elapsed_s > 0:
            raise DiskError("a cut before a table write starts leaves the table untouched: do not apply it")
        copies = int(elapsed_s // self.table_write_seconds(profile))
        return WRITE_ORDER[copies] if copies < len(WRITE_ORDER) else None

    def corrupt_table(self, copy: Copy) -> None:
        """Fault hook: bit rot in one copy's header, which then fails its CRC."""
        header, entries = self.raw_copy(copy)
        self._set(copy, (header[:16] + bytes(b ^ 0xFF for b in header[16:20]) + header[20:], entries))
        self._revalidate()

    def raw_copy(self, copy: Copy) -> tuple[bytes, bytes]:
        """The bytes of one copy as stored: 92-byte header and the used part of the entry array."""
        if copy not in ("primary", "backup"):
            raise DiskError(f"copy must be 'primary' or 'backup'; got {copy!r}")
        return self._backup if copy == "backup" else self._primary

    def _set(self, copy: Copy, value: tuple[bytes, bytes]) -> None:
        if copy == "backup":
            self._backup = value
        else:
            self._primary = value

    def _revalidate(self) -> None:
        last = self._last
        self.primary_ok = gpt.header_problem(*self._primary, last, backup=False) is None
        backup_valid = gpt.header_problem(*self._backup, last, backup=True) is None
        # GRUB treats a valid backup that disagrees with a valid primary as out of sync.
        self.backup_ok = backup_valid and (not self.primary_ok or self._backup[1] == self._primary[1])

    # -- image contents ----------------------------------------------------

    def image_in(self, label: PartitionLabel) -> EveImage | None:
        """The image ``label`` holds; None if never written or its last write did not complete."""
        return self._images[_image_index(label)]

    def begin_image_write(self, label: PartitionLabel, image: EveImage) -> None:
        """Start writing ``image`` into ``label``: its content is invalid from here on."""
        index = _image_index(label)
        self._check_fits(label, image)
        self._images[index] = None
        self._pending[index] = image

    def finish_image_write(self, label: PartitionLabel) -> None:
        """The write into ``label`` completed: its content is the new image."""
        index = _image_index(label)
        image = self._pending[index]
        if image is None:
            raise DiskError(f"no image write in progress on {label} (power lost since it began?)")
        self._images[index] = image
        self._pending[index] = None

    def abort_writes(self) -> None:
        """Power loss or reset: writes in flight never complete, their partitions stay invalid."""
        self._pending = [None, None]

    def partition_bytes(self, label: Partition) -> int:
        """Size of partition ``label`` from the table."""
        number = _number(label)
        entry = next((e for e in self.read_table() if e.number == number), None)
        if entry is None:
            raise DiskError(f"partition {label} is missing from the table")
        return (entry.last_lba - entry.first_lba + 1) * gpt.SECTOR

    def _check_fits(self, label: PartitionLabel, image: EveImage) -> None:
        size = self.partition_bytes(label)
        if image.size_bytes > size:
            raise DiskError(f"image {image.version} ({image.size_bytes} B) does not fit {label} ({size} B)")

    @staticmethod
    def other(label: PartitionLabel) -> PartitionLabel:
        """The other image partition: IMGA <-> IMGB."""
        return IMAGE_LABELS[1 - _image_index(label)]


def _number(label: Partition) -> int:
    try:
        return PARTITIONS[label]
    except KeyError:
        raise DiskError(f"unknown partition {label!r}; known: {', '.join(PARTITIONS)}") from None


def _image_index(label: PartitionLabel) -> int:
    if label not in IMAGE_LABELS:
        raise DiskError(f"{label!r} is not an image partition; expected IMGA or IMGB")
    return IMAGE_LABELS.index(label)


def _guid(seed: bytes, what: str) -> uuid.UUID:
    return uuid.UUID(bytes=hashlib.sha256(b"evesim-gpt\0" + seed + b"\0" + what.encode()).digest()[:16], version=4)


def _sectors(nbytes: int) -> int:
    """Sectors for ``nbytes`` rounded up to whole MiB, as ``make-raw`` aligns partitions."""
    return -(-nbytes // MIB) * (MIB // gpt.SECTOR)


def _layout(profile: BoardProfile, seed: bytes) -> list[Entry]:
    last_usable = gpt.last_lba(profile.disk_gb * 10**9) - gpt.ENTRIES_SECTORS - 1
    image_bytes = profile.imga_size_bytes
    sizes: list[tuple[Partition, int]] = [("EFI", _EFI_BYTES), ("IMGA", image_bytes), ("IMGB", image_bytes)]
    sizes.append(("CONFIG", _CONFIG_BYTES))
    types = {"EFI": gpt.TYPE_EFI_SYSTEM, "CONFIG": gpt.TYPE_EVE_CONFIG, "P3": gpt.TYPE_EVE_PERSIST}
    attrs = {"EFI": _LEGACY_BIOS_BOOTABLE, "IMGA": ATTRS["active"] << 48}
    entries, start = [], _FIRST_PARTITION_LBA
    for label, nbytes in [*sizes, ("P3", 0)]:
        end = start + _sectors(nbytes) - 1 if nbytes else last_usable
        name = "EFI System" if label == "EFI" else label
        kind = types.get(label, gpt.TYPE_EVE_ROOTFS)
        entries.append(Entry(PARTITIONS[label], kind, _guid(seed, label), start, end, attrs.get(label, 0), name))
        start = end + 1
    return entries
