"""Turning an ``EdgeDevConfig`` into what the other agents subscribe to."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from evesim.agent import netinst
from evesim.agent.dpc import Dhcp, PortConfig, fingerprint
from evesim.agent.netinst import Adapter, NetInstance
from evesim.agent.topics import App, BaseOs
from evesim.api import pb
from evesim.api.uuids import go_uuid


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    """The parts of a device config evesim's agents act on."""

    items: tuple[tuple[str, str], ...]
    reboot: int
    shutdown: int
    baseos: BaseOs | None
    apps: tuple[App, ...]
    network_instances: tuple[NetInstance, ...]
    controllercert_confighash: str
    controller_epoch: int
    timestamp: float
    maintenance_mode: bool
    ports: tuple[PortConfig, ...] = ()
    """The controller's management and app ports (``systemAdapterList``), as nim gets them."""
    port_errors: tuple[str, ...] = ()
    """Adapters that could not become a port."""


NIL_UUID = "00000000-0000-0000-0000-000000000000"


def eve_uuid(text: str) -> str:
    """An app UUID from config as EVE reads it: the forms Go's ``uuid.FromString`` accepts (plain, with or without
    hyphens, in braces, after ``urn:uuid:``), in lowercase; anything else is the nil UUID.

    EVE drops the parse error (lf-edge/eve pkg/pillar/cmd/zedagent/parseconfig.go ``parseAppInstanceConfig``:
    ``appInstance.UUIDandVersion.UUID, _ = uuid.FromString(...)``), so a malformed UUID, such as one crafted to
    climb out of the volumes directory, names the nil UUID and never becomes a path.
    """
    return go_uuid(text) or NIL_UUID


def _url(tree: pb.config.ContentTree, cfg: pb.config.EdgeDevConfig) -> str:
    """A content tree's full URL: its datastore's fqdn and path, then the tree's relative URL."""
    ds_id = tree.ds_ids_list[0] if tree.ds_ids_list else tree.dsId
    store = next((d for d in cfg.datastores if d.id == ds_id), None)
    if store is None:
        return tree.URL
    base = store.fqdn.rstrip("/")
    if store.dpath:
        base += "/" + store.dpath.strip("/")
    return f"{base}/{tree.URL.lstrip('/')}"


def _baseos(cfg: pb.config.EdgeDevConfig) -> BaseOs | None:
    if not cfg.HasField("baseos") or not cfg.baseos.content_tree_uuid:
        return None
    tree = next((t for t in cfg.contentInfo if t.uuid == cfg.baseos.content_tree_uuid), None)
    return BaseOs(
        content_tree_uuid=cfg.baseos.content_tree_uuid,
        version=cfg.baseos.base_os_version,
        activate=cfg.baseos.activate,
        retry_counter=cfg.baseos.retry_update.counter,
        url=_url(tree, cfg) if tree else "",
        sha256=tree.sha256.lower() if tree else "",
        size_bytes=tree.maxSizeBytes if tree else 0,
    )


def _app(app: pb.config.AppInstanceConfig, cfg: pb.config.EdgeDevConfig) -> App:
    tree = _app_tree(app, cfg)
    adapters, error = _adapters(app, cfg)
    return App(
        uuid=eve_uuid(app.uuidandversion.uuid),
        name=app.displayname,
        version=app.uuidandversion.version,
        activate=app.activate,
        memory_kb=app.fixedresources.memory,
        vcpus=app.fixedresources.vcpus,
        image_url=_url(tree, cfg) if tree else "",
        image_sha256=tree.sha256.lower() if tree else "",
        image_size=tree.maxSizeBytes if tree else 0,
        restart_counter=app.restart.counter,
        purge_counter=app.purge.counter,
        adapters=adapters,
        net_error=error,
    )


def _adapters(app: pb.config.AppInstanceConfig, cfg: pb.config.EdgeDevConfig) -> tuple[tuple[Adapter, ...], str]:
    """``parseAppNetAdapterConfigEntry``: adapters on the config's network instances (those on a mesh instance are
    dropped), with their rules; an adapter on an instance the config lacks is an error of the app."""
    kinds = {ni.uuidandversion.uuid: ni.instType for ni in cfg.networkInstances}
    adapters, errors = [], []
    for intf in app.interfaces:
        if intf.networkId not in kinds:
            errors.append(f"App {app.uuidandversion.uuid}-{app.displayname}: Can't find {intf.networkId} in network "
                          "instances.\n")
        elif kinds[intf.networkId] != pb.config.ZnetInstMesh:
            adapters.append(Adapter(intf.name, intf.networkId, tuple(netinst.ace(rule) for rule in intf.acls),
                                    intf.macAddress, intf.addr))
    return tuple(adapters), "".join(errors)


def network_instances(cfg: pb.config.EdgeDevConfig) -> tuple[NetInstance, ...]:
    """``publishNetworkInstanceConfig``: every instance with a UUID, a bad IP plan kept as its error."""
    return tuple(ni for ni in (netinst.from_config(c) for c in cfg.networkInstances) if ni is not None)


