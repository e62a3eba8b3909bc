"""nim: the DPC manager. Keeps the list of device port configurations, tests them against the controller with
``/ping``, applies the best one that works and falls back when it stops working (EVE's ``pkg/pillar/dpcmanager``).

Proxies come with each applied port (explicit, a PAC file, or one WPAD finds at each test: ``CheckAndGetNetworkProxy``);
a static port's address, gateway and DNS servers with it too. Simplifications: no Wi-Fi/LTE modem states, PCI
passthrough or asynchronous port setup (their wait states are not modelled); a port is present or not, has carrier
and an address or not. The ports of a cost group are tried in a fixed order (EVE rotates the first port of each group
from test to test).
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any

from evesim.agent import dpc as dpcs
from evesim.agent import effects as fx
from evesim.agent import paths, topics
from evesim.agent.configitems import DEFAULTS, GlobalConfig
from evesim.agent.controllerconn import url
from evesim.agent.dpc import Dpc, DpcList, PortConfig, Results
from evesim.agent.topics import DpcState, Led, NetworkStatus
from evesim.api.vocab import TransportError

AGENT = "nim"
REMOTE_TEMPORARY: frozenset[TransportError] = frozenset({"refused", "cert_invalid"})
"""Transport errors that still show the controller is there (``RemoteTempFailure``)."""
WAITING = frozenset({DpcState.IPDNS_WAIT, DpcState.INTF_WAIT})
"""Verification states that wait for the ports (``pendingDpcTimer``) rather than decide."""


@dataclass(frozen=True, slots=True)
class PortTest:
    """One port's ``/ping`` answer (or why it was not asked)."""

    name: str
    ok: bool
    remote_temporary: bool = False
    error: str = ""


def ping_outcome(response: fx.Response) -> PortTest:
    """What one port's ``/ping`` answer says (EVE's ``VerifyAllIntf``): success, a remote temporary failure
    (refused, a certificate error or a 5xx: the controller is there), or a failure."""
    if response.ok:
        return PortTest("", True)
    # EVE: pkg/pillar/controllerconn/send.go VerifyAllIntf: refused, a cert error or a 5xx is a remote temporary failure
    temporary = response.error in REMOTE_TEMPORARY or (response.status is not None and response.status >= 500)
    why = response.status or response.error
    error = f"remote temporary failure: {why}" if temporary else f"ping failed: {why}"
    return PortTest("", False, temporary, error)


def lastresort(links: tuple[fx.Link, ...]) -> Dpc:
    """EVE's last-resort DPC (``pkg/pillar/dpcmanager/lastresort.go``): DHCP on every Ethernet port, cost 0, lowest
    priority."""
    ports = tuple(PortConfig(link.name) for link in links if link.name.startswith("eth"))
    return Dpc("lastresort", dpcs.LASTRESORT_PRIORITY, ports)


