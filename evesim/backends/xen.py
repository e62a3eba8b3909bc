"""The ``xen`` backend: the host backend in a Xen dom0, running app domains with Xen's ``xl``.

Everything but domains and the host's memory and CPUs is the host backend's (clock, HTTPS, the state
directory); the runner keeps the watchdog device alive (``evesim.backends.watchdog``). Not yet here: the TPM
and the A/B disk, which stay as the host backend has them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from evesim.agent import effects as fx
from evesim.backends import machine
from evesim.backends.host import TIMED, HostDevice, Timed
from evesim.backends.xl import Xl, XlError

AGENT = "xen"
DOMAIN_CONFIGS = "/run/xen-domains"
"""Where the domains' ``xl`` config files go (in the state directory)."""


class XenDevice(HostDevice):
    """A host device whose domains are Xen's."""

    def __init__(self, *args: Any, xl_path: str = "xl", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.xl = Xl(xl_path, self.state.host_path(DOMAIN_CONFIGS))

    def timed(self, kind: type) -> Timed | None:
        """The host backend's handlers, with ``Domain`` performed by ``xl``."""
        return _domain if kind is fx.Domain else TIMED.get(kind)  # type: ignore[return-value]  # takes a XenDevice

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