def _app_tree(app: pb.config.AppInstanceConfig, cfg: pb.config.EdgeDevConfig) -> pb.config.ContentTree | None:
    volumes = {v.uuid: v for v in cfg.volumes}
    trees = {t.uuid: t for t in cfg.contentInfo}
    for ref in app.volumeRefList:
        volume = volumes.get(ref.uuid)
        if volume is not None and volume.origin.downloadContentTreeID in trees:
            return trees[volume.origin.downloadContentTreeID]
    return None


def parse(cfg: pb.config.EdgeDevConfig) -> Parsed:
    """Extract items, commands, base OS and apps from a device config."""
    stamp = cfg.config_timestamp
    ports, errors = _ports(cfg)
    return Parsed(
        items=tuple((item.key, item.value) for item in cfg.configItems),
        reboot=cfg.reboot.counter,
        shutdown=cfg.shutdown.counter,
        baseos=_baseos(cfg),
        apps=tuple(_app(app, cfg) for app in cfg.apps),
        network_instances=network_instances(cfg),
        controllercert_confighash=cfg.controllercert_confighash,
        controller_epoch=cfg.controller_epoch,
        timestamp=stamp.seconds + stamp.nanos / 1e9,
        maintenance_mode=cfg.maintenance_mode,
        ports=ports,
        port_errors=errors,
    )


DHCP: dict[int, Dhcp] = {pb.common.Client: "client", pb.common.Static: "static", pb.common.DHCPNone: "none"}


def _ports(cfg: pb.config.EdgeDevConfig) -> tuple[tuple[PortConfig, ...], tuple[str, ...]]:
    """The ``systemAdapterList`` as DPC ports, and the adapters that could not become one (EVE's
    ``parseSystemAdapterConfig``: an adapter whose lower layer is not in ``deviceIoList`` is left out with an error
    on the whole DPC; one whose network is unknown is kept, invalid; costs are capped at 255)."""
    ios = {io.logicallabel: io for io in cfg.deviceIoList}
    networks = {n.id: n for n in cfg.networks}
    ports: list[PortConfig] = []
    errors: list[str] = []
    for adapter in cfg.systemAdapterList:
        io = ios.get(adapter.lowerLayerName or adapter.name)
        if io is None:
            errors.append(f"missing lower-layer adapter {adapter.lowerLayerName or adapter.name}")
            continue
        name = io.phyaddrs.get("ifname") or io.logicallabel
        cost = min(adapter.cost, 255)
        network = networks.get(adapter.networkUUID)
        if network is None:
            invalid = f"Port {adapter.name} configured with unknown Network UUID ({adapter.networkUUID[:36]})"
            ports.append(PortConfig(name, adapter.uplink, cost, "none", invalid if adapter.networkUUID else ""))
            continue
        proxy = network.entProxy
        dhcp = DHCP.get(network.ip.dhcp, "none")
        address, invalid = _static_address(adapter, network.ip) if dhcp == "static" else ("", "")
        ports.append(PortConfig(name, adapter.uplink, cost, dhcp, invalid, proxy=_https_proxy(proxy),
                                exceptions=proxy.exceptions, address=address, gateway=network.ip.gateway,
                                dns=tuple(network.ip.dns),
                                proxy_certs=tuple(fingerprint(pem) for pem in proxy.proxyCertPEM), pac=proxy.pacfile,
                                wpad=proxy.networkProxyEnable, wpad_url=proxy.networkProxyURL))
    return tuple(ports), tuple(errors)


def _static_address(adapter: pb.config.SystemAdapter, ip: pb.common.ipspec) -> tuple[str, str]:
    """``parseOneSystemAdapterConfig``: a static port's address with the network's prefix (none without a subnet,
    which EVE does not check here), or why it cannot be used."""
    if not adapter.addr:
        return "", f"Port {adapter.name} configured with static IP config but IP address is not defined"
    try:
        address = ipaddress.IPv4Address(adapter.addr)
    except ValueError:
        return "", f"Port {adapter.name} configured with invalid IP address ({adapter.addr})"
    try:
        prefix = ipaddress.IPv4Network(ip.subnet, strict=False).prefixlen if ip.subnet else None
    except ValueError:
        return "", f"Port {adapter.name} configured with invalid IP address ({adapter.addr})"
    return (f"{address}/{prefix}" if prefix is not None else ""), ""


def _https_proxy(config: pb.common.ProxyConfig) -> str:
    """The HTTPS proxy of a port, ``server:port`` (EVE's ``LookupProxy`` for an https URL: the PROXY_HTTPS entry;
    the last one if there are several)."""
    found = ""
    for server in config.proxies:
        if server.proto == pb.common.PROXY_HTTPS:
            found = f"{server.server}:{server.port}" if server.port else server.server
    return found
