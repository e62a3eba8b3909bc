"""Fault injection on a world: power, links, partitions, the controller, hung agents, clocks."""

from __future__ import annotations

from functools import partial

from evesim.agent import topics
from evesim.hw import power
from evesim.sim.nics import NetworkFault
from evesim.sim.ports import Faultable, Fleet
from evesim.sim.service import FaultRule


def power_cut(world: Fleet, device: Faultable, restore_after: float | None = None) -> None:
    """Cut a device's power, and restore it after ``restore_after`` seconds if given."""
    device.power_cut()
    if restore_after is not None:
        world.at(restore_after, device.power_on)


def brownout(world: Fleet, device: Faultable, cycles: int, on_s: float, off_s: float) -> None:
    """Rapid repeated cuts: ``cycles`` × (off for ``off_s``, on for ``on_s``), starting now."""
    for at, powered in power.brownout(0.0, cycles, on_s, off_s):
        world.at(at, device.power_on if powered else device.power_cut)


def _set_links(world: Fleet, links: list[tuple[str, str]], up: bool, owner: str) -> None:
    for a, b in links:
        world.set_link(a, b, up, owner)


def _restore_later(world: Fleet, links: list[tuple[str, str]], duration: float | None, owner: str = "") -> None:
    _set_links(world, links, False, owner)
    if duration is not None:
        world.at(duration, lambda: _set_links(world, links, True, owner))


def link_down(world: Fleet, device: Faultable, duration: float | None = None, port: str | None = None) -> None:
    """Take a device's access links down (carrier lost), or only ``port``'s, for ``duration`` if given; a port the
    device does not have is logged as ``no_such_port``."""
    nodes = device.nics.nodes
    if port is not None and port not in nodes:
        world.log.append(world.env.now, device.name, "world", "no_such_port", {"port": port}, "warning")
        return
    chosen = [nodes[port]] if port is not None else list(nodes.values())
    links = sorted((node, n) for node in chosen for n in world.net.graph.neighbors(node))
    _restore_later(world, links, duration, device.name)


def partition(world: Fleet, nodes: list[str], links: list[tuple[str, str]], duration: float | None = None) -> None:
    """Isolate ``nodes`` (all their links) and cut ``links``, for ``duration`` if given."""
    graph = world.net.graph
    for node in nodes:
        if node not in graph:
            raise KeyError(f"no node {node!r} in the network")
    cut = {tuple(sorted((n, m))) for n in nodes for m in graph.neighbors(n)}
    for a, b in links:
        world.net.link(a, b)
        cut.add(tuple(sorted((a, b))))
    _restore_later(world, sorted(cut), duration)


def controller_down(world: Fleet, duration: float | None = None) -> None:
    """Stop the controller (connections refused), for ``duration`` if given."""
    world.set_controller_up(False)
    if duration is not None:
        world.at(duration, lambda: world.set_controller_up(True))


def controller_fault(world: Fleet, rule: FaultRule) -> None:
    """Arm an evetest-style fault rule on the controller."""
    world.controller.rules.append(rule)
    world.log.append(world.env.now, "world", "controller", "fault_rule", {
        "action": rule.action, "method": rule.method, "path": rule.path_suffix, "status": rule.status,
        "count": rule.count, "end": None if rule.end == float("inf") else rule.end})


def fill_persist(world: Fleet, device: Faultable, free: int, duration: float | None = None) -> None:
    """Fill ``/persist`` until only ``free`` bytes are left, for ``duration`` if given (the files then go)."""
    device.storage.persist_fills += 1
    fill = device.storage.persist_fills
    device.storage.persist_free_cap = free
    device.record("fault", "persist_filled", {"free": free}, "warning")
    if duration is not None:
        world.at(duration, lambda: _free_persist(device, fill))


def _free_persist(device: Faultable, fill: int) -> None:
    """The files of fill number ``fill`` go, unless a later fill has taken its place."""
    if device.storage.persist_fills != fill:
        return
    device.storage.persist_free_cap = None
    device.record("fault", "persist_freed", {}, "warning")


def tpm_fault(device: Faultable, failing: bool) -> None:
    """Make the device's TPM fail ECDH encrypt/decrypt, or work again (nothing without a TPM)."""
    chip = device.hw.tpm
    if chip is None or chip.ecdh_fails == failing:
        return
    chip.ecdh_fails = failing
    device.record("fault", "tpm_fault", {"ecdh_fails": failing}, "warning")


def hang_agent(device: Faultable, agent: str) -> None:
    """Make an agent stop touching its watchdog file."""
    device.hang(agent)


MAX_CLOCK_OFFSET_S = 50 * 365 * 86400.0
"""How far jumps may take a device's wall clock from true time in all (an RTC keeps a valid date)."""


def clock_jump(device: Faultable, seconds: float) -> None:
    """Jump a device's wall clock (monotonic time is unaffected); jumps add up to at most 50 years either way,
    and never before 1970."""
    now = device.world.epoch + device.world.env.now
    offset = min(max(device.clock_offset + seconds, -MAX_CLOCK_OFFSET_S, -now), MAX_CLOCK_OFFSET_S)
    fields = {"seconds": seconds} if offset == device.clock_offset + seconds else \
        {"seconds": seconds, "applied": offset - device.clock_offset}
    device.clock_offset = offset
    device.record("fault", "clock_jump", fields, "warning")


def network_fault(world: Fleet, device: Faultable, fault: NetworkFault, mtu: int = 0,
                  duration: float | None = None) -> None:
    """A fault of the device's site network (for ``duration`` if given): its DNS server stops answering, its DHCP
    pool is empty (addresses already leased stay), or an exchange larger than ``mtu`` bytes never arrives whole."""
    nics = device.nics
    nics.fault_count += 1
    count = nics.fault_count
    nics.faults[fault] = mtu
    device.record("fault", "network_fault", {"fault": fault, "on": True, "mtu": mtu}, "warning")
    if duration is not None:
        world.at(duration, lambda: _end_network_fault(world, device, fault, count))
    if fault == "dhcp_down":
        now = world.env.now
        for name in nics.names:
            ends = nics.expiry(name, now)
            if ends is not None:
                world.at(ends - now, partial(_lease_runs_out, world, device, name, count))


def _lease_runs_out(world: Fleet, device: Faultable, name: str, count: int) -> None:
    """A port's lease ends while the DHCP server still does not answer: its address goes."""
    nics = device.nics
    if nics.fault_count == count and "dhcp_down" in nics.faults and nics.expire(name):
        device.record("fault", "lease_expired", {"port": name}, "warning")
        device.bus.publish(topics.LINK, nics.links(world.net))


def _end_network_fault(world: Fleet, device: Faultable, fault: NetworkFault, count: int) -> None:
    nics = device.nics
    if nics.fault_count != count or fault not in nics.faults:
        return
    del nics.faults[fault]
    device.record("fault", "network_fault", {"fault": fault, "on": False, "mtu": 0})
    if fault == "dhcp_down":  # the next renewal gets through: every lease starts again
        nics.leased_at = dict.fromkeys(nics.leased_at, world.env.now)
    for node in nics.nodes.values():
        world.wake(node)  # a DHCP client waiting for a lease asks again