@dataclass(slots=True)
class Manager:
    """The DPC manager's state between events (EVE's ``DpcManager``)."""

    dpcl: DpcList
    config: GlobalConfig = field(default_factory=lambda: DEFAULTS)
    verifying: bool = False
    started: float = 0.0
    """When the DPC under verification was applied (its tests' elapsed time counts from here)."""
    pending_due: float | None = None
    test_due: float | None = None
    better_due: float | None = None
    conn_works: bool = False
    """EVE's ``controllerConnWorks``: the last test reached the controller (a periodic failure clears it, a second
    one while it is clear starts a new verification)."""
    waiting_for: str = ""
    """What the DPC under verification waits for (its ports, an address)."""
    status: NetworkStatus | None = None
    published: tuple[Any, ...] = ()
    applied_ports: tuple[fx.Route, ...] = ()
    discovered: dict[str, str] = field(default_factory=dict)
    """The PAC file WPAD last found for each port (base64)."""
    dpc_seen: Dpc | None = None
    addresses: tuple[tuple[str, bool], ...] = ()
    led: LedView = field(default_factory=lambda: LedView())

    # -------------------------------------------------------------- verification

    def restart(self) -> Generator[Any, Any, None]:
        """``restartVerify``: test from the best testable DPC down; park when none can be tested."""
        wall = yield fx.WallClock()
        first = self.dpcl.next_testable(0, wall) if self.dpcl.entries else None
        if first is None:
            self.verifying = False
            yield from self._apply(self.dpcl.park_index())
            yield from self._settled()
            return
        self.verifying = True
        yield from self._apply(first)
        yield from self.verify()

    def verify(self) -> Generator[Any, Any, None]:
        """``runVerify``: test the applied DPC; on a failure move to the next testable one, until one works, one has
        to wait for its ports, or none is left."""
        while True:
            state, error, tests = yield from self._check()
            wall = yield fx.WallClock()
            dpc = _with_ports(self.dpcl.entries[self.dpcl.current], tests, wall)
            if state in WAITING:
                self.waiting_for = error
                self.dpcl.record(self.dpcl.current, replace(dpc, state=state))
                self.pending_due = (yield fx.Now()) + float(self.config.int("timer.port.testduration"))
                yield from self._publish()
                return
            self.pending_due = None
            if state in (DpcState.SUCCESS, DpcState.REMOTE_WAIT):
                # EVE: a remote temporary failure counts as a success (with a warning): no fallback
                self.dpcl.record(self.dpcl.current, replace(dpc, state=state,
                                                            results=dpc.results.succeeded(wall, error)))
                self.conn_works = True
                break
            self.dpcl.record(self.dpcl.current, replace(dpc, state=state, results=dpc.results.failed(wall, error)))
            following = self.dpcl.next_testable(self.dpcl.current + 1, wall)
            if following is None:
                yield from self._apply(self.dpcl.park_index())
                break
            yield from self._apply(following)
        self.verifying = False
        yield from self._settled()

    def _settled(self) -> Generator[Any, Any, None]:
        """After a verification: arm the better-DPC and periodic timers, retest an untested first DPC."""
        now = yield fx.Now()
        better = self.config.int("timer.port.testbetterinterval")
        self.better_due = now + better if self.dpcl.current != 0 and better else None
        self.test_due = now + float(self.config.int("timer.port.testinterval"))
        self.dpcl.compress(self.config["network.fallback.any.eth"] == "enabled")
        yield from self._publish()
        if self.dpcl.entries and self.dpcl.entries[0].untested() and self.dpcl.current != 0:
            yield from self.restart()

    def _apply(self, index: int) -> Generator[Any, Any, None]:
        """Apply entry ``index`` (EVE reconciles it into the kernel); its tests' elapsed time starts now."""
        self.dpcl.current = index
        self.started = yield fx.Now()
        yield from self._route()

    def _check(self) -> Generator[Any, Any, tuple[DpcState, str, tuple[PortTest, ...]]]:
        """``verifyDPC``: wait for the ports and addresses a while, then test the management ports with ``/ping``."""
        dpc = self.dpcl.entries[self.dpcl.current]
        links = {link.name: link for link in (yield fx.LinkStatus())}
        elapsed, duration = (yield fx.Now()) - self.started, float(self.config.int("timer.port.testduration"))
        present = [p for p in dpc.mgmt_ports if p.name in links]
        if not present:
            missing = ", ".join(p.name for p in dpc.mgmt_ports) or "none"
            state = DpcState.INTF_WAIT if elapsed < 2 * duration else DpcState.FAIL
            return state, f"missing management interfaces: {missing}", ()
        if not any(links[p.name].up and links[p.name].address for p in present):
            state = DpcState.IPDNS_WAIT if elapsed < 5 * duration else DpcState.FAIL
            return state, "no suitable IP address available", ()
        addressed = [p for p in present if links[p.name].up and links[p.name].address]
        if all(p.dns_missing() for p in addressed):
            # EVE: pkg/pillar/dpcmanager/verify.go: a port with an address but no DNS server waits as one without an
            # address (a static port's DNS servers are its own; EVE never falls back to the gateway)
            state = DpcState.IPDNS_WAIT if elapsed < 5 * duration else DpcState.FAIL
            return state, f"interface {addressed[0].name}: no DNS server available", ()
        tests = yield from self._ping(present, links)
        if any(t.ok for t in tests):
            return DpcState.SUCCESS, "", tests
        errors = "; ".join(f"{t.name}: {t.error}" for t in tests)
        if any(t.remote_temporary for t in tests):
            return DpcState.REMOTE_WAIT, errors, tests
        return DpcState.FAIL_WITH_IP_AND_DNS, errors, tests

    def _ping(self, ports: list[PortConfig], links: dict[str, fx.Link]) -> Generator[Any, Any, tuple[PortTest, ...]]:
        """``/ping`` over each management port, cheapest first, until one answers (the others get local checks)."""
        failed = yield from self._wpad(ports, links)
        if failed is not None:
            return (failed,)
        tests: list[PortTest] = []
        timeout = float(self.config.int("timer.port.timeout"))
        for port in ports:
            link = links[port.name]
            if not (link.up and link.address):
                tests.append(PortTest(port.name, False, error=f"interface {port.name}: no suitable IP address"))
                continue
            response = yield fx.Request("GET", url("ping"), None, timeout, via=port.name)
            tests.append(replace(ping_outcome(response), name=port.name))
            if tests[-1].ok:
                break
        return tuple(tests)

    def _wpad(self, ports: list[PortConfig], links: dict[str, fx.Link]) -> Generator[Any, Any, PortTest | None]:
        """``CheckAndGetNetworkProxy`` for each port that finds its PAC file by WPAD (a configured PAC wins): its URL,
        else ``wpad.<domain>`` and up; a port where none can be fetched fails the whole test (EVE's
        ``TestConnectivity`` returns at once), with EVE's message."""
        for port in ports:
            if not port.wpad or port.pac:
                continue
            domain = links[port.name].domain if port.name in links else ""
            urls = [port.wpad_url] if port.wpad_url else dpcs.wpad_urls(domain)
            if not urls:
                return PortTest(port.name, False, error=f"failed to get network proxy for interface {port.name}: "
                                f"NetworkProxyEnable for {port.name} but neither a NetworkProxyURL nor a DomainName")
            error = ""
            for pac_url in urls:
                fetched = yield fx.FetchPac(port.name, pac_url)
                if fetched.pac is not None:
                    self.discovered[port.name] = fetched.pac
                    break
                error = f"Failed to fetch {pac_url} for {port.name}: {fetched.error}"
            else:
                return PortTest(port.name, False, error=f"failed to get network proxy for interface {port.name}: "
                                f"{error}")
        return None

    # -------------------------------------------------------------- timers and events

    def periodic(self) -> Generator[Any, Any, None]:
        """``testConnectivityToController``: retest the applied DPC; two failures in a row start a new verification."""
        self.test_due = (yield fx.Now()) + float(self.config.int("timer.port.testinterval"))
        if self.dpcl.current < 0:
            yield from self.restart()
            return
        dpc = self.dpcl.entries[self.dpcl.current]
        links = {link.name: link for link in (yield fx.LinkStatus())}
        present = [p for p in dpc.mgmt_ports if p.name in links]
        tests = (yield from self._ping(present, links)) if present else ()
        wall = yield fx.WallClock()
        dpc = _with_ports(dpc, tests, wall)
        if any(t.ok for t in tests):
            # EVE: pkg/pillar/dpcmanager/verify.go testConnectivityToController: a success is the DPC's own (its
            # state becomes Success); a failure only marks the ports
            dpc = replace(dpc, state=DpcState.SUCCESS, results=dpc.results.succeeded(wall))
        self.dpcl.record(self.dpcl.current, dpc)
        if any(t.ok or t.remote_temporary for t in tests):
            self.conn_works = True
        elif not self.conn_works:
            yield from self.restart()
            return
        else:
            self.conn_works = False
        yield from self._publish()

    def better(self) -> Generator[Any, Any, None]:
        """``testBetterTimer``: running on a lower DPC, verify again from the first."""
        self.better_due = None
        if self.dpcl.current != 0 and not self.verifying:
            yield from self.restart()

    def new_dpc(self, dpc: Dpc) -> Generator[Any, Any, bool]:
        """A DPC from zedagent: add it to the list; a change starts a new verification (aborting one under way).
        True if it changed the list."""
        if not self.dpcl.add(dpc):
            return False
        yield fx.Log(AGENT, "dpc_added", {"key": dpc.key, "ports": [p.name for p in dpc.ports], "error": dpc.error})
        yield from self._save()
        yield from self.restart()
        return True

    def links_changed(self) -> Generator[Any, Any, None]:
        """An address came or went: resume a waiting verification, or restart one from ``Fail``."""
        applied = self.dpcl.applied
        if self.verifying:
            yield from self.verify()
        elif applied is not None and applied.state is DpcState.FAIL:
            # EVE: pkg/pillar/dpcmanager/dpcmanager.go: an address change restarts verification only from Fail
            yield from self.restart()
        else:
            yield from self._publish()

    # -------------------------------------------------------------- what others see

    def _route(self) -> Generator[Any, Any, None]:
        applied = self.dpcl.applied
        ports = () if applied is None else tuple(
            fx.Route(p.name, p.cost, _failed(applied, p.name), p.proxy, p.exceptions,
                     p.address if p.dhcp == "static" else "", bool(p.gateway) or p.dhcp != "static",
                     not p.dns_missing(), p.proxy_certs, p.pac or (self.discovered.get(p.name, "") if p.wpad else ""))
            for p in applied.mgmt_ports)
        if ports != self.applied_ports:
            self.applied_ports = ports
            yield fx.ApplyPorts(ports)

    def _publish(self) -> Generator[Any, Any, None]:
        """Route over the applied DPC's ports, and publish DeviceNetworkStatus (state, address, error) and, on a real
        change, the DPC list."""
        yield from self._route()
        status = self._status((yield fx.LinkStatus()))
        if status != self.status:
            self.status = status
            yield fx.Publish(topics.NETWORK, status)
            yield fx.Log(AGENT, "dpc", {"state": status.state.name, "error": status.last_error,
                                        "index": status.index, "key": status.key})
            yield from self.led.shown(status)
        real = (self.dpcl.current, tuple((e.key, e.ports, e.state, e.error) for e in self.dpcl.entries))
        if real != self.published:
            # EVE: pkg/pillar/cmd/zedagent: a change of the list other than its timestamps is reported at once
            self.published = real
            yield fx.Publish(topics.DPC_LIST, (self.dpcl.current, tuple(self.dpcl.entries)))
            yield from self._save()

    def _status(self, links: tuple[fx.Link, ...]) -> NetworkStatus:
        """DeviceNetworkStatus as of now: the applied DPC's state, whether a management port of it has an address,
        and why it does not work (or what it waits for, or its warning)."""
        applied = self.dpcl.applied
        if applied is None:
            return NetworkStatus(DpcState.NONE, False, "no address")
        names = {p.name for p in applied.mgmt_ports}
        has_address = any(link.up and link.address for link in links if link.name in names)
        if applied.state in WAITING:
            error = self.waiting_for
        else:
            results = applied.results
            error = (results.last_warning if applied.working else results.last_error) or (
                "" if has_address else "no address")
        return NetworkStatus(applied.state, has_address, error, self.dpcl.current, applied.key)

    def _save(self) -> Generator[Any, Any, None]:
        yield fx.WriteFile(paths.DPC_LIST, _encode(self.dpcl))

    def due(self) -> float | None:
        """The earliest timer armed."""
        armed = [t for t in (self.pending_due if self.verifying else None, self.test_due, self.better_due)
                 if t is not None]
        return min(armed) if armed else None


