"""GPT encoding: EVE's attribute bits, entry layout, header and entry-array CRC32s."""

import struct
import uuid
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.api import gpt
from evesim.api.gpt import Attr, Entry
from evesim.hw import disk

LAST = gpt.last_lba(10**9)


@pytest.mark.parametrize(
    ("state", "priority", "tries", "successful"),
    [("active", 2, 0, True), ("updating", 3, 1, False), ("inprogress", 3, 0, False), ("unused", 0, 0, False)],
)
def test_the_four_states_in_bits_48_to_56(state: str, priority: int, tries: int, successful: bool) -> None:
    bits = disk.ATTRS[state] << 48
    assert (bits >> 48) & 0xF == priority
    assert (bits >> 52) & 0xF == tries
    assert (bits >> 56) & 1 == successful
    assert Attr.from_bits(bits) == Attr(priority, tries, successful)
    assert Attr(priority, tries, successful).high == disk.ATTRS[state]


@given(st.integers(0, 15), st.integers(0, 15), st.booleans(), st.integers(0, (1 << 48) - 1))
def test_attr_fields_roundtrip_and_leave_low_bits_alone(priority: int, tries: int, ok: bool, low: int) -> None:
    attr = Attr(priority, tries, ok)
    entries = gpt.encode_entries([_entry(2, low)])
    updated = gpt.with_high_attributes(entries, 2, attr.high)
    bits = gpt.attributes_at(updated, 2)
    assert Attr.from_bits(bits) == attr
    assert bits & ((1 << 48) - 1) == low
    assert bits >> 57 == 0


def test_attr_rejects_values_wider_than_4_bits() -> None:
    with pytest.raises(gpt.GptError):
        Attr(16, 0, False)


def _entry(number: int, attributes: int = 0, name: str = "IMGA") -> Entry:
    first = 2048 * number
    return Entry(number, gpt.TYPE_EVE_ROOTFS, uuid.UUID(int=number), first, first + 2047, attributes, name)


def test_entry_layout_is_uefi() -> None:
    raw = gpt.encode_entry(_entry(2, 0x0102 << 48))
    assert len(raw) == 128
    assert raw[:16] == gpt.TYPE_EVE_ROOTFS.bytes_le
    assert struct.unpack_from("<QQQ", raw, 32) == (4096, 6143, 0x0102 << 48)
    assert raw[56:64].decode("utf-16-le") == "IMGA"


@given(
    st.lists(
        st.tuples(
            st.integers(1, 128), st.integers(0, (1 << 64) - 1), st.text("ABCDEFGHIJKLMNOP3", min_size=1, max_size=36)
        ),
        unique_by=lambda t: t[0],
        max_size=8,
    )
)
def test_entries_roundtrip(specs: list[tuple[int, int, str]]) -> None:
    entries = [_entry(n, attrs, name) for n, attrs, name in specs]
    decoded = gpt.decode_entries(gpt.encode_entries(entries))
    assert decoded == tuple(sorted(entries, key=lambda e: e.number))


def test_entries_crc_covers_the_whole_16k_array() -> None:
    entries = gpt.encode_entries([_entry(2), _entry(3)])
    padded = entries + bytes(gpt.ENTRIES_BYTES - len(entries))
    assert gpt.entries_crc(entries) == zlib.crc32(padded)
    assert gpt.entries_crc(entries) != zlib.crc32(entries)


def test_header_fields_and_crc() -> None:
    entries = gpt.encode_entries([_entry(2)])
    guid = uuid.UUID(int=7)
    header = gpt.encode_header(guid, LAST, entries, backup=False)
    fields = struct.unpack("<8sIIIIQQQQ16sQIII", header)
    assert fields[0] == b"EFI PART" and fields[1] == 0x10000 and fields[2] == 92
    assert fields[3] == zlib.crc32(header[:16] + bytes(4) + header[20:])
    assert fields[5:9] == (1, LAST, 34, LAST - 33)
    assert fields[10:14] == (2, 128, 128, gpt.entries_crc(entries))
    backup = struct.unpack("<8sIIIIQQQQ16sQIII", gpt.encode_header(guid, LAST, entries, backup=True))
    assert backup[5:7] == (LAST, 1) and backup[10] == LAST - 32


def test_valid_copies_pass_the_checks_in_place_only() -> None:
    entries = gpt.encode_entries([_entry(2)])
    primary = gpt.encode_header(uuid.UUID(int=1), LAST, entries, backup=False)
    assert gpt.header_problem(primary, entries, LAST, backup=False) is None
    assert gpt.header_problem(primary, entries, LAST, backup=True) is not None


@given(st.integers(0, 91), st.integers(1, 255))
def test_any_header_byte_flip_is_detected(offset: int, mask: int) -> None:
    entries = gpt.encode_entries([_entry(2), _entry(3)])
    header = bytearray(gpt.encode_header(uuid.UUID(int=1), LAST, entries, backup=False))
    header[offset] ^= mask
    assert gpt.header_problem(bytes(header), entries, LAST, backup=False) is not None


@given(st.integers(0, 2 * 128 - 1), st.integers(1, 255))
def test_any_entry_byte_flip_fails_the_entries_crc(offset: int, mask: int) -> None:
    entries = gpt.encode_entries([_entry(1), _entry(2)])
    header = gpt.encode_header(uuid.UUID(int=1), LAST, entries, backup=False)
    torn = bytearray(entries)
    torn[offset] ^= mask
    assert gpt.header_problem(header, bytes(torn), LAST, backup=False) == "invalid GPT entry crc32"


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(gpt.GptError, match="36 UTF-16"):
        gpt.encode_entry(_entry(2, name="X" * 37))
    with pytest.raises(gpt.GptError, match="out of range"):
        gpt.encode_entries([_entry(129)])
    with pytest.raises(gpt.GptError, match="whole number"):
        gpt.decode_entries(b"\x01" * 100)
    with pytest.raises(gpt.GptError, match="no entry"):
        gpt.attributes_at(gpt.encode_entries([_entry(2)]), 3)
    assert gpt.header_problem(b"short", b"", LAST, backup=False) == "truncated header"
