"""zedrouter: network instances for apps, their interfaces, addresses and firewall rules, and flow collection.

A network instance is checked (its type, its IP plan, its port label against the ports nim applied, its subnet
against the others), numbered and activated; each app's adapters get an interface on their instance, a MAC and, on
a local instance, the next free address of its DHCP range. An app whose instance is missing or not activated
waits; one whose instance is in error gets that error. The interfaces go to the backend with ``ApplyAppNetwork``.
Every 108-120 s, while an instance logs flows, the backend's finished flows are collected into ``FlowMessage``s,
one per app interface (126 records at most), for zedagent to send. EVE: ``pkg/pillar/cmd/zedrouter``
(``handleNetworkInstanceCreate``, ``doNetworkInstanceSanityCheck``, ``checkNetworkInstanceIPConflicts``,
``updateNIPorts``, ``checkNetworkReferencesFromApp``, ``lookupOrAllocateIPv4ForVIF``) and ``pkg/pillar/nistate``
(``collectFlows``).

Simplifications: one IPv4 plan per instance; no static routes, MTU, VLANs, DNS entries or static app addresses;
a switch instance's app addresses (leased from the outside DHCP server, which EVE learns by snooping) are not
reported; numbers are not kept across reboots.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import netinst, topics
from evesim.agent.effects import Vif
from evesim.agent.netinst import NetInstance
from evesim.agent.topics import App, AppNetwork, NiStatus
from evesim.api import pb

AGENT = "zedrouter"
FLOW_COLLECT_S = 120.0
"""``flowCollectInterval``: a range ticker of [0.9, 1.0] x 120 s (``runStateCollecting``)."""
MAX_FLOW_PACK = 125
"""A FlowMessage holds flows, then DNS requests, until one more than this (``collectFlows``)."""
WATCH = (topics.NI_CONFIG, topics.APP_CONFIG, topics.DPC_LIST)


@dataclass
class Numbers:
    """EVE's byte allocators: lowest free number from ``first`` (bridges and apps from 1, app interfaces from 0)."""

    first: int
    held: dict[Any, int] = field(default_factory=dict)

    def get(self, key: Any) -> int | None:
        if key not in self.held:
            used = set(self.held.values())
            free = next((n for n in range(self.first, 256) if n not in used), None)
            if free is None:
                return None
            self.held[key] = free
        return self.held[key]

    def keep(self, keys: Iterable[Any]) -> None:
        wanted = set(keys)
        self.held = {k: v for k, v in self.held.items() if k in wanted}


