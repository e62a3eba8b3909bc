"""The boot disk: layout, zboot state changes, torn table writes and repair, image contents."""

import dataclasses
import shlex
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.api import gpt
from evesim.hw import board, bootloader, disk, flash
from evesim.hw.board import MIB
from evesim.hw.disk import Disk, DiskError, GptCorrupt
from evesim.hw.image import EveImage

PROFILE = board.get("generic-x86")
V1 = EveImage.make("14.5.1", 200_000_000)
V2 = EveImage.make("14.5.2", 200_000_000)


def fresh(profile: board.BoardProfile = PROFILE) -> Disk:
    return Disk(profile, b"test-disk", V1)


def test_fresh_install_layout() -> None:
    d = fresh()
    assert [(e.number, e.name) for e in d.read_table()] == [
        (1, "EFI System"),
        (2, "IMGA"),
        (3, "IMGB"),
        (4, "CONFIG"),
        (9, "P3"),
    ]
    assert d.partition_state("IMGA") == "active" and d.partition_state("IMGB") == "unused"
    assert d.image_in("IMGA") == V1 and d.image_in("IMGB") is None
    assert d.primary_ok and d.backup_ok
    assert d.partition_bytes("EFI") == 36 * MIB
    assert d.partition_bytes("IMGA") == d.partition_bytes("IMGB") == PROFILE.imga_size_bytes
    assert d.read_table()[0].first_lba == 2048
    assert d.other("IMGA") == "IMGB" and d.other("IMGB") == "IMGA"


def test_layout_is_deterministic_per_seed() -> None:
    assert Disk(PROFILE, b"a", V1).raw_copy("primary") == Disk(PROFILE, b"a", V1).raw_copy("primary")
    assert Disk(PROFILE, b"a", V1).raw_copy("primary") != Disk(PROFILE, b"b", V1).raw_copy("primary")


def test_set_partstate_writes_both_copies() -> None:
    d = fresh()
    write = d.plan_state_change("IMGB", "updating")
    assert d.partition_state("IMGB") == "unused"  # planning alone changes nothing
    d.apply(write)
    assert d.partition_state("IMGB") == "updating"
    assert d.attributes("IMGB") == disk.Attr(3, 1, False)
    assert d.primary_ok and d.backup_ok
    assert d.raw_copy("primary")[1] == d.raw_copy("backup")[1]


def test_low_attribute_bits_survive_state_changes() -> None:
    d = fresh()
    efi_before = d.read_table()[0].attributes
    d.apply(d.plan_state_change("IMGA", "unused"))
    assert d.read_table()[0].attributes == efi_before
    assert gpt.attributes_at(d.raw_copy("primary")[1], 2) == 0


@pytest.mark.parametrize(
    ("label", "state", "message"),
    [("IMGB", "inprogress", "can only set"), ("IMGB", "bogus", "can only set"), ("CONFIG", "active", "IMGA or IMGB")],
)
def test_set_partstate_refuses(label: str, state: str, message: str) -> None:
    with pytest.raises(DiskError, match=message):
        fresh().plan_state_change(label, state)


def test_unknown_labels_are_clear_errors() -> None:
    d = fresh()
    with pytest.raises(DiskError, match="known: EFI, IMGA, IMGB, CONFIG, P3"):
        d.partition_state("IMGC")
    with pytest.raises(DiskError, match="not an image partition"):
        d.image_in("P3")
    with pytest.raises(DiskError, match="not an image partition"):
        d.other("CONFIG")
    with pytest.raises(DiskError, match="torn must be"):
        d.apply(d.plan_state_change("IMGB", "updating"), torn="both")  # type: ignore[arg-type]


def test_write_order_is_primary_then_backup() -> None:
    # The model's order; GRUB's grub_gpt_write() writes the backup copy first (see evesim.hw.disk).
    assert disk.WRITE_ORDER == ("primary", "backup")


