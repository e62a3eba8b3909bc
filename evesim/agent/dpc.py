"""Device port configurations (DPCs) and the list nim keeps of them, with EVE's rules for ordering and testing.

EVE: ``pkg/pillar/types/dpc.go`` (``DevicePortConfig``, ``IsDPCUsable``, ``IsDPCTestable``, ``WasDPCWorking``) and
``pkg/pillar/dpcmanager/dpc.go`` (``insertDPC``, ``higherPriority``, ``lookupDPC``, ``updateDPC``). Kept as plain
values so that nim's loop stays a small state machine and the rules can be tested on their own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from evesim.agent.effects import Route
from evesim.agent.topics import DpcState

DpcKey = Literal["zedagent", "lastresort", "override", "manual"]
"""Where a DPC comes from: the controller's config, nim itself, a file on the device, the local TUI."""
Dhcp = Literal["client", "static", "none"]
FAILURE_COOLDOWN_S = 300.0
"""A DPC that failed is not tested again for this long unless it worked since (``IsDPCTestable``; EVE's comments
say "a minute or less", the code says 5 minutes)."""
LASTRESORT_PRIORITY = 0.0
"""The last-resort DPC's TimePriority: 1970-01-01, below every other."""
OVERRIDE_PRIORITY = 1.0
"""An override file's TimePriority when it gives none: just above the last-resort DPC."""
EVE_DHCP: dict[int, Dhcp] = {1: "static", 2: "none", 4: "client"}
"""EVE's ``DhcpType`` numbers in its DPC JSON."""
PROXY_HTTPS = 1
"""EVE's ``NetworkProxyTypeHTTPS`` in its DPC JSON."""


@dataclass(frozen=True, slots=True)
class PortConfig:
    """One port of a DPC (EVE's ``NetworkPortConfig``): management use, cost, addressing, a parse error."""

    name: str
    mgmt: bool = True
    cost: int = 0
    dhcp: Dhcp = "client"
    invalid: str = ""
    """Why the controller's entry for this port could not be used (EVE's ``InvalidConfig`` with its error)."""
    proxy: str = ""
    """The HTTPS proxy (``host:port``) requests to the controller go through, if any."""
    exceptions: str = ""
    """Hosts reached without the proxy, comma-separated (Go's ``NO_PROXY``)."""
    address: str = ""
    """A static port's address with its prefix (EVE's ``AddrSubnet``, ``192.168.1.44/24``)."""
    gateway: str = ""
    dns: tuple[str, ...] = ()
    """A static port's DNS servers (a DHCP port gets them with its lease)."""
    proxy_certs: tuple[str, ...] = ()
    """SHA-256 fingerprints of the port's proxy CA certificates (EVE's ``ProxyCertPEM``)."""
    pac: str = ""
    """A proxy auto-configuration file, base64 (EVE's ``Pacfile``)."""
    wpad: bool = False
    """Find the PAC file by WPAD (EVE's ``NetworkProxyEnable``)."""
    wpad_url: str = ""
    """Where WPAD fetches it, instead of ``http://wpad.<domain>/wpad.dat`` (EVE's ``NetworkProxyURL``)."""

    def dns_missing(self) -> bool:
        """A static port without DNS servers: EVE's ``interface %s: no DNS server available``."""
        return self.dhcp == "static" and not self.dns


@dataclass(frozen=True, slots=True)
class Results:
    """EVE's ``TestResults``: when a test last failed and last succeeded (wall-clock seconds, as EVE's ``time.Now()``;
    0 = never), and why."""

    last_failed: float = 0.0
    last_succeeded: float = 0.0
    last_error: str = ""
    last_warning: str = ""
    """A success with a reservation: a remote temporary failure (``RecordSuccessWithWarning``)."""

    def failed(self, now: float, error: str) -> Results:
        return replace(self, last_failed=now, last_error=error, last_warning="")

    def succeeded(self, now: float, warning: str = "") -> Results:
        return replace(self, last_succeeded=now, last_error="", last_warning=warning)