@dataclass
class Router:
    """What zedrouter keeps between updates: its numbers, and what it last published."""

    bridges: Numbers = field(default_factory=lambda: Numbers(1))
    apps: Numbers = field(default_factory=lambda: Numbers(1))
    interfaces: dict[str, Numbers] = field(default_factory=dict)
    statuses: tuple[NiStatus, ...] = ()
    networks: tuple[AppNetwork, ...] = ()
    vifs: tuple[Vif, ...] = ()

    def update(self, nis: tuple[NetInstance, ...], apps: tuple[App, ...], ports: tuple[tuple[str, bool, int], ...]
               ) -> tuple[tuple[NiStatus, ...], tuple[AppNetwork, ...]]:
        """Instance statuses and app networks for this config and these ports."""
        self.bridges.keep(ni.uuid for ni in nis)
        self.apps.keep(app.uuid for app in apps if app.adapters)
        self.interfaces = {ni.uuid: self.interfaces.get(ni.uuid, Numbers(0)) for ni in nis}
        for ni_uuid, numbers in self.interfaces.items():
            numbers.keep((app.uuid, index) for app in apps
                         for index, adapter in enumerate(app.adapters, start=1) if adapter.network == ni_uuid)
        statuses = {ni.uuid: self._status(ni, nis, ports) for ni in nis}
        networks = tuple(self._app(app, {ni.uuid: ni for ni in nis}, statuses) for app in apps if app.adapters)
        vifs = tuple(v for n in networks for v in n.vifs)
        final = tuple(_with_vifs(statuses[ni.uuid], vifs) for ni in nis)
        return final, networks

    def _status(self, ni: NetInstance, nis: tuple[NetInstance, ...], ports: tuple[tuple[str, bool, int], ...]
                ) -> NiStatus:
        error = ni.error or _sanity(ni)
        if not error:
            error = next((f"subnet ({ni.subnet}) overlaps with another network instance ({o.name}-{o.uuid}) subnet "
                          f"({o.subnet})" for o in nis if o.uuid != ni.uuid and netinst.overlap(ni.subnet, o.subnet)),
                         "")
        number = self.bridges.get(ni.uuid) or 0
        if not error and not number:
            error = f"failed to allocate number for network instance bridge {ni.uuid}: no free number left"
        chosen = netinst.ports_for(ni.port, ports) if ni.port else ()
        if not error and ni.port and not chosen:
            error = f"failed to select ports for network instance {ni.uuid}: no port is matching label '{ni.port}'"
        bridge = chosen[0] if ni.kind == "switch" and len(chosen) == 1 else f"bn{number}"
        return NiStatus(ni.uuid, ni.version, ni.name, ni.inst_type, chosen, ni.activate and not error, number,
                        bridge, ni.gateway, error)

    def _app(self, app: App, nis: dict[str, NetInstance], statuses: dict[str, NiStatus]) -> AppNetwork:
        """``checkNetworkReferencesFromApp`` then the interfaces: wait for a missing or inactive instance, carry the
        error of an instance in error; otherwise MAC and address for each adapter."""
        number = self.apps.get(app.uuid)
        if number is None:
            return AppNetwork(app.uuid, False, f"failed to allocate appNum for {app.uuid}/{app.name}: no free number",
                              ())
        for adapter in app.adapters:
            status = statuses.get(adapter.network)
            if status is None:
                return AppNetwork(app.uuid, True, "", ())
            if status.error:
                return AppNetwork(app.uuid, True, f"network instance {adapter.network} needed by app {app.uuid}/"
                                                  f"{app.name} is in error state: {status.error}", ())
            if not status.activated:
                return AppNetwork(app.uuid, True, "", ())
        vifs = []
        for index, adapter in enumerate(app.adapters, start=1):
            ni, status = nis[adapter.network], statuses[adapter.network]
            vif, error = self._vif(app, number, index, adapter, ni, status)
            if vif is None:
                return AppNetwork(app.uuid, False, error, ())
            vifs.append(vif)
        return AppNetwork(app.uuid, False, "", tuple(vifs))

    def _vif(self, app: App, number: int, index: int, adapter: netinst.Adapter, ni: NetInstance, status: NiStatus
             ) -> tuple[Vif | None, str]:
        switch = ni.kind == "switch"
        mac = adapter.mac or netinst.app_mac(app.uuid, ni.uuid, index, number, switch)
        ip = ""
        if not switch:
            numbers = self.interfaces[ni.uuid]
            slot = numbers.get((app.uuid, index))
            address = netinst.address(ni, slot) if slot is not None else None
            if address is None:
                numbers.held.pop((app.uuid, index), None)
                return None, f"no free IP addresses in DHCP range({ni.dhcp_start}, {ni.dhcp_end})"
            ip = address
        kind: netinst.NiKind = "switch" if switch else "local"
        # EVE: pkg/pillar/nireconciler/linux_acl.go: a rule matching a host name or an eidset is skipped on a switch
        # instance (only logged), so the default drop applies to what it would have allowed
        acls = tuple(netinst.on_switch(a) for a in adapter.acls) if switch else adapter.acls
        return Vif(app.uuid, app.name, adapter.name, ni.uuid, kind, status.ports, f"nbu{index}x{number}",
                   status.bridge_name, mac, ip, acls, ni.flowlog), ""


def _sanity(ni: NetInstance) -> str:
    """``doNetworkInstanceSanityCheck``: only switch and local instances; a local one needs its IP plan."""
    if ni.kind is None:
        return f"network instance type {ni.inst_type} is not supported"
    if ni.kind == "local" and not ni.subnet:
        return f"subnet unspecified for {ni.uuid}-{ni.name}"
    return ""


def _with_vifs(status: NiStatus, vifs: tuple[Vif, ...]) -> NiStatus:
    mine = tuple(v for v in vifs if v.network == status.uuid)
    assigned = tuple((v.mac, v.ip) for v in mine if v.ip)
    bridge = ((f"bridge:{status.bridge_num}", status.gateway),) if status.gateway and status.activated else ()
    return NiStatus(status.uuid, status.version, status.name, status.inst_type, status.ports, status.activated,
                    status.bridge_num, status.bridge_name, status.gateway, status.error, bridge + assigned, mine)


def _ports(dpcl: Any) -> tuple[tuple[str, bool, int], ...]:
    """The applied DPC's ports as (name, management, cost)."""
    if not dpcl or dpcl[0] is None or dpcl[0] >= len(dpcl[1]):
        return ()
    return tuple((p.name, p.mgmt, p.cost) for p in dpcl[1][dpcl[0]].ports)


