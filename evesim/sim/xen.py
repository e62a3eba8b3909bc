"""The Xen of one simulated device: ``fx.Domain`` effects with ``xl``'s timing, and guests' lives.

A guest asked to shut down stops ``GUEST_SHUTDOWN_S`` later; a guest booted from an app image
with the ``crashes`` defect crashes ``CRASH_AFTER_S`` after it starts. Every boot of the device
starts a fresh hypervisor (domains do not survive a reset or a power cut).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from evesim.agent import effects as fx
from evesim.api.vocab import EventKind, Severity
from evesim.hw.xen import DOM0_MB, Domain, Hypervisor, XenError
from evesim.sim.ports import AgentHost, XenHost

CREATE_S = 2.0
"""``xl create -p`` until the domain has a domid."""
START_S = 0.2
"""``xl unpause``."""
GUEST_SHUTDOWN_S = 8.0
"""A well-behaved guest's shutdown after ``xl shutdown``."""
CRASH_AFTER_S = 20.0


class SimXen:
    """The hypervisor of one device on this boot."""

    __slots__ = ("device", "hypervisor", "volumes")

    def __init__(self, device: XenHost) -> None:
        self.device = device
        profile = device.hw.profile
        self.hypervisor = Hypervisor(profile.ram_mb, profile.ncpu)
        self.volumes: dict[str, str] = {}
        """Domain name → the blob it boots from."""

    def used_mb(self) -> int:
        """Memory in use: dom0's and what the domains hold."""
        held_kb = self.hypervisor.total_kb - self.hypervisor.free_kb
        return DOM0_MB + held_kb // 1024

    def reboot(self) -> None:
        """The device reset or lost power: no domains."""
        self.hypervisor.reset()
        self.volumes.clear()

    def perform(self, eff: fx.Domain) -> Generator[simpy.Event, Any, fx.DomainState]:
        """Carry out one domain operation and say what the domain is afterwards."""
        env = self.device.env
        try:
            if eff.op == "create":
                yield env.timeout(CREATE_S)
                self.hypervisor.create(eff.name, eff.memory_kb, eff.vcpus)
                self.volumes[eff.name] = eff.blob
            elif eff.op == "start":
                yield env.timeout(START_S)
                self._start(self.hypervisor.unpause(eff.name))
            elif eff.op == "stop":
                self._stop(eff.name, eff.force)
            elif eff.op == "destroy":
                self.hypervisor.destroy(eff.name)
            elif eff.op != "info":
                raise XenError(f"unknown domain operation {eff.op!r}")
        except XenError as exc:
            return self.state(eff.name, str(exc))
        return self.state(eff.name)

    def state(self, name: str, error: str | None = None) -> fx.DomainState:
        """The domain as ``xl list`` shows it (``absent`` if there is none)."""
        domain = self.hypervisor.info(name)
        if domain is None:
            return fx.DomainState(name, "absent", None, error)
        return fx.DomainState(name, domain.state, domain.domid, error)

    def _start(self, domain: Domain) -> None:
        image = self.device.storage.blobs.get(self.volumes.get(domain.name, ""))
        if image is not None and "crashes" in image.defects:
            self.device.spawn(self._later(domain, CRASH_AFTER_S, self.hypervisor.crash, "error", "domain_crashed"))

    def _stop(self, name: str, force: bool) -> None:
        if force:
            self.hypervisor.stopped(name)
            return
        domain = self.hypervisor.shutdown(name)
        self.device.spawn(self._later(domain, GUEST_SHUTDOWN_S, self.hypervisor.stopped, "info", "domain_halted"))

    def _later(self, domain: Domain, delay: float, change: Callable[[str], Domain], severity: Severity,
               kind: EventKind) -> Generator[simpy.Event, Any, None]:
        """After ``delay``, apply ``change`` to this very domain if it still exists and can take it."""
        yield self.device.env.timeout(delay)
        if self.hypervisor.info(domain.name) is domain:
            try:
                change(domain.name)
            except XenError:
                return
            self.device.record("xen", kind, {"domain": domain.name, "domid": domain.domid}, severity)


def domain(dev: AgentHost, eff: fx.Domain) -> Generator[simpy.Event, Any, fx.DomainState]:
    """The ``Domain`` effect: an operation on this boot's hypervisor."""
    return (yield from dev.xen.perform(eff))