def test_torn_primary_leaves_the_old_backup_in_charge() -> None:
    d = fresh()
    d.apply(d.plan_state_change("IMGB", "updating"), torn="primary")
    assert not d.primary_ok and d.backup_ok
    # The backup was never rewritten: GRUB (and Linux) read the old table from it.
    assert d.partition_state("IMGB") == "unused"
    d.apply(d.plan_state_change("IMGB", "updating"))
    assert d.primary_ok and d.backup_ok and d.partition_state("IMGB") == "updating"


def test_torn_backup_is_repaired_from_the_complete_primary() -> None:
    d = fresh()
    d.apply(d.plan_state_change("IMGB", "updating"), torn="backup")
    assert d.primary_ok and not d.backup_ok
    assert d.partition_state("IMGB") == "updating"
    assert [e.attr for e in d.read_table() if e.name == "IMGB"] == [disk.Attr(3, 1, False)]
    # GRUB repairs in memory; the decrement write puts both copies back on disk.
    choice = bootloader.gptprio_next(d)
    assert choice is not None and choice.label == "IMGB" and choice.write is not None
    d.apply(choice.write)
    assert d.primary_ok and d.backup_ok
    assert d.partition_state("IMGB") == "inprogress"


def test_torn_write_of_unchanged_entries_leaves_a_valid_copy() -> None:
    d = fresh()
    d.apply(d.plan_state_change("IMGB", "unused"), torn="backup")
    assert d.primary_ok and d.backup_ok


def test_both_copies_torn_means_nothing_bootable() -> None:
    d = fresh()
    d.apply(d.plan_state_change("IMGB", "updating"), torn="backup")
    d.apply(d.plan_state_change("IMGB", "unused"), torn="primary")
    assert not d.primary_ok and not d.backup_ok
    assert d.partition_state("IMGA") == "unknown"
    assert bootloader.gptprio_next(d) is None
    with pytest.raises(GptCorrupt):
        d.read_table()
    with pytest.raises(GptCorrupt):
        d.attributes("IMGA")
    with pytest.raises(GptCorrupt):
        d.plan_state_change("IMGA", "active")


def test_bit_rot_in_both_headers_bricks() -> None:
    d = fresh()
    d.corrupt_table("primary")
    assert not d.primary_ok and d.partition_state("IMGA") == "active"
    d.corrupt_table("backup")
    assert bootloader.gptprio_next(d) is None


def test_a_stale_write_is_refused() -> None:
    d = fresh()
    first = d.plan_state_change("IMGB", "updating")
    second = d.plan_state_change("IMGA", "unused")
    d.apply(first)
    with pytest.raises(DiskError, match="stale"):
        d.apply(second)


@given(st.lists(st.tuples(st.sampled_from(["IMGA", "IMGB"]), st.sampled_from(disk.SETTABLE),
                          st.sampled_from([None, "primary", "backup"])), max_size=12))
def test_torn_write_outcomes(ops: list[tuple[str, str, str | None]]) -> None:
    d = fresh()
    for label, state, torn in ops:
        try:
            before = {lbl: d.partition_state(lbl) for lbl in ("IMGA", "IMGB")}
            write = d.plan_state_change(label, state)
        except GptCorrupt:
            return
        backup_was_ok = d.backup_ok
        d.apply(write, torn=torn)
        after = {lbl: d.partition_state(lbl) for lbl in ("IMGA", "IMGB")}
        planned = {**before, label: state}
        if torn is None:
            assert d.primary_ok and d.backup_ok and after == planned
        elif torn == "backup":
            assert d.primary_ok and after == planned
        elif backup_was_ok:
            assert d.backup_ok and after == before
        else:
            assert not d.backup_ok and (d.primary_ok == (before == planned))


