"""A device's network ports in its config: one ``deviceIoList`` entry, one network and one ``systemAdapterList`` entry
per port, which EVE's zedagent turns into the controller's DPC (``parseSystemAdapterConfig``)."""

from __future__ import annotations

import base64
import binascii
import re
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evesim.api import pb
from evesim.api.addresses import check_address, check_subnet

Addressing = Literal["dhcp", "static", "none"]
_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,14}")
_PROXY = re.compile(r"[A-Za-z0-9.-]{1,253}:[0-9]{1,5}")
_DHCP: dict[Addressing, pb.common.DHCPType] = {
    "dhcp": pb.common.Client, "static": pb.common.Static, "none": pb.common.DHCPNone}
_TYPES = (("wwan", pb.common.PhyIoNetWWAN), ("wlan", pb.common.PhyIoNetWLAN))


@dataclass(frozen=True, slots=True)
class NetPort:
    """One port as the controller configures it: its interface name, management use, cost and addressing;
    ``adapter`` false leaves its ``deviceIoList`` entry out (a config EVE cannot use for that port)."""

    name: str
    mgmt: bool = True
    cost: int = 0
    addressing: Addressing = "dhcp"
    adapter: bool = True
    proxy: str = ""
    """An HTTPS proxy, ``host:port``, for the port's traffic to the controller and datastores."""
    exceptions: str = ""
    """Hosts reached without the proxy, comma-separated."""
    address: str = ""
    """A static port's address (a bare IP, EVE's ``SystemAdapter.addr``), in ``subnet``."""
    subnet: str = ""
    gateway: str = ""
    dns: tuple[str, ...] = ()
    """A static port's DNS servers."""
    proxy_cert: str = ""
    """The CA certificate (PEM) a proxy that inspects TLS re-signs with, for the device to trust
    (``proxyCertPEM``)."""
    pac: str = ""
    """A proxy auto-configuration file (its JavaScript; the config carries it base64, as EVE's ``pacfile``)."""
    wpad: bool = False
    """Find the PAC file by WPAD (``networkProxyEnable``)."""
    wpad_url: str = ""
    """Fetch it from this URL instead of ``http://wpad.<domain>/wpad.dat`` (``networkProxyURL``)."""

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"{self.name!r} is not an interface name (lowercase, at most 15 characters)")
        if not 0 <= self.cost <= 255:
            raise ValueError(f"port {self.name}: cost {self.cost} is not within 0..255")
        if self.proxy and not _PROXY.fullmatch(self.proxy):
            raise ValueError(f"port {self.name}: proxy {self.proxy!r} is not host:port")
        for what, value in (("address", self.address), ("gateway", self.gateway), *(("dns", d) for d in self.dns)):
            if value:
                check_address(value, f"port {self.name}: {what}")
        if self.proxy_cert and "-----BEGIN CERTIFICATE-----" not in self.proxy_cert:
            raise ValueError(f"port {self.name}: proxy_cert is not a PEM certificate")
        if self.subnet:
            check_subnet(self.subnet, f"port {self.name}: subnet")


def set_ports(config: pb.config.EdgeDevConfig, device_uuid: str, ports: Sequence[NetPort]) -> None:
    """Replace the config's ports with ``ports`` (at least one, names unique)."""
    names = [p.name for p in ports]
    if not ports:
        raise ValueError("give at least one port")
    if len(set(names)) != len(names):
        raise ValueError(f"a port is named twice: {', '.join(names)}")
    for field in ("deviceIoList", "networks", "systemAdapterList"):
        config.ClearField(field)
    for port in ports:
        network_id = str(uuidlib.uuid5(uuidlib.UUID(device_uuid), f"network/{port.name}"))
        if port.adapter:
            kind = next((t for prefix, t in _TYPES if port.name.startswith(prefix)), pb.common.PhyIoNetEth)
            config.deviceIoList.add(ptype=kind, phylabel=port.name, logicallabel=port.name,
                                    phyaddrs={"ifname": port.name}, usage=pb.common.PhyIoUsageMgmtAndApps)
        network = config.networks.add(id=network_id, type=pb.common.V4, ip=pb.common.ipspec(
            dhcp=_DHCP[port.addressing], subnet=port.subnet, gateway=port.gateway, dns=list(port.dns)))
        if port.proxy:
            host, _, number = port.proxy.rpartition(":")
            network.entProxy.proxies.add(proto=pb.common.PROXY_HTTPS, server=host, port=int(number))
            network.entProxy.exceptions = port.exceptions
        if port.proxy_cert:
            network.entProxy.proxyCertPEM.append(port.proxy_cert.encode())
        if port.pac:
            network.entProxy.pacfile = base64.b64encode(port.pac.encode()).decode()
        if port.wpad or port.wpad_url:
            network.entProxy.networkProxyEnable, network.entProxy.networkProxyURL = port.wpad, port.wpad_url
        config.systemAdapterList.add(name=port.name, uplink=port.mgmt, networkUUID=network_id, cost=port.cost,
                                     addr=port.address)


def ports_of(config: pb.config.EdgeDevConfig) -> list[NetPort]:
    """The ports a config names, as ``set_ports`` would have made them."""
    ios = {io.logicallabel for io in config.deviceIoList}
    networks = {n.id: n for n in config.networks}
    addressing: dict[pb.common.DHCPType, Addressing] = {v: k for k, v in _DHCP.items()}
    found = []
    for adapter in config.systemAdapterList:
        network = networks.get(adapter.networkUUID)
        dhcp: Addressing = addressing.get(network.ip.dhcp, "none") if network is not None else "none"
        proxies = [f"{p.server}:{p.port}" for p in network.entProxy.proxies
                   if p.proto == pb.common.PROXY_HTTPS] if network is not None else []
        exceptions = network.entProxy.exceptions if network is not None else ""
        ip = network.ip if network is not None else pb.common.ipspec()
        found.append(NetPort(adapter.name, adapter.uplink, adapter.cost, dhcp, adapter.name in ios,
                             proxies[0] if proxies else "", exceptions, adapter.addr, ip.subnet, ip.gateway,
                             tuple(ip.dns), b"".join(network.entProxy.proxyCertPEM).decode(errors="replace")
                             if network is not None else "", *_pac(network)))
    return found


def _pac(network: pb.config.NetworkConfig | None) -> tuple[str, bool, str]:
    """A network's PAC file (its JavaScript; "" if none or not base64), WPAD flag and WPAD URL."""
    if network is None:
        return "", False, ""
    proxy = network.entProxy
    try:
        pac = base64.b64decode(proxy.pacfile, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        pac = ""
    return pac, proxy.networkProxyEnable, proxy.networkProxyURL