def _failed(dpc: Dpc, name: str) -> bool:
    results = dict(dpc.port_results).get(name)
    return results is not None and results.last_failed > results.last_succeeded


def _with_ports(dpc: Dpc, tests: tuple[PortTest, ...], at: float) -> Dpc:
    """``dpc`` with each tested port's results updated at wall-clock time ``at`` (EVE's ``TestResults.Update``)."""
    if not tests:
        return dpc
    results = dict(dpc.port_results)
    for test in tests:
        before = results.get(test.name, Results())
        results[test.name] = before.succeeded(at) if test.ok else before.failed(at, test.error)
    return replace(dpc, port_results=tuple(sorted(results.items())))


# ---------------------------------------------------------------- persistence


def _encode(dpcl: DpcList) -> bytes:
    """The list as nim checkpoints it (EVE: ``/persist/status/nim/DevicePortConfigList/global.json``)."""
    entries = [{"key": e.key, "time_priority": e.time_priority, "error": e.error,
                "last_failed": e.results.last_failed, "last_succeeded": e.results.last_succeeded,
                "last_error": e.results.last_error,
                "ports": [[p.name, p.mgmt, p.cost, p.dhcp, p.invalid, p.proxy, p.exceptions] for p in e.ports]}
               for e in dpcl.entries]
    return json.dumps({"current": dpcl.current, "entries": entries}, sort_keys=True).encode()