@dataclass(frozen=True, slots=True)
class Dpc:
    """A device port configuration as nim keeps it: its source, priority, ports, test results and state."""

    key: DpcKey
    time_priority: float
    ports: tuple[PortConfig, ...]
    results: Results = Results()
    port_results: tuple[tuple[str, Results], ...] = ()
    state: DpcState = DpcState.NONE
    error: str = ""
    """A DPC-level parse error (no management port): such a DPC is listed but never tested."""

    @property
    def mgmt_ports(self) -> tuple[PortConfig, ...]:
        """Management ports that can be used, cheapest first (stable for equal costs)."""
        return tuple(sorted((p for p in self.ports if p.mgmt and p.dhcp != "none" and not p.invalid),
                            key=lambda p: p.cost))

    @property
    def usable(self) -> bool:
        """``IsDPCUsable``: at least one valid management port with addressing."""
        return bool(self.mgmt_ports)

    @property
    def working(self) -> bool:
        """``WasDPCWorking``: it succeeded, and more recently than it failed."""
        return self.results.last_succeeded > 0 and self.results.last_succeeded > self.results.last_failed

    def untested(self) -> bool:
        """``IsDPCUntested``: usable and never tested."""
        return self.usable and self.results.last_failed == 0 and self.results.last_succeeded == 0

    def testable(self, now: float) -> bool:
        """``IsDPCTestable``: usable, and it never failed, worked since, or failed long enough ago."""
        r = self.results
        if not self.usable:
            return False
        return (r.last_failed == 0 or r.last_succeeded >= r.last_failed or r.last_failed > now
                or now - r.last_failed >= FAILURE_COOLDOWN_S)

    def same_ports(self, other: Dpc) -> bool:
        """EVE's ``MostlyEqual``: the same source and the same ports."""
        return self.key == other.key and self.ports == other.ports


def higher_priority(new: Dpc, existing: Dpc) -> bool:
    """``higherPriority``: a new manual DPC goes first, a new controller one above any other source, else newer."""
    if new.key == "manual":
        return True
    if new.key == "zedagent" and existing.key != "zedagent":
        return True
    return new.time_priority > existing.time_priority


@dataclass(slots=True)
class DpcList:
    """EVE's ``DevicePortConfigList``: the DPCs, best first, and the index of the one applied (-1: none)."""

    entries: list[Dpc] = field(default_factory=list)
    current: int = -1

    @property
    def applied(self) -> Dpc | None:
        return self.entries[self.current] if 0 <= self.current < len(self.entries) else None

    def add(self, new: Dpc) -> bool:
        """``updateDPCListAndPublish`` for a new or changed DPC; False if nothing changed (no re-test)."""
        at = next((i for i, e in enumerate(self.entries) if e.same_ports(new) or
                   (e.key == new.key and e.time_priority == new.time_priority)), None)
        if at is not None:
            old = self.entries[at]
            if at == 0 and at == self.current and old.same_ports(new):
                return False
            if old.time_priority == new.time_priority:
                # EVE: pkg/pillar/dpcmanager/dpc.go updateDPC: the same TimePriority overwrites in place, and the
                # stored test results and state go with it
                self.entries[at] = new
                return True
            self._remove(at)
            new = replace(new, results=old.results, port_results=old.port_results, state=old.state)
        self._insert(new)
        return True

    def _insert(self, new: Dpc) -> None:
        applied = self.applied
        at = next((i for i, e in enumerate(self.entries) if higher_priority(new, e)), len(self.entries))
        self.entries.insert(at, new)
        if applied is not None and at <= self.current:
            self.current += 1

    def _remove(self, at: int) -> None:
        removed_current = at == self.current
        del self.entries[at]
        if removed_current:
            self.current = 0 if self.entries and self.entries[0].working else -1
        elif at < self.current:
            self.current -= 1

    def next_testable(self, start: int, now: float) -> int | None:
        """``getNextTestableDPCIndex``: one circular scan from ``start`` for a testable entry, never past the
        manual DPC."""
        count = len(self.entries)
        for step in range(count):
            i = (start + step) % count
            if self.entries[i].key == "manual" and i != start and step:
                break
            if self.entries[i].testable(now):
                return i
        return None

    def park_index(self) -> int:
        """``parkAtManualOrHighestPriority``: the manual DPC's index, else 0."""
        return next((i for i, e in enumerate(self.entries) if e.key == "manual"), 0) if self.entries else -1

    def record(self, index: int, dpc: Dpc) -> None:
        """Replace entry ``index`` with its updated results."""
        self.entries[index] = dpc

    def compress(self, keep_lastresort: bool = False) -> None:
        """``compressDPCL``: drop entries no rule keeps (the first, the applied one, the first working one, the first
        from the controller, the first of each source while no controller DPC ever worked, a manual one with no
        working entry above it, the last-resort one when enabled)."""
        entries, current = self.entries, self.current
        first_working = next((i for i, e in enumerate(entries) if e.working), None)
        first_zedagent = next((i for i, e in enumerate(entries) if e.key == "zedagent"), None)
        zedagent_worked = any(e.key == "zedagent" and e.results.last_succeeded > 0 for e in entries)
        firsts = {e.key: i for i, e in reversed(list(enumerate(entries)))}
        keep = [i == 0 or i == current or i == first_working or i == first_zedagent
                or (not zedagent_worked and firsts[e.key] == i)
                or (e.key == "manual" and (first_working is None or first_working >= i))
                or (e.key == "lastresort" and keep_lastresort)
                for i, e in enumerate(entries)]
        self.entries = [e for e, k in zip(entries, keep, strict=True) if k]
        if current >= 0:
            self.current = sum(keep[:current])


