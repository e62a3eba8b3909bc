"""Network instances and app interfaces as the controller writes them into a device's ``EdgeDevConfig``.

A network instance is local (NAT, with an IPv4 subnet EVE plans DHCP in) or switch (bridged to a port); an app
interface names its instance and carries firewall rules (EVE's ACEs: matches ANDed, one action; none allows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evesim.api import pb
from evesim.api.addresses import check_subnet
from evesim.controller.devconfig import ConfigError

NiKind = Literal["local", "switch"]
_TYPES: dict[NiKind, pb.config.ZNetworkInstType] = {"local": pb.config.ZnetInstLocal,
                                                     "switch": pb.config.ZnetInstSwitch}
MATCHES = ("ip", "host", "protocol", "fport", "lport")


@dataclass(frozen=True, slots=True)
class NetworkInstance:
    """A network instance: its name, kind, the port label it uses (``uplink``, a port name), its subnet if local."""

    name: str
    kind: NiKind = "local"
    port: str = "uplink"
    subnet: str = ""
    flowlog: bool = True

    def __post_init__(self) -> None:
        if not self.name or not self.port:
            raise ConfigError("a network instance needs a name and a port")
        if self.kind == "switch" and self.subnet:
            raise ConfigError(f"network instance {self.name}: a switch instance has no subnet (EVE ignores it)")
        if self.subnet:
            try:
                check_subnet(self.subnet, f"network instance {self.name}: subnet")
            except ValueError as exc:
                raise ConfigError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Rule:
    """One ACE: matches (``ip``, ``host``, ``protocol``, ``fport``, ``lport``), and drop or a port map."""

    matches: tuple[tuple[str, str], ...]
    drop: bool = False
    portmap: int = 0
    """The app's port a port map forwards ``lport`` to (0: not a port map)."""
    ace_id: int = 0


@dataclass(frozen=True, slots=True)
class Interface:
    """An app's interface on a network instance, with its rules."""

    network: str
    rules: tuple[Rule, ...] = ()


def set_network_instance(config: pb.config.EdgeDevConfig, ni: NetworkInstance, ni_uuid: str) -> None:
    """Add or replace instance ``ni`` (found by name); a local one without a subnet gets none (EVE then reports
    ``subnet unspecified``)."""
    existing = next((c for c in config.networkInstances if c.displayname == ni.name), None)
    entry = existing if existing is not None else config.networkInstances.add()
    old = entry.uuidandversion.version
    entry.Clear()
    entry.uuidandversion.uuid = ni_uuid
    entry.uuidandversion.version = str(int(old) + 1) if old.isdecimal() else "1"
    entry.displayname, entry.instType, entry.activate = ni.name, _TYPES[ni.kind], True
    entry.port.name = ni.port
    entry.disable_flowlog = not ni.flowlog
    if ni.kind == "local":
        entry.ipType = pb.config.IPV4
        entry.ip.subnet = ni.subnet


def describe(entry: pb.config.NetworkInstanceConfig) -> dict[str, object]:
    """A network instance of a config as the admin API lists it."""
    kind = next((k for k, v in _TYPES.items() if v == entry.instType), int(entry.instType))
    return {"uuid": entry.uuidandversion.uuid, "name": entry.displayname, "version": entry.uuidandversion.version,
            "kind": kind, "port": entry.port.name, "subnet": entry.ip.subnet, "flowlog": not entry.disable_flowlog}


def instance_uuid(config: pb.config.EdgeDevConfig, name: str) -> str | None:
    """The UUID of the instance called ``name``, if the config has it."""
    return next((c.uuidandversion.uuid for c in config.networkInstances if c.displayname == name), None)


def set_interfaces(config: pb.config.EdgeDevConfig, app: pb.config.AppInstanceConfig,
                   interfaces: Sequence[Interface]) -> None:
    """Give ``app`` these interfaces (``eth0``, ``eth1`` ... in order); each must name an instance of the config."""
    del app.interfaces[:]
    for index, intf in enumerate(interfaces):
        ni_uuid = instance_uuid(config, intf.network)
        if ni_uuid is None:
            known = ", ".join(c.displayname for c in config.networkInstances) or "none"
            raise ConfigError(f"no network instance {intf.network!r} (instances: {known})")
        adapter = app.interfaces.add(name=f"eth{index}", networkId=ni_uuid)
        for number, rule in enumerate(intf.rules, start=1):
            adapter.acls.append(_ace(rule, number))


def _ace(rule: Rule, number: int) -> pb.config.ACE:
    ace = pb.config.ACE(id=rule.ace_id or number)
    for kind, value in rule.matches:
        if kind not in MATCHES:
            raise ConfigError(f"rule {number}: unknown match {kind!r} (matches: {', '.join(MATCHES)})")
        ace.matches.add(type=kind, value=value)
    if rule.drop and rule.portmap:
        raise ConfigError(f"rule {number}: a rule either drops or maps a port, not both")
    if rule.drop:
        ace.actions.add(drop=True)
    elif rule.portmap:
        ace.actions.add(portmap=True, appPort=rule.portmap)
    return ace