def run() -> Generator[Any, Any, None]:
    """Follow network instance and app configs and the applied ports; collect flows while an instance logs them."""
    router = Router()
    seen = 0
    collecting = False
    while True:
        nis = (yield fx.Read(topics.NI_CONFIG)) or ()
        apps = (yield fx.Read(topics.APP_CONFIG)) or ()
        ports = _ports((yield fx.Read(topics.DPC_LIST)))
        statuses, networks = router.update(nis, apps, ports)
        if statuses and not collecting:
            # EVE's collector ticks from the start; idle until an instance exists, it need not run before one does
            collecting = True
            yield fx.Spawn(f"{AGENT}.flows", collect(router))
        yield from _publish(router, statuses, networks)
        seen = yield fx.Wait(WATCH, seen)


def _publish(router: Router, statuses: tuple[NiStatus, ...], networks: tuple[AppNetwork, ...]
             ) -> Generator[Any, Any, None]:
    old = {s.uuid: s for s in router.statuses}
    for status in statuses:
        before = old.get(status.uuid)
        if before is None or (before.activated, before.error, before.ports) != (status.activated, status.error,
                                                                               status.ports):
            yield fx.Log(AGENT, "network_instance", {"name": status.name, "state": state_name(status),
                                                     "ports": list(status.ports), "error": status.error},
                         "error" if status.error else "info")
    vifs = tuple(v for n in networks for v in n.vifs)
    if statuses != router.statuses:
        router.statuses = statuses
        yield fx.Publish(topics.NI_STATUS, statuses)
    if networks != router.networks:
        router.networks = networks
        yield fx.Publish(topics.APP_NETWORK, networks)
    if vifs != router.vifs:
        router.vifs = vifs
        yield fx.ApplyAppNetwork(vifs)


def state_name(status: NiStatus) -> str:
    """EVE's ``ZNetworkInstanceState`` for an instance (ERROR, ONLINE, or UNSPECIFIED while not activated)."""
    return "ERROR" if status.error else "ONLINE" if status.activated else "UNSPECIFIED"


# ---------------------------------------------------------------- flows


def collect(router: Router) -> Generator[Any, Any, None]:
    """Every 108-120 s, while an activated instance logs flows, gather the backend's finished flows per app interface
    and publish them for zedagent."""
    number = seen = 0
    while True:
        if not _logging(router):
            # the ticker runs idle in EVE; not waking the device for nothing changes no outcome
            seen = yield fx.Wait((topics.NI_STATUS,), seen)
            continue
        yield fx.Sleep(FLOW_COLLECT_S * (0.9 + 0.1 * (yield fx.Random("flows"))))
        logging = _logging(router)
        if not logging:
            continue
        flows = yield fx.CollectFlows()
        messages = flow_messages(router.vifs, logging, flows, (yield fx.Read(topics.ONBOARDING)))
        if messages:
            number += 1
            yield fx.Publish(topics.FLOWS, (number, messages))


def _logging(router: Router) -> set[str]:
    """Activated instances that log flows and have app interfaces."""
    return {s.uuid for s in router.statuses if s.activated} & {v.network for v in router.vifs if v.flowlog}


def flow_messages(vifs: tuple[Vif, ...], logging: set[str], flows: tuple[fx.Flow, ...], onboarding: Any
                  ) -> tuple[bytes, ...]:
    """One FlowMessage per app interface with flows, split every 126 records (``collectFlows``)."""
    device = onboarding.uuid if onboarding is not None else ""
    out = []
    for vif in vifs:
        if vif.network not in logging:
            continue
        mine = [f for f in flows if (f.app, f.adapter) == (vif.app, vif.adapter)]
        for start in range(0, len(mine), MAX_FLOW_PACK + 1):
            msg = pb.flowlog.FlowMessage(devId=device)
            msg.scope.uuid, msg.scope.intf, msg.scope.localIntf = vif.app, vif.adapter, vif.bridge
            msg.scope.netInstUUID = vif.network
            for flow in mine[start:start + MAX_FLOW_PACK + 1]:
                _record(msg.flows.add(), flow)
            out.append(msg.SerializeToString())
    return tuple(out)


def _record(rec: pb.flowlog.FlowRecord, flow: fx.Flow) -> None:
    rec.flow.src, rec.flow.srcPort, rec.flow.dest, rec.flow.destPort = flow.src, flow.src_port, flow.dst, flow.dst_port
    rec.flow.protocol = flow.protocol
    rec.inbound, rec.aclId = flow.inbound, flow.ace_id
    rec.action = pb.flowlog.ActionDrop if flow.action == "drop" else pb.flowlog.ActionAccept
    rec.startTime.FromNanoseconds(int(flow.start * 1e9))
    rec.endTime.FromNanoseconds(int(flow.end * 1e9))
    rec.txBytes, rec.txPkts, rec.rxBytes, rec.rxPkts = flow.tx_bytes, flow.tx_pkts, flow.rx_bytes, flow.rx_pkts