def from_eve_json(data: bytes, key: DpcKey) -> Dpc | None:
    """A DPC from EVE's JSON form of ``DevicePortConfig`` (as in ``/config/DevicePortConfig/override.json``): its
    ports' ``IfName``, ``IsMgmt``, ``Cost``, ``Dhcp``, HTTPS ``Proxies``, ``Exceptions``, ``ProxyCertPEM`` (base64,
    as Go writes bytes), ``Pacfile``, ``NetworkProxyEnable`` and ``NetworkProxyURL``; None if it cannot be read as
    one."""
    try:
        raw: Any = json.loads(data)
        ports = tuple(_eve_port(port) for port in raw["Ports"])
        priority = float(raw.get("TimePriority") or OVERRIDE_PRIORITY)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        return None
    return Dpc(key, priority, ports) if ports else None


def wpad_urls(domain: str) -> list[str]:
    """Where WPAD looks for a PAC file on a port with DHCP domain ``domain``: ``wpad.<domain>``, then without its
    first label, while a dot remains (EVE's ``CheckAndGetNetworkProxy``: never ``wpad.<tld>``)."""
    urls = []
    while domain:
        urls.append(f"http://wpad.{domain}/wpad.dat")
        if "." not in domain:
            break
        domain = domain.split(".", 1)[1]
        if "." not in domain:
            break
    return urls


def fingerprint(pem: bytes) -> str:
    """How a proxy CA certificate is known: the SHA-256 of its PEM."""
    return hashlib.sha256(pem).hexdigest()


def _eve_port(port: dict[str, Any]) -> PortConfig:
    proxies = [p for p in port.get("Proxies") or [] if p.get("type") == PROXY_HTTPS]
    proxy = f"{proxies[-1]['server']}:{proxies[-1]['port']}" if proxies else ""
    return PortConfig(str(port["IfName"]), bool(port.get("IsMgmt")), int(port.get("Cost", 0)),
                      EVE_DHCP.get(int(port.get("Dhcp", 0)), "none"), proxy=proxy,
                      exceptions=str(port.get("Exceptions", "")),
                      proxy_certs=tuple(fingerprint(base64.b64decode(pem, validate=True))
                                        for pem in port.get("ProxyCertPEM") or []),
                      pac=str(port.get("Pacfile") or ""), wpad=bool(port.get("NetworkProxyEnable")),
                      wpad_url=str(port.get("NetworkProxyURL") or ""))


def bypassed(host: str, exceptions: str) -> bool:
    """True if ``host`` is reached without the proxy: Go's ``NO_PROXY`` matching of a port's exceptions (``*``, the
    host itself, or a domain it is in, given as ``.example.com`` or ``example.com``)."""
    for entry in (e.strip().lower() for e in exceptions.split(",")):
        if entry == "*" or (entry and (host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")))):
            return True
    return False


def ports_in_turn(applied: tuple[Route, ...], via: str | None, max_cost: int | None = None) -> list[Route]:
    """Ports a request tries, in turn: ``via`` alone, or the applied management ports cheapest first without those
    that failed their last test (all of them if every one did); ``max_cost`` keeps only ports that cheap.

    EVE: ``pkg/pillar/types/dpc.go`` ``GetMgmtPortsSortedCostWithoutFailed``, as ``SendOnAllIntf`` uses it.
    """
    if via is not None:
        return [next((r for r in applied if r.name == via), Route(via))]
    ports = sorted((r for r in applied if max_cost is None or r.cost <= max_cost), key=lambda r: r.cost)
    return [r for r in ports if not r.failed] or ports