def load(data: bytes | None) -> DpcList:
    """``ingestDPCList``: the checkpointed list, without entries lacking management ports, with port results
    cleared and nothing applied; empty if there is none or it cannot be read."""
    try:
        raw = json.loads(data) if data else {"entries": []}
        entries = [Dpc(e["key"], float(e["time_priority"]),
                       tuple(PortConfig(n, bool(m), int(c), d, i, str(x), str(y))
                             for n, m, c, d, i, x, y in e["ports"]),
                       Results(float(e["last_failed"]), float(e["last_succeeded"]), str(e["last_error"])),
                       error=str(e["error"])) for e in raw["entries"]]
    except (ValueError, KeyError, TypeError):
        return DpcList()
    return DpcList([e for e in entries if any(p.mgmt for p in e.ports)])


# ---------------------------------------------------------------- LED


@dataclass(slots=True)
class LedView:
    """ledmanager's ``DeriveLedCounter`` as nim applies it: 1 while there is no usable address, over whatever the
    other agents set; once there is one, what they set meanwhile, at least 2.

    Simplification: ``topics.LED`` is both what agents set and what shows; while there is no address nim keeps what
    they set and shows 1 over it, so a value set then shows for an instant.
    """

    stored: Led | None = None
    """The LED the other agents set while there is no address (ledmanager's ``ledCounter``)."""
    own: bool = True
    """nim's own 1 is on the bus and will wake it once while it watches the LED."""

    def shown(self, status: NetworkStatus) -> Generator[Any, Any, None]:
        led = yield fx.Read(topics.LED)
        if not status.has_address and self.stored is None:
            # EVE: pkg/pillar/types/ledmanagertypes.go DeriveLedCounter: no usable address shows 1 over any value
            self.stored = led if led is not None else Led.UNDEFINED
            if led != Led.WAITING_FOR_IP:
                yield fx.Publish(topics.LED, Led.WAITING_FOR_IP)
                self.own = True
        elif status.has_address and self.stored is not None:
            # ... and once there is one, the value set meanwhile, at least 2
            shown = max(self.stored, Led.CONNECTING)
            self.stored = None
            if shown != led:
                yield fx.Publish(topics.LED, Led(shown))
        if self.stored is None:
            self.own = False

    def changed(self) -> Generator[Any, Any, None]:
        """Another agent set the LED while there is no address: keep its value, still show 1."""
        led = yield fx.Read(topics.LED)
        if self.stored is None:
            return
        if led != Led.WAITING_FOR_IP:
            self.stored = led
            yield fx.Publish(topics.LED, Led.WAITING_FOR_IP)
            self.own = True
        elif self.own:
            self.own = False  # woken by nim's own 1


