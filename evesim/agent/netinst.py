"""Network instances for apps and their firewall rules, as plain values with EVE's parsing, addressing and ACL rules.

EVE: ``pkg/pillar/cmd/zedagent/parseconfig.go`` (``publishNetworkInstanceConfig``, ``parseIpspec``,
``parseAppNetAdapterConfigEntry``), ``pkg/pillar/cmd/zedrouter`` (``validation.go``, ``ipam.go``,
``networkinstance.go``) and ``pkg/pillar/nireconciler/linux_acl.go``. Kept apart from zedrouter's loop so that the
rules can be tested on their own.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from evesim.api import pb

NiKind = Literal["switch", "local"]
KINDS: dict[int, NiKind] = {pb.config.ZnetInstSwitch: "switch", pb.config.ZnetInstLocal: "local"}
AceAction = Literal["allow", "drop", "portmap", "limit"]
Verdict = tuple[Literal["accept", "drop"], int]
"""What the firewall did to a flow, and the id of the rule that decided (0: EVE's implicit default drop)."""
MIN_SUBNET = 4
LARGE_SUBNET = 16
MAX_RANGE = 255
"""A DHCP range is cut to its start plus this many addresses (``parseIpspec``)."""


@dataclass(frozen=True, slots=True)
class Ace:
    """One firewall rule of an app adapter: matches ANDed, one action; ``error`` for a rule EVE skips."""

    matches: tuple[tuple[str, str], ...]
    action: AceAction = "allow"
    ace_id: int = 0
    app_port: int = 0
    error: str = ""


@dataclass(frozen=True, slots=True)
class NetInstance:
    """A network instance as zedagent publishes it: kind, port label, IPv4 plan, and its parse error."""

    uuid: str
    version: str
    name: str
    inst_type: int
    port: str
    activate: bool = True
    subnet: str = ""
    gateway: str = ""
    dhcp_start: str = ""
    dhcp_end: str = ""
    flowlog: bool = True
    error: str = ""

    @property
    def kind(self) -> NiKind | None:
        return KINDS.get(self.inst_type)


@dataclass(frozen=True, slots=True)
class Adapter:
    """An app's network adapter: the network instance it attaches to, a static MAC/IP if any, its rules."""

    name: str
    network: str
    acls: tuple[Ace, ...] = ()
    mac: str = ""
    addr: str = ""


def parse_ipspec(ip: pb.common.ipspec) -> tuple[str, str, str, str]:
    """An IPv4 subnet, gateway and DHCP range with EVE's defaults (gateway .1; a range in the upper half of a subnet
    of 16 or more addresses, else from .2; never more than 256 addresses); ValueError with EVE's message."""
    if not ip.subnet:
        raise ValueError("missing network instance subnet")
    try:
        net = ipaddress.IPv4Network(ip.subnet, strict=False)
    except ValueError as exc:
        raise ValueError(f"invalid subnet ({ip.subnet}): {exc}") from None
    count = net.num_addresses
    if count < MIN_SUBNET:
        raise ValueError(f"subnet is too small (only {count} available IP addresses, need {MIN_SUBNET})")
    gateway = _address(ip.gateway, "gateway", net) if ip.gateway else net.network_address + 1
    start_given = ip.dhcpRange.start
    start = _address(start_given, "DHCP range start", net) if start_given else None
    end = _address(ip.dhcpRange.end, "DHCP range end", net) if start_given and ip.dhcpRange.end else None
    for name, given, value in (("start", start_given, start), ("end", ip.dhcpRange.end, end)):
        if value is not None and value not in net:
            raise ValueError(f"DHCP range {name} IP ({given}) is not within the subnet ({net})")
    if start is None:
        start = net.network_address + (count // 2 if count >= LARGE_SUBNET and end is None else 2)
    if end is None:
        end = net.network_address + count - 2
    if start > end:
        raise ValueError(f"DHCP range start IP ({start}) is greater than end IP ({end})")
    start = start + 1 if start == net.network_address else start
    start = gateway + 1 if start == gateway else start
    end = end - 1 if end == net.broadcast_address else end
    if start <= gateway <= end:
        raise ValueError(f"gateway({gateway}) inside Dhcp Range")
    end = min(end, start + MAX_RANGE)
    return str(net), str(gateway), str(start), str(end)


def _address(text: str, noun: str, net: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"invalid {noun} IP ({text})") from None
    if not isinstance(address, ipaddress.IPv4Address):
        raise ValueError(f"IP version mismatch between subnet ({net}) and {noun} ({text})")
    return address


def from_config(config: pb.config.NetworkInstanceConfig) -> NetInstance | None:
    """``publishNetworkInstanceConfig``: None without a UUID; a bad IP plan is kept as the instance's error."""
    uuid = config.uuidandversion.uuid
    if not uuid:
        return None
    base = NetInstance(uuid, config.uuidandversion.version, config.displayname, int(config.instType),
                       config.port.name, config.activate, flowlog=not config.disable_flowlog)
    # EVE: a switch instance is never given an IP plan (zedagent forces its IpType to none)
    if config.instType == pb.config.ZnetInstSwitch or config.ipType == pb.config.First:
        return base
    try:
        subnet, gateway, start, end = parse_ipspec(config.ip)
    except ValueError as exc:
        return _with(base, error=f"Invalid IP configuration: {exc}")
    return _with(base, subnet=subnet, gateway=gateway, dhcp_start=start, dhcp_end=end)


def _with(ni: NetInstance, **changes: str) -> NetInstance:
    fields = {name: getattr(ni, name) for name in NetInstance.__slots__}
    fields.update(changes)
    return NetInstance(**fields)


def ace(rule: pb.config.ACE) -> Ace:
    """``parseUserACLRule``: no action allows; more than one, or a combined or incomplete one, is an error."""
    matches = tuple((m.type, m.value) for m in rule.matches)
    error = _match_error(matches)
    if len(rule.actions) > 1:
        return Ace(matches, ace_id=rule.id, error=f"ACL rule ({rule.name}) with multiple actions is not supported")
    action: AceAction = "allow"
    app_port = 0
    if rule.actions:
        act = rule.actions[0]
        if act.drop + act.portmap + act.limit > 1:
            error = error or f"ACL rule ({rule.name}) combines DROP/PORTMAP/LIMIT actions"
        action = "drop" if act.drop else "portmap" if act.portmap else "limit" if act.limit else "allow"
        app_port = act.appPort
        if act.portmap and not app_port:
            error = error or f"portmap ACL rule ({rule.name}) with zero target port"
        if act.portmap and not any(kind == "lport" for kind, _ in matches):
            error = error or f"portmap ACL rule ({rule.name}) without lport"
    return Ace(matches, action, rule.id, app_port, error)


def on_switch(rule: Ace) -> Ace:
    """A rule on a switch instance: ``host`` and ``eidset`` matches are not supported there (EVE skips the rule)."""
    kind = next((k for k, _ in rule.matches if k in ("host", "eidset")), None)
    if kind is None or rule.error:
        return rule
    return Ace(rule.matches, rule.action, rule.ace_id, rule.app_port,
               f"ACL rule with {kind} is not supported on switch network instance")


def _match_error(matches: tuple[tuple[str, str], ...]) -> str:
    kinds = {kind for kind, _ in matches}
    for kind, value in matches:
        if kind not in ("ip", "host", "protocol", "fport", "lport", "adapter", "eidset"):
            return f"ACL rule with unsupported match type: {kind}"
        if kind in ("fport", "lport") and "protocol" not in kinds:
            return f"ACL rule with {kind} {value} and no protocol match"
        if kind == "ip" and not _is_net(value):
            return f"ACL rule with invalid IP/subnet ({value})"
    return ""


def _is_net(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def verdict(acls: Iterable[Ace], remote: str, name: str, protocol: str, remote_port: int, local_port: int,
            portmaps: bool = False) -> Verdict:
    """The first rule matching a flow with the ``remote`` address (known by host ``name``) decides; none: EVE's
    default drop.

    EVE applies each rule both ways (its ``dir`` is ignored): going out the remote is the destination, coming in the
    source. Port maps take part only for a connection coming in through one (``local_port`` then being the port the
    map listens on). Rules EVE could not parse are skipped, as EVE only logs them (``getIntendedAppConnRawIptables``).
    """
    for rule in acls:
        if rule.error or (rule.action == "portmap" and not portmaps):
            continue
        if _matches(rule, remote, name, protocol, remote_port, local_port):
            return ("drop" if rule.action == "drop" else "accept"), rule.ace_id
    return "drop", 0


def _matches(rule: Ace, remote: str, name: str, protocol: str, remote_port: int, local_port: int) -> bool:
    for kind, value in rule.matches:
        if kind in ("ip", "host") and not _remote_is(remote, name, value):
            return False
        if kind == "protocol" and value not in (protocol, "all"):
            return False
        if kind == "fport" and value != str(remote_port):
            return False
        if kind == "lport" and value != str(local_port):
            return False
    return True


def _remote_is(remote: str, name: str, value: str) -> bool:
    """An ``ip`` (or numeric ``host``) match: the remote address in the subnet; a ``host`` name: the remote's name
    is it or ends with ``.``-it (EVE's dnsmasq ipset of the resolved names)."""
    if _is_net(value):
        try:
            return ipaddress.ip_address(remote) in ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
    return name == value or name.endswith("." + value)


def app_mac(app_uuid: str, ni_uuid: str, adapter_num: int, app_num: int, switch: bool) -> str:
    """``generateAppMac``: sha256 of the app and instance UUIDs, the adapter and app numbers; ``02:16:3e`` and three
    hash bytes on a switch instance, six hash bytes made unicast and locally administered on a local one."""
    digest = hashlib.sha256(_uuid_bytes(app_uuid) + _uuid_bytes(ni_uuid) +
                            bytes((adapter_num % 256, app_num % 256))).digest()
    octets = [0x02, 0x16, 0x3E, *digest[:3]] if switch else [(digest[0] & 0xFE) | 0x02, *digest[1:6]]
    return ":".join(f"{o:02x}" for o in octets)


def _uuid_bytes(text: str) -> bytes:
    try:
        return bytes.fromhex(text.replace("-", ""))[:16].ljust(16, b"\0")
    except ValueError:
        return bytes(16)


def overlap(a: str, b: str) -> bool:
    """Two subnets overlap when either holds the other's network address (switch instances have none)."""
    if not a or not b:
        return False
    na, nb = ipaddress.ip_network(a), ipaddress.ip_network(b)
    return na.network_address in nb or nb.network_address in na


def address(ni: NetInstance, number: int) -> str | None:
    """The address of app interface ``number`` on a local instance: the DHCP range's start plus it, None past its
    end (``lookupOrAllocateIPv4ForVIF``)."""
    start, end = ipaddress.IPv4Address(ni.dhcp_start), ipaddress.IPv4Address(ni.dhcp_end)
    candidate = start + number
    return str(candidate) if candidate <= end else None


def ports_for(label: str, ports: Iterable[tuple[str, bool, int]]) -> tuple[str, ...]:
    """Ports a label names (``LookupPortsByLabel``): EVE's own shared labels ``all``, ``uplink`` (management),
    ``freeuplink`` (management, cost 0) (``UpdateEveDefinedSharedLabels``), or the port of that name; from (name,
    management, cost)."""
    known = list(ports)
    if label == "all":
        return tuple(name for name, _, _ in known)
    if label == "uplink":
        return tuple(name for name, mgmt, _ in known if mgmt)
    if label == "freeuplink":
        return tuple(name for name, mgmt, cost in known if mgmt and cost == 0)
    return tuple(name for name, _, _ in known if name == label)
