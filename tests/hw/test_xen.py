"""The Xen bookkeeping: domain states, domids and memory."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from evesim.hw.xen import DOM0_MB, OVERHEAD_KB, Hypervisor, XenError


def test_a_domain_is_created_paused_runs_stops_and_is_destroyed() -> None:
    xen = Hypervisor(4096, 4)
    free = xen.free_kb
    domain = xen.create("app.1", 512 * 1024, 1)
    assert (domain.domid, domain.state) == (1, "paused")
    assert xen.free_kb == free - 512 * 1024 - OVERHEAD_KB
    assert xen.unpause("app.1").state == "running"
    assert xen.shutdown("app.1").state == "shutdown"
    assert xen.stopped("app.1").state == "halted"
    xen.destroy("app.1")
    assert xen.info("app.1") is None and xen.free_kb == free


def test_dom0_keeps_its_share() -> None:
    assert Hypervisor(4096, 4).total_kb == (4096 - DOM0_MB) * 1024
    with pytest.raises(ValueError, match="nothing beyond dom0"):
        Hypervisor(DOM0_MB, 4)


def test_not_enough_memory_is_refused_with_the_figures() -> None:
    xen = Hypervisor(2048, 2)
    # dom0 keeps 640 MiB (GRUB's dom0_mem); a guest costs its memory plus 8 MiB
    with pytest.raises(XenError, match=r"not enough memory for domain 'big': needs 2056 MiB, 1408 MiB free"):
        xen.create("big", 2048 * 1024, 1)
    assert xen.domains == []


def test_refusals() -> None:
    xen = Hypervisor(4096, 2)
    xen.create("a", 1024, 1)
    for call, message in (
        (lambda: xen.create("a", 1024, 1), "already exists"),
        (lambda: xen.create("", 1024, 1), "must not be empty"),
        (lambda: xen.create("b", 0, 1), "must be positive"),
        (lambda: xen.create("b", 1024, 3), "3 vcpus but the host has 2"),
        (lambda: xen.shutdown("nope"), "no domain 'nope'"),
        (lambda: xen.crash("a"), "is paused, not running or shutdown"),
        (lambda: xen.destroy("nope"), "no domain"),
    ):
        with pytest.raises(XenError, match=message):
            call()


def test_domids_grow_until_the_host_resets() -> None:
    xen = Hypervisor(8192, 4)
    assert [xen.create(n, 1024, 1).domid for n in "abc"] == [1, 2, 3]
    xen.destroy("b")
    assert xen.create("d", 1024, 1).domid == 4
    xen.reset()
    assert xen.domains == [] and xen.create("a", 1024, 1).domid == 1


class Domains(RuleBasedStateMachine):
    """Any sequence of operations keeps memory accounted and states legal."""

    def __init__(self) -> None:
        super().__init__()
        self.xen = Hypervisor(4096, 4)
        self.model: dict[str, int] = {}

    @rule(name=st.sampled_from("abcd"), mib=st.integers(1, 4096))
    def create(self, name: str, mib: int) -> None:
        fits = mib * 1024 + OVERHEAD_KB <= self.xen.free_kb
        try:
            self.xen.create(name, mib * 1024, 1)
        except XenError:
            assert name in self.model or not fits
        else:
            assert name not in self.model and fits
            self.model[name] = mib * 1024

    @rule(name=st.sampled_from("abcd"),
          op=st.sampled_from(["unpause", "shutdown", "stopped", "crash"]))
    def move(self, name: str, op: str) -> None:
        before = self.xen.info(name)
        state = before.state if before else None
        try:
            getattr(self.xen, op)(name)
        except XenError:
            pass
        else:
            assert state is not None and state not in ("halted", "crashed")

    @rule(name=st.sampled_from("abcd"))
    def destroy(self, name: str) -> None:
        try:
            self.xen.destroy(name)
        except XenError:
            assert name not in self.model
        else:
            del self.model[name]

    @invariant()
    def memory_adds_up(self) -> None:
        held = sum(kb + OVERHEAD_KB for kb in self.model.values())
        assert self.xen.free_kb == self.xen.total_kb - held >= 0
        assert sorted(d.name for d in self.xen.domains) == sorted(self.model)


TestDomains = Domains.TestCase
