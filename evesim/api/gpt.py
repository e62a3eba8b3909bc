"""GUID Partition Table encoding: headers, entries, CRC32s and EVE's attribute bits.

Little-endian UEFI layout with 512-byte sectors and the standard 128 entries of 128 bytes.
Only the entries up to the last used one are kept in memory; the rest of the 16 KiB array
is zeros, which the entries CRC32 accounts for.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass

from evesim.api.vocab import PartitionState

SECTOR = 512
ENTRY_SIZE = 128
NUM_ENTRIES = 128
ENTRIES_BYTES = ENTRY_SIZE * NUM_ENTRIES
ENTRIES_SECTORS = ENTRIES_BYTES // SECTOR
HEADER_SIZE = 92
SIGNATURE = b"EFI PART"
REVISION = 0x00010000
PRIMARY_LBA = 1
FIRST_USABLE_LBA = 2 + ENTRIES_SECTORS

TYPE_EFI_SYSTEM = uuid.UUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
TYPE_EVE_ROOTFS = uuid.UUID("5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6")
"""CoreOS' USR_X86_64 type: the only type GRUB's ``gptprio.next`` considers."""
TYPE_EVE_CONFIG = uuid.UUID("13307e62-cd9c-4920-8f9b-91b45828b798")
TYPE_EVE_PERSIST = uuid.UUID("5f24425a-2dfa-11e8-a270-7b663faccc2c")

_HEADER = struct.Struct("<8sIIIIQQQQ16sQIII")
_ENTRY = struct.Struct("<16s16sQQQ72s")
_ZEROS = bytes(ENTRIES_BYTES)


ATTRS: dict[PartitionState, int] = {"active": 0x102, "updating": 0x13, "inprogress": 0x3, "unused": 0x0}
"""Partition state -> value of ``attributes >> 48`` as zboot encodes it (lf-edge/eve pkg/gpt-tools/files/zboot)."""


class GptError(ValueError):
    """Bytes or values that do not make a valid GPT structure."""


@dataclass(frozen=True, slots=True)
class Attr:
    """The ChromeOS/CoreOS priority fields in attribute bits 48-56."""

    priority: int
    tries: int
    successful: bool

    def __post_init__(self) -> None:
        if not (0 <= self.priority <= 15 and 0 <= self.tries <= 15):
            raise GptError(f"priority and tries are 4-bit fields, got {self.priority}, {self.tries}")

    @classmethod
    def from_bits(cls, attributes: int) -> Attr:
        """Decode from a 64-bit attribute field."""
        return cls((attributes >> 48) & 0xF, (attributes >> 52) & 0xF, bool((attributes >> 56) & 1))

    @property
    def high(self) -> int:
        """The value of ``attributes >> 48`` (what ``cgpt add -A`` / ``cgpt show -A`` use)."""
        return self.priority | self.tries << 4 | int(self.successful) << 8


@dataclass(frozen=True, slots=True)
class Entry:
    """One partition entry."""

    number: int
    type_guid: uuid.UUID
    unique_guid: uuid.UUID
    first_lba: int
    last_lba: int
    attributes: int
    name: str

    @property
    def attr(self) -> Attr:
        """The priority/tries/successful fields."""
        return Attr.from_bits(self.attributes)


def encode_entry(entry: Entry) -> bytes:
    """128 bytes of one entry."""
    name = entry.name.encode("utf-16-le")
    if len(name) > 72:
        raise GptError(f"partition name {entry.name!r} is longer than 36 UTF-16 units")
    return _ENTRY.pack(
        entry.type_guid.bytes_le, entry.unique_guid.bytes_le, entry.first_lba, entry.last_lba, entry.attributes, name
    )


def encode_entries(entries: list[Entry]) -> bytes:
    """The entry array up to the highest-numbered entry (partition ``n`` is slot ``n - 1``)."""
    slots = [bytes(ENTRY_SIZE)] * max((e.number for e in entries), default=0)
    for entry in entries:
        if not 1 <= entry.number <= NUM_ENTRIES:
            raise GptError(f"partition number {entry.number} out of range")
        slots[entry.number - 1] = encode_entry(entry)
    return b"".join(slots)


def decode_entries(data: bytes) -> tuple[Entry, ...]:
    """The used entries (non-zero type GUID) of an entry array."""
    if len(data) % ENTRY_SIZE or len(data) > ENTRIES_BYTES:
        raise GptError(f"entry array of {len(data)} bytes is not a whole number of entries")
    entries = []
    for index in range(len(data) // ENTRY_SIZE):
        type_le, unique_le, first, last, attributes, name = _ENTRY.unpack_from(data, index * ENTRY_SIZE)
        if type_le != bytes(16):
            label = name.decode("utf-16-le", errors="replace").split("\0", 1)[0]
            type_guid, unique_guid = uuid.UUID(bytes_le=type_le), uuid.UUID(bytes_le=unique_le)
            entries.append(Entry(index + 1, type_guid, unique_guid, first, last, attributes, label))
    return tuple(entries)


def attributes_at(data: bytes, number: int) -> int:
    """The 64-bit attribute field of partition ``number`` in an entry array."""
    offset = (number - 1) * ENTRY_SIZE + 48
    if number < 1 or offset + 8 > len(data):
        raise GptError(f"no entry for partition {number}")
    return int.from_bytes(data[offset : offset + 8], "little")


def with_high_attributes(data: bytes, number: int, high: int) -> bytes:
    """A copy of the entry array with bits 48-63 of partition ``number`` set to ``high``."""
    if not 0 <= high <= 0xFFFF:
        raise GptError(f"high attribute value {high:#x} does not fit 16 bits")
    low = attributes_at(data, number) & ((1 << 48) - 1)
    offset = (number - 1) * ENTRY_SIZE + 48
    return data[:offset] + (low | high << 48).to_bytes(8, "little") + data[offset + 8 :]


def entries_crc(data: bytes) -> int:
    """CRC32 of the full 16 KiB entry array (``data`` followed by zeros)."""
    return zlib.crc32(_ZEROS[len(data) :], zlib.crc32(data))


def last_lba(disk_bytes: int) -> int:
    """The last addressable sector of a disk of ``disk_bytes``."""
    return disk_bytes // SECTOR - 1


def encode_header(disk_guid: uuid.UUID, last: int, entries: bytes, backup: bool) -> bytes:
    """The 92-byte primary (or backup) header describing ``entries`` on a disk ending at ``last``."""
    my_lba, alternate = (last, PRIMARY_LBA) if backup else (PRIMARY_LBA, last)
    entries_lba = last - ENTRIES_SECTORS if backup else 2
    fields = [SIGNATURE, REVISION, HEADER_SIZE, 0, 0, my_lba, alternate, FIRST_USABLE_LBA]
    fields += [last - ENTRIES_SECTORS - 1, disk_guid.bytes_le, entries_lba, NUM_ENTRIES, ENTRY_SIZE]
    fields.append(entries_crc(entries))
    unsigned = _HEADER.pack(*fields)
    fields[3] = zlib.crc32(unsigned)
    return _HEADER.pack(*fields)


def disk_guid(header: bytes) -> uuid.UUID:
    """The disk GUID a header carries."""
    return uuid.UUID(bytes_le=_HEADER.unpack(header[:HEADER_SIZE])[9])


def header_problem(header: bytes, entries: bytes, last: int, backup: bool) -> str | None:
    """Why a header and its entries are not a valid copy at their place (GRUB's checks), or None."""
    if len(header) != HEADER_SIZE:
        return "truncated header"
    sig, rev, size, crc, _, my_lba, alternate, first, last_usable, _, entries_lba, count, esize, ecrc = _HEADER.unpack(
        header
    )
    if sig != SIGNATURE:
        return "invalid GPT signature"
    if rev != REVISION:
        return "unknown GPT version"
    if zlib.crc32(header[:16] + bytes(4) + header[20:]) != crc:
        return "invalid GPT header crc32"
    if size != HEADER_SIZE or esize != ENTRY_SIZE or count * esize < ENTRIES_BYTES or first > last_usable:
        return "invalid GPT geometry"
    if my_lba != (last if backup else PRIMARY_LBA) or alternate != (PRIMARY_LBA if backup else last):
        return "GPT header at the wrong LBA"
    if entries_lba != (last - ENTRIES_SECTORS if backup else 2):
        return "invalid entries location"
    if entries_crc(entries) != ecrc:
        return "invalid GPT entry crc32"
    return None
