"""The boot disk as effects: zboot's partition view and state changes, image writes, torn GPT writes."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from evesim.agent import effects as fx
from evesim.api.vocab import PARTITION_LABELS
from evesim.hw import flash
from evesim.hw.disk import WRITE_ORDER, TableWrite
from evesim.hw.image import EveImage
from evesim.sim.ports import Board

WRITE_STEPS = 10
"""Progress events per image write."""


def table_write(dev: Board, write: TableWrite) -> Generator[simpy.Event, Any, None]:
    """Write both GPT copies; a power cut meanwhile tears one (see ``tear_pending_table``)."""
    storage = dev.storage
    storage.pending_table = (write, dev.env.now)
    yield dev.env.timeout(len(WRITE_ORDER) * dev.hw.disk.table_write_seconds(dev.hw.profile))
    storage.pending_table = None
    dev.hw.disk.apply(write)
    storage.view = None


def tear_pending_table(dev: Board) -> None:
    """Power went mid table write: apply what reached the disk (possibly one torn copy)."""
    storage = dev.storage
    if storage.pending_table is None:
        return
    write, start = storage.pending_table
    storage.pending_table = None
    now = dev.env.now
    if now <= start:
        return
    torn = dev.hw.disk.torn_by_cut(dev.hw.profile, now - start)
    dev.hw.disk.apply(write, torn)
    storage.view = None
    if torn is not None:
        dev.record("hw", "gpt_write_torn", {"copy": torn}, "warning")


def partitions(dev: Board, eff: fx.Partitions) -> fx.PartitionView:
    """zboot's view of IMGA/IMGB (cached until the next table write, image write or boot)."""
    storage = dev.storage
    if storage.view is None:
        disk = dev.hw.disk
        versions = {label: (img.version if (img := disk.image_in(label)) else None) for label in PARTITION_LABELS}
        states = {label: disk.partition_state(label) for label in PARTITION_LABELS}
        sizes = {label: disk.partition_bytes(label) for label in PARTITION_LABELS}
        storage.view = fx.PartitionView(dev.boot.running_label or "IMGA", states, versions, sizes)
    return storage.view


def set_partition_state(dev: Board, eff: fx.SetPartitionState) -> Generator[simpy.Event, Any, None]:
    """``zboot set_partstate``: one table write."""
    write = dev.hw.disk.plan_state_change(eff.label, eff.state)
    yield from table_write(dev, write)
    dev.record("zboot", "partition_state", {"label": eff.label, "state": eff.state})


def write_partition(dev: Board, eff: fx.WritePartition) -> Generator[simpy.Event, Any, str | None]:
    """Stream a verified blob onto a partition; a cut before the end leaves it invalid."""
    image = dev.storage.blobs.get(eff.blob)
    if image is None:
        return f"blob {eff.blob} not found"
    if not isinstance(image, EveImage):
        return f"blob {eff.blob} is not an EVE image"
    disk = dev.hw.disk
    dev.storage.view = None
    try:
        disk.begin_image_write(eff.label, image)
    except ValueError as exc:
        return str(exc)
    total = flash.write_seconds(dev.hw.profile, image.size_bytes)
    for step in range(1, WRITE_STEPS + 1):
        yield dev.env.timeout(total / WRITE_STEPS)
        dev.record("zboot", "partition_write_progress", {"label": eff.label, "percent": step * 10})
    disk.finish_image_write(eff.label)
    dev.storage.view = None
    return None