def test_image_write_lifecycle() -> None:
    d = fresh()
    d.begin_image_write("IMGB", V2)
    assert d.image_in("IMGB") is None
    d.finish_image_write("IMGB")
    assert d.image_in("IMGB") == V2
    d.begin_image_write("IMGB", V1)
    assert d.image_in("IMGB") is None  # the old content is gone as soon as the write starts
    d.abort_writes()
    with pytest.raises(DiskError, match="no image write in progress"):
        d.finish_image_write("IMGB")
    assert d.image_in("IMGB") is None


def test_image_larger_than_the_partition_is_refused() -> None:
    big = EveImage.make("huge", PROFILE.imga_size_bytes + 1)
    with pytest.raises(DiskError, match="does not fit"):
        fresh().begin_image_write("IMGB", big)
    with pytest.raises(DiskError, match="does not fit"):
        Disk(PROFILE, b"x", big)


def test_table_write_time_follows_the_flash() -> None:
    slow, fast = board.get("rpi4"), board.get("generic-x86")
    d = fresh()
    expected = flash.write_seconds(slow, gpt.SECTOR) + flash.write_seconds(slow, gpt.ENTRIES_BYTES)
    assert d.table_write_seconds(slow) == expected
    assert d.table_write_seconds(slow) > d.table_write_seconds(fast) > 0


def test_torn_by_cut_follows_the_write_order() -> None:
    d = fresh()
    one = d.table_write_seconds(PROFILE)
    assert d.torn_by_cut(PROFILE, one * 0.5) == disk.WRITE_ORDER[0]
    assert d.torn_by_cut(PROFILE, one * 1.5) == disk.WRITE_ORDER[1]
    assert d.torn_by_cut(PROFILE, one * 2) is None
    with pytest.raises(DiskError, match="untouched"):
        d.torn_by_cut(PROFILE, 0)


def _disk_image(d: Disk, path: Path) -> None:
    """Write a sparse raw disk with a protective MBR and both GPT copies as stored."""
    last = gpt.last_lba(d.profile.disk_gb * 10**9)
    with path.open("wb") as f:
        f.truncate((last + 1) * gpt.SECTOR)
        mbr = bytearray(gpt.SECTOR)
        mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, min(last, 2**32 - 1))
        mbr[510:] = b"\x55\xaa"
        f.write(mbr)
        for copy, header_lba, entries_lba in (("primary", 1, 2), ("backup", last, last - gpt.ENTRIES_SECTORS)):
            header, entries = d.raw_copy(copy)
            f.seek(header_lba * gpt.SECTOR)
            f.write(header)
            f.seek(entries_lba * gpt.SECTOR)
            f.write(entries)


@pytest.mark.skipif(shutil.which("partx") is None, reason="util-linux partx is not installed")
@pytest.mark.parametrize("torn", [None, "backup"])
def test_util_linux_reads_our_table(tmp_path: Path, torn: str | None) -> None:
    d = fresh(dataclasses.replace(PROFILE, disk_gb=1))
    d.apply(d.plan_state_change("IMGB", "updating"), torn=torn)  # type: ignore[arg-type]
    _disk_image(d, tmp_path / "disk.img")
    out = subprocess.run(
        ["partx", "--pairs", "-o", "NR,NAME,TYPE,FLAGS", str(tmp_path / "disk.img")],
        capture_output=True, text=True, check=True,
    ).stdout
    rows = [dict(pair.split("=", 1) for pair in shlex.split(line)) for line in out.splitlines()]
    assert [(r["NR"], r["NAME"], r["TYPE"]) for r in rows] == [
        ("1", "EFI System", str(gpt.TYPE_EFI_SYSTEM)),
        ("2", "IMGA", str(gpt.TYPE_EVE_ROOTFS)),
        ("3", "IMGB", str(gpt.TYPE_EVE_ROOTFS)),
        ("4", "CONFIG", str(gpt.TYPE_EVE_CONFIG)),
        ("9", "P3", str(gpt.TYPE_EVE_PERSIST)),
    ]
    assert [int(r["FLAGS"], 16) >> 48 for r in rows[1:3]] == [disk.ATTRS["active"], disk.ATTRS["updating"]]
