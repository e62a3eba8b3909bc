"""The Xen hypervisor as bookkeeping: guest domains, their states and the memory they hold.

States follow ``xl list``: ``paused`` (created with ``-p``), ``running``, ``shutdown`` (the guest
is shutting down), ``halted`` (it has stopped; the domain is kept until destroyed) and
``crashed``. Simplification: no PCI passthrough, CPU pools or ballooning; a domain holds its
configured memory plus a fixed overhead from create to destroy.
"""

from __future__ import annotations

from dataclasses import dataclass

from evesim.api.vocab import DOMAIN_STATUSES, DomainStatus

DOM0_MB = 640
"""Memory dom0 keeps for itself: GRUB's ``set_generic`` (lf-edge/eve pkg/grub/rootfs.cfg) boots Xen with
``dom0_mem=640M,max:800M`` (6400M for the ``k`` flavour, not modelled); dom0 is not ballooned up to its max."""
OVERHEAD_KB = 8 * 1024
"""Memory Xen needs per guest beyond what the guest is given (page tables, device model)."""
STATES: frozenset[DomainStatus] = DOMAIN_STATUSES - {"absent"}
"""The states a domain that exists can be in."""


class XenError(Exception):
    """A hypervisor operation was refused; the message reads like ``xl``'s."""


@dataclass(slots=True)
class Domain:
    """One guest domain."""

    name: str
    domid: int
    memory_kb: int
    vcpus: int
    state: DomainStatus = "paused"


class Hypervisor:
    """The domains of one running Xen; everything is lost on a reset or power cut."""

    __slots__ = ("total_kb", "ncpu", "_domains", "_next_domid")

    def __init__(self, ram_mb: int, ncpu: int) -> None:
        if ram_mb <= DOM0_MB:
            raise ValueError(f"{ram_mb} MiB of RAM leaves nothing beyond dom0's {DOM0_MB} MiB")
        if ncpu <= 0:
            raise ValueError(f"ncpu must be positive, got {ncpu}")
        self.total_kb = (ram_mb - DOM0_MB) * 1024
        self.ncpu = ncpu
        self._domains: dict[str, Domain] = {}
        self._next_domid = 1

    @property
    def free_kb(self) -> int:
        """Memory not held by any guest domain."""
        return self.total_kb - sum(d.memory_kb + OVERHEAD_KB for d in self._domains.values())

    @property
    def domains(self) -> list[Domain]:
        """The domains that exist, by domid."""
        return sorted(self._domains.values(), key=lambda d: d.domid)

    def info(self, name: str) -> Domain | None:
        """The domain called ``name``, or None."""
        return self._domains.get(name)

    def create(self, name: str, memory_kb: int, vcpus: int) -> Domain:
        """``xl create -p``: a paused domain with a fresh domid."""
        if not name:
            raise XenError("domain name must not be empty")
        if name in self._domains:
            raise XenError(f"domain {name!r} already exists")
        if memory_kb <= 0 or vcpus <= 0:
            raise XenError(f"domain {name!r}: memory and vcpus must be positive")
        if vcpus > self.ncpu:
            raise XenError(f"domain {name!r}: {vcpus} vcpus but the host has {self.ncpu} CPUs")
        need = memory_kb + OVERHEAD_KB
        if need > self.free_kb:
            raise XenError(f"not enough memory for domain {name!r}: needs {need // 1024} MiB, "
                           f"{max(self.free_kb, 0) // 1024} MiB free")
        domain = Domain(name, self._next_domid, memory_kb, vcpus)
        self._next_domid += 1
        self._domains[name] = domain
        return domain

    def unpause(self, name: str) -> Domain:
        """``xl unpause``: a paused domain runs."""
        return self._move(name, ("paused",), "running")

    def shutdown(self, name: str) -> Domain:
        """``xl shutdown``: ask the guest to stop; it is in ``shutdown`` until it has."""
        return self._move(name, ("paused", "running"), "shutdown")

    def stopped(self, name: str) -> Domain:
        """The guest has finished shutting down (or was forced off)."""
        return self._move(name, ("paused", "running", "shutdown"), "halted")

    def crash(self, name: str) -> Domain:
        """The guest crashed."""
        return self._move(name, ("running", "shutdown"), "crashed")

    def destroy(self, name: str) -> None:
        """``xl destroy``: the domain is gone and its memory free."""
        if self._domains.pop(name, None) is None:
            raise XenError(f"no domain {name!r}")

    def reset(self) -> None:
        """The host went down: no domains, domids start again at 1."""
        self._domains.clear()
        self._next_domid = 1

    def _move(self, name: str, sources: tuple[DomainStatus, ...], target: DomainStatus) -> Domain:
        domain = self._domains.get(name)
        if domain is None:
            raise XenError(f"no domain {name!r}")
        if domain.state not in sources:
            raise XenError(f"domain {name!r} is {domain.state}, not {' or '.join(sources)}")
        domain.state = target
        return domain