# ---------------------------------------------------------------- the agent


def run() -> Generator[Any, Any, None]:
    """nim's loop: start from the checkpointed list (or the last-resort DPC), then act on new DPCs from zedagent,
    address changes and the verification, periodic and better-DPC timers."""
    yield fx.Publish(topics.LED, Led.WAITING_FOR_IP)
    manager = Manager(load((yield fx.ReadFile(paths.DPC_LIST))))
    manager.led.stored = Led.UNDEFINED
    manager.config = yield from topics.global_config()
    links = yield fx.LinkStatus()
    # EVE: pkg/pillar/cmd/nim: a DevicePortConfig file under /config (a bootstrap for a site that needs a proxy or a
    # static address) is ingested at every boot with key "override"
    override = dpcs.from_eve_json((yield fx.ReadFile(paths.OVERRIDE_DPC)) or b"", "override")
    if override is not None:
        manager.dpcl.add(override)
    if not manager.dpcl.entries or manager.config["network.fallback.any.eth"] == "enabled":
        # EVE: the last-resort DPC is used, whatever the setting, while there is no other network config
        manager.dpcl.add(lastresort(links))
    yield from manager.restart()
    seen = 0
    while True:
        manager.config = yield from topics.global_config()
        watch: tuple[str, ...] = (topics.DPC_CONFIG, topics.LINK)
        if manager.led.stored is not None:
            watch = (*watch, topics.LED)
        now = yield fx.Now()
        due = manager.due()
        seen = yield fx.Wait(watch, seen, None if due is None else max(due - now, 0.0))
        yield from _handle(manager)


def _handle(manager: Manager) -> Generator[Any, Any, None]:
    """Act on what woke nim: a new DPC, an address change, a timer, or the LED."""
    new = yield fx.Read(topics.DPC_CONFIG)
    if new is not None and new is not manager.dpc_seen:
        manager.dpc_seen = new
        if (yield from manager.new_dpc(new)):
            return
    links = yield fx.LinkStatus()
    addresses = tuple((link.name, bool(link.up and link.address)) for link in links)
    if addresses != manager.addresses:
        manager.addresses = addresses
        yield from manager.links_changed()
        return
    now = yield fx.Now()
    if manager.verifying and manager.pending_due is not None and now >= manager.pending_due:
        yield from manager.verify()
    elif manager.test_due is not None and now >= manager.test_due:
        yield from manager.periodic()
    elif manager.better_due is not None and now >= manager.better_due:
        yield from manager.better()
    else:
        yield from manager.led.changed()
