"""The ``xen`` backend: the host backend in a Xen dom0, running app domains with Xen's ``xl``.

Everything but domains and the host's memory and CPUs is the host backend's (clock, HTTPS, the state
directory); the runner keeps the watchdog device alive (``evesim.backends.watchdog``). Not yet here: the TPM
and the A/B disk, which stay as the host backend has them.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from evesim.agent import effects as fx
from evesim.backends import machine
from evesim.backends.gptdisk import GptDisk
from evesim.backends.host import INSTANT, TIMED, HostDevice, Instant, Timed
from evesim.backends.xl import Xl, XlError

AGENT = "xen"
DOMAIN_CONFIGS = "/run/xen-domains"
"""Where the domains' ``xl`` config files go (in the state directory)."""
PARTITION_VERSIONS = "/persist/status/partition-versions.json"
"""Which version each partition of ``--disk`` was last written with."""


class XenDevice(HostDevice):
    """A host device whose domains are Xen's."""

    def __init__(self, *args: Any, xl_path: str = "xl", disk: Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.xl = Xl(xl_path, self.state.host_path(DOMAIN_CONFIGS))
        self.disk = GptDisk(disk, self.state.host_path(PARTITION_VERSIONS), self.system / "proc/cmdline") \
            if disk is not None else None

    def timed(self, kind: type) -> Timed | None:
        """The host backend's handlers, with ``Domain`` performed by ``xl`` and, with a disk, partition effects."""
        mine: dict[type, Any] = {fx.Domain: _domain}  # handlers that take a XenDevice
        if self.disk is not None:
            mine |= {fx.SetPartitionState: _set_partition_state, fx.WritePartition: _write_partition}
        handler: Timed | None = mine.get(kind) or TIMED.get(kind)
        return handler

    def instant(self, kind: type) -> Instant | None:
        """The host backend's instant handlers; with a disk, zboot's partition view is the disk's."""
        if kind is fx.Partitions and self.disk is not None:
            return _partitions  # type: ignore[return-value]  # takes a XenDevice
        return INSTANT.get(kind)

    def hardware(self) -> fx.Hardware:
        """The host's facts with Xen's total memory and CPU count (``xl info``), read once per boot."""
        if self._hardware is None:
            facts = machine.hardware(self.state, self.system)
            try:
                info = self.xl.info()
            except XlError as exc:
                self.record(AGENT, "xl_failed", {"error": str(exc)}, "error")
            else:
                facts = replace(facts, memory_mb=info.total_memory_mb, ncpu=info.nr_cpus)
            self._hardware = facts
        return self._hardware


async def _domain(dev: XenDevice, eff: fx.Domain) -> fx.DomainState:
    disk = dev.state.host_path(eff.blob) if eff.op == "create" and eff.blob else None
    return await dev.xl.perform(eff, disk)


def _partitions(dev: XenDevice, eff: fx.Partitions) -> fx.PartitionView:
    assert dev.disk is not None
    return dev.disk.view()


async def _set_partition_state(dev: XenDevice, eff: fx.SetPartitionState) -> None:
    assert dev.disk is not None
    await asyncio.to_thread(dev.disk.set_state, eff.label, eff.state)
    dev.record("zboot", "partition_state", {"label": eff.label, "state": eff.state})


async def _write_partition(dev: XenDevice, eff: fx.WritePartition) -> str | None:
    assert dev.disk is not None
    return await asyncio.to_thread(dev.disk.write_image, eff.label, dev.state.host_path(eff.blob), eff.version or None)
