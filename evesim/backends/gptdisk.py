"""EVE's boot disk on a real block device or image file: IMGA/IMGB states in GPT attribute bits, images streamed in.

The table is read and written with evesim's own GPT encoding (``evesim.api.gpt``, which the disk model uses too): a
state change rewrites both copies in ``cgpt add``'s order (primary header, backup header, primary entries, backup
entries) and syncs. The running
partition is the one the kernel booted (``root=PARTUUID=`` on ``/proc/cmdline``; IMGA when no root is given; any
other root is refused, and the running partition is never written). Simplification: a
partition's version is what was last written to it through this backend (kept beside the disk), where EVE reads
its image's ``/etc/eve-release``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from evesim.agent import effects as fx
from evesim.api import gpt
from evesim.api.gpt import ATTRS
from evesim.api.vocab import PartitionLabel, PartitionState, SettableState

LABELS: tuple[PartitionLabel, PartitionLabel] = ("IMGA", "IMGB")
COPY_CHUNK = 1 << 20
_ROOT = re.compile(r"(?:^|\s)root=(\S+)")
_PARTUUID = re.compile(r"PARTUUID=([0-9A-Fa-f-]{36})")
_STATES: dict[int, PartitionState] = {value: state for state, value in ATTRS.items()}


class DiskError(RuntimeError):
    """The disk cannot be read or changed as asked."""


class GptDisk:
    """The GPT disk at ``path``; partition versions kept in ``versions`` (a JSON file)."""

    def __init__(self, path: Path, versions: Path, cmdline: Path = Path("/proc/cmdline")) -> None:
        self.path = path
        self.versions_file = versions
        self.cmdline = cmdline

    # -------------------------------------------------------------- reading

    def view(self) -> fx.PartitionView:
        """zboot's view: the running partition, each one's state, version and size."""
        found = self._images()
        versions = self._versions()
        return fx.PartitionView(
            current=self._current(found),
            states={label: _STATES.get(found[label].attributes >> 48, "unused") for label in LABELS},
            versions={label: versions.get(label) for label in LABELS},
            sizes={label: (found[label].last_lba - found[label].first_lba + 1) * gpt.SECTOR for label in LABELS},
        )

    def _images(self) -> dict[str, gpt.Entry]:
        """The IMGA and IMGB entries of the table (DiskError if either is missing)."""
        _, _, entries = self._table()
        found: dict[str, gpt.Entry] = {e.name: e for e in gpt.decode_entries(entries) if e.name in LABELS}
        missing = [label for label in LABELS if label not in found]
        if missing:
            raise DiskError(f"{self.path}: no partition named {', '.join(missing)}")
        return found

    def _current(self, found: dict[str, gpt.Entry]) -> PartitionLabel:
        try:
            root = _ROOT.search(self.cmdline.read_text())
        except OSError:
            root = None
        if root is None:
            return "IMGA"  # no kernel root given (an image file on a development machine)
        partuuid = _PARTUUID.fullmatch(root.group(1))
        for label in LABELS:
            if partuuid is not None and str(found[label].unique_guid) == partuuid.group(1).lower():
                return label
        # writing the other partition must never hit the running one: an unknown root is refused
        raise DiskError(f"{self.path}: the kernel's root={root.group(1)} is neither IMGA nor IMGB of this disk")

    def _table(self) -> tuple[int, bytes, bytes]:
        """(last LBA, a valid header, its entries): the primary copy, else the backup."""
        size = self._size()
        if size < (gpt.FIRST_USABLE_LBA + gpt.ENTRIES_SECTORS + 1) * gpt.SECTOR:
            raise DiskError(f"{self.path}: {size} bytes is too small for a GPT, so neither GPT copy is valid")
        last = gpt.last_lba(size)
        with open(self.path, "rb") as disk:
            copies = ((gpt.PRIMARY_LBA, 2, False), (last, last - gpt.ENTRIES_SECTORS, True))
            for header_lba, entries_lba, backup in copies:
                header = _pread(disk.fileno(), gpt.HEADER_SIZE, header_lba * gpt.SECTOR)
                entries = _pread(disk.fileno(), gpt.ENTRIES_BYTES, entries_lba * gpt.SECTOR)
                if gpt.header_problem(header, entries, last, backup) is None:
                    return last, header, entries
        raise DiskError(f"{self.path}: neither GPT copy is valid")

    def _size(self) -> int:
        with open(self.path, "rb") as disk:
            return disk.seek(0, os.SEEK_END)

    # -------------------------------------------------------------- writing

    def set_state(self, label: PartitionLabel, state: SettableState) -> None:
        """``zboot set_partstate``: the partition's attribute bits 48-63, both copies rewritten as cgpt does."""
        last, header, entries = self._table()
        number = _entry(entries, label).number
        entries = gpt.with_high_attributes(entries, number, ATTRS[state])
        guid = gpt.disk_guid(header)
        writes = (
            (gpt.PRIMARY_LBA, gpt.encode_header(guid, last, entries, backup=False)),
            (last, gpt.encode_header(guid, last, entries, backup=True)),
            (2, entries),
            (last - gpt.ENTRIES_SECTORS, entries),
        )
        fd = os.open(self.path, os.O_WRONLY)
        try:
            for lba, data in writes:
                _pwrite_all(fd, data, lba * gpt.SECTOR)
            os.fsync(fd)
        finally:
            os.close(fd)

    def write_image(self, label: PartitionLabel, source: Path, version: str | None) -> str | None:
        """Stream ``source`` onto the partition and sync; an error string if it cannot be."""
        found = self._images()
        if label == self._current(found):
            return f"refusing to write {label}: it is the running partition"
        size = source.stat().st_size
        entry = found[label]
        room = (entry.last_lba - entry.first_lba + 1) * gpt.SECTOR
        if size > room:
            return f"image of {size} bytes does not fit {label} ({room} bytes)"
        first = entry.first_lba
        self._record(label, None)
        fd = os.open(self.path, os.O_WRONLY)
        try:
            with open(source, "rb") as image:
                offset = first * gpt.SECTOR
                while chunk := image.read(COPY_CHUNK):
                    _pwrite_all(fd, chunk, offset)
                    offset += len(chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._record(label, version)
        return None

    def _versions(self) -> dict[str, str]:
        try:
            raw = json.loads(self.versions_file.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}

    def _record(self, label: PartitionLabel, version: str | None) -> None:
        versions = self._versions()
        versions.pop(label, None)
        if version is not None:
            versions[label] = version
        tmp = self.versions_file.with_suffix(".tmp")
        self.versions_file.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(versions, sort_keys=True))
        os.replace(tmp, self.versions_file)


def _entry(entries: bytes, label: PartitionLabel) -> gpt.Entry:
    found = next((e for e in gpt.decode_entries(entries) if e.name == label), None)
    if found is None:
        raise DiskError(f"no partition named {label}")
    return found


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    """``pwrite`` until every byte is written (a short write is retried, not ignored)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _pread(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    return data if len(data) == size else b""
