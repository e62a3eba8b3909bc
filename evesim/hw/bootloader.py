"""First-stage GRUB's ``gptprio.next``: which image partition boots, and the tries decrement."""

from __future__ import annotations

from dataclasses import dataclass

from evesim.api import gpt
from evesim.api.vocab import PartitionLabel
from evesim.hw.disk import IMAGE_LABELS, PARTITIONS, Attr, Disk, GptCorrupt, TableWrite
from evesim.hw.image import EveImage

_LABELS: dict[int, PartitionLabel] = {PARTITIONS[label]: label for label in IMAGE_LABELS}
"""Partition number -> label of the partitions that can hold an EVE rootfs."""


@dataclass(frozen=True, slots=True)
class BootChoice:
    """The partition GRUB boots, the image it holds (None if invalid) and the write to apply first."""

    label: PartitionLabel
    image: EveImage | None
    tries_decremented: bool
    write: TableWrite | None


def gptprio_next(disk: Disk) -> BootChoice | None:
    """GRUB's choice: None when nothing is bootable (both GPT copies bad, or no eligible partition).

    Among partitions of the EVE rootfs type, in table order, the first with the highest non-zero
    priority that has tries left or is successful wins; if it has tries left, they are
    decremented and the table is written back (``write``; the simulation applies it and may
    tear it) before booting. GRUB boots whatever the partition holds.
    """
    try:
        entries = disk.read_table()
    except GptCorrupt:
        return None
    best: tuple[PartitionLabel, Attr] | None = None
    for entry in entries:
        attr = entry.attr
        eligible = entry.type_guid == gpt.TYPE_EVE_ROOTFS and (attr.tries > 0 or attr.successful)
        if eligible and attr.priority > (best[1].priority if best else 0):
            best = (_LABELS[entry.number], attr)
    if best is None:
        return None
    label, attr = best
    write = None
    if attr.tries > 0:
        write = disk.plan_attr_change(label, Attr(attr.priority, attr.tries - 1, attr.successful))
    return BootChoice(label, disk.image_in(label), write is not None, write)
