"""The ``xen`` backend: the host backend in a Xen dom0, running app domains with Xen's ``xl``.

Everything but domains and the host's memory and CPUs is the host backend's (clock, HTTPS, the state
directory); the runner keeps the watchdog device alive (``evesim.backends.watchdog``) and, with ``--disk``, zboot's
partition effects act on the GPT boot disk (``evesim.backends.gptdisk``); a TPM (``/dev/tpmrm0`` when there is one)
holds the identity, quotes and the vault key (``evesim.backends.tpm_effects``).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from evesim.agent import effects as fx
from evesim.backends.gptdisk import DiskError, GptDisk
from evesim.backends.host import HostDevice, Instant, Timed
from evesim.backends.https import DOWNLOADS
from evesim.backends.xl import HostInfo, Xl, XlError

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
        self.xen_info: HostInfo | None = None
        """``xl info``, read once before the agents start (it must not block their loop)."""
        try:
            self.xen_info = self.xl.info()
        except XlError as exc:
            self.record(AGENT, "xl_failed", {"error": str(exc)}, "error")

    def timed(self, kind: type) -> Timed | None:
        """The host backend's handlers, with ``Domain`` performed by ``xl`` and, with a disk, partition effects."""
        mine: dict[type, Any] = {fx.Domain: _domain, fx.MemoryUsage: _memory_usage}  # handlers that take a XenDevice
        if self.disk is not None:
            mine |= {fx.SetPartitionState: _set_partition_state, fx.WritePartition: _write_partition}
        handler: Timed | None = mine.get(kind) or super().timed(kind)
        return handler

    def instant(self, kind: type) -> Instant | None:
        """The host backend's instant handlers, but memory (asked of ``xl``, so timed) and, with a disk, zboot's
        partition view, which is the disk's."""
        if kind is fx.Partitions and self.disk is not None:
            return _partitions  # type: ignore[return-value]  # takes a XenDevice
        return None if kind is fx.MemoryUsage else super().instant(kind)

    def host_facts(self) -> fx.Hardware:
        """The host's facts with Xen's total memory and CPU count (``xl info``)."""
        facts = super().host_facts()
        if self.xen_info is None:
            return facts
        return replace(facts, memory_mb=self.xen_info.total_memory_mb, ncpu=self.xen_info.nr_cpus)

    def blob_path(self, blob: str) -> Path:
        """Where a downloaded blob is on this machine; ValueError for anything but ``/persist/downloads/NAME``."""
        name = blob.removeprefix(DOWNLOADS + "/")
        if name == blob or not name or "/" in name or name in (".", ".."):
            raise ValueError(f"{blob!r} is not a downloaded blob")
        return self.state.host_path(blob)


async def _domain(dev: XenDevice, eff: fx.Domain) -> fx.DomainState:
    try:
        disk = dev.blob_path(eff.blob) if eff.op == "create" and eff.blob else None
    except ValueError as exc:
        return fx.DomainState(eff.name, "absent", None, str(exc))
    return await dev.xl.perform(eff, disk)


async def _memory_usage(dev: XenDevice, eff: fx.MemoryUsage) -> fx.Memory:
    """Xen's memory, used = total - free (hypervisor and every domain), as domainmgr publishes it and zedagent
    reports it (pkg/pillar/hypervisor/xen.go GetHostCPUMem; pkg/pillar/cmd/zedagent/handlemetrics.go). If ``xl``
    fails, the last figures read stand, as EVE keeps the last published HostMemory."""
    try:
        dev.xen_info = await dev.xl.read_info()
    except XlError as exc:
        dev.record(AGENT, "xl_failed", {"error": str(exc)}, "error")
    if dev.xen_info is None:
        return fx.Memory(0, 0)
    return fx.Memory(dev.xen_info.total_memory_mb, dev.xen_info.total_memory_mb - dev.xen_info.free_memory_mb)


def _partitions(dev: XenDevice, eff: fx.Partitions) -> fx.PartitionView:
    assert dev.disk is not None
    return dev.disk.view()


async def _set_partition_state(dev: XenDevice, eff: fx.SetPartitionState) -> None:
    assert dev.disk is not None
    try:
        await asyncio.to_thread(dev.disk.set_state, eff.label, eff.state)
    except (OSError, DiskError) as exc:
        dev.record("zboot", "partition_state_refused", {"label": eff.label, "state": eff.state, "error": str(exc)},
                   "error")
        return
    dev.record("zboot", "partition_state", {"label": eff.label, "state": eff.state})


async def _write_partition(dev: XenDevice, eff: fx.WritePartition) -> str | None:
    assert dev.disk is not None
    try:
        return await asyncio.to_thread(dev.disk.write_image, eff.label, dev.blob_path(eff.blob), eff.version or None)
    except (OSError, DiskError, ValueError) as exc:
        return f"cannot write {eff.label}: {exc}"
