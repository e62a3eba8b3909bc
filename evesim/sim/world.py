"""The world: one SimPy environment with a network, a controller and a fleet of devices."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
import simpy

from evesim.agent import paths
from evesim.agent.device_steps import Settings
from evesim.agent.dpc import PROXY_HTTPS, fingerprint
from evesim.agent.fixes import Fix
from evesim.api import certs, defaults
from evesim.api.envelope import CryptoMode
from evesim.controller import Controller, ControllerIdentity
from evesim.controller.appnet import Interface, NetworkInstance, instance_uuid
from evesim.controller.devconfig import find_app
from evesim.controller.netconfig import NetPort
from evesim.controller.policy import profile
from evesim.controller.stores import Limits, MemoryStore
from evesim.hw import board as boards
from evesim.hw.image import AppImage, EveImage
from evesim.net import topology
from evesim.net.link import LinkParams
from evesim.net.network import Draw, Network, PathStats, transfer
from evesim.sim import rng
from evesim.sim.appnet import Mesh, Traffic
from evesim.sim.campaigns import TICK_S, Campaigns, Report
from evesim.sim.device import SimDevice
from evesim.sim.events import EventLog
from evesim.sim.nics import LEASE_S
from evesim.sim.service import SimController
from evesim.sim.sharding import Shard
from evesim.sim.transport import DATASTORE_HOST, SERVER_HOST

EPOCH = 1_780_272_000.0
"""Unix time of simulated t=0 (2026-06-01T00:00:00Z)."""
SERVER = f"{SERVER_HOST}:443"
IMAGE_URL = f"https://{DATASTORE_HOST}/eve/{{version}}/rootfs.img"
APP_URL = f"https://{DATASTORE_HOST}/apps/{{name}}/disk.qcow2"


@dataclass(frozen=True)
class Group:
    """A set of identical devices."""

    name: str
    count: int
    board: str = "generic-x86"
    version: str = "14.5.1"
    config_items: dict[str, str] = field(default_factory=dict)
    attach: str | None = None
    """The router every device of the group connects to (default: spread by the topology)."""
    apps: tuple[str, ...] = ()
    """Apps (by name, from ``WorldSpec.apps``) the controller deploys to each device once it onboards."""
    ports: tuple[PortSpec, ...] = ()
    """Network ports besides ``eth0``; with any, the controller configures every port of the group's devices."""
    proxy: str = ""
    """An HTTPS proxy (``name:port`` of a ``ProxySpec``) every port of the group's devices goes through: the devices
    ship with it in ``/config/DevicePortConfig/override.json`` and the controller configures it."""
    proxy_ca: bool = False
    """The devices are given the proxy's inspection CA (``proxyCertPEM``) with it."""
    pac: str = ""
    """A PAC file (JavaScript) every port follows, shipped and configured as ``proxy`` is."""
    wpad: bool = False
    """Every port finds its PAC file by WPAD (``networkProxyEnable``), shipped and configured as ``proxy`` is."""


@dataclass(frozen=True)
class ProxySpec:
    """An HTTP proxy on the network: a node named ``name`` linked to each router of ``attach``. Devices reach the
    controller through it only if their port configuration says so; no other traffic crosses it."""

    name: str
    attach: tuple[str, ...]
    access: LinkParams | None = None
    intercepts: bool = False
    """It inspects TLS: it re-signs the controller's and datastore's certificates with a CA of its own."""
    pac: str = ""
    """A PAC file (JavaScript) it serves by WPAD to the networks of its routers (``wpad.<router>.lan``)."""


@dataclass(frozen=True)
class PortSpec:
    """A network port besides ``eth0``: its name, how the controller configures it (management use, cost), and
    where it connects (a router, default the one ``eth0`` connects to) over what kind of link (default: the access
    link)."""

    name: str
    cost: int = 0
    mgmt: bool = True
    attach: str | None = None
    access: LinkParams | None = None


@dataclass(frozen=True)
class ImageSpec:
    """An EVE image the datastore serves."""

    version: str
    size_bytes: int = 300_000_000
    defects: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AppSpec:
    """An app the datastore serves and the controller can deploy: its image and its resources."""

    name: str
    size_bytes: int = defaults.APP_IMAGE_BYTES
    memory_kb: int = defaults.APP_MEMORY_KB
    vcpus: int = defaults.APP_VCPUS
    defects: frozenset[str] = frozenset()
    interfaces: tuple[Interface, ...] = ()
    """Its interfaces on the world's network instances, with their firewall rules."""
    traffic: tuple[Traffic, ...] = ()
    """Connections it opens to other apps."""


@dataclass(frozen=True)
class WorldSpec:
    """Everything a world is built from (the scenario layer fills it)."""

    seed: int = 1
    groups: tuple[Group, ...] = (Group("fleet", 10),)
    images: tuple[ImageSpec, ...] = ()
    apps: tuple[AppSpec, ...] = ()
    crypto: CryptoMode = CryptoMode.TRUSTED
    fixes: frozenset[Fix] = frozenset()
    config_items: dict[str, str] = field(default_factory=dict)
    workers: int = 16
    service_time_s: float = 0.002
    datastore_bps: float = 10e9
    cells: int = 8
    """The controller's cells: device ``i`` is served by cell ``i % cells``, which has its share of the workers and
    of the datastore's bandwidth (at most one cell per worker)."""
    dhcp_lease_s: float = LEASE_S
    """How long the sites' DHCP servers lease an address."""
    power_on_spread_s: float = 60.0
    access: LinkParams = LinkParams(latency_s=0.010, jitter_s=0.005, bandwidth_bps=50e6)
    wan: LinkParams = LinkParams(latency_s=0.020, jitter_s=0.002, bandwidth_bps=10e9)
    proxies: tuple[ProxySpec, ...] = ()
    network_instances: tuple[NetworkInstance, ...] = ()
    """Network instances the controller configures on a device with an app that has an interface on one."""
    topology: Callable[[list[str], dict[str, str]], nx.Graph] | None = None
    """Builds the graph from the device names and where groups attach; default: a star behind a ``wan``."""
    require_integrity_token: bool = True
    controller_policy: str = "evesim"
    """The controller's ``Policy`` profile (evesim.controller.policy.PROFILES)."""
    store_limits: Limits = Limits(configs=4, info=4, metrics=4, logs=16, applogs=16, flowlog=2,
                                  hardwarehealth=1, requests=8)
    """How much history the simulated controller keeps per device (latest info is always kept)."""


@dataclass(frozen=True)
class Bootstrap:
    """What every device's CONFIG partition holds (shared bytes)."""

    server: bytes
    root_pem: bytes
    onboard_cert_pem: bytes
    onboard_key_pem: bytes
    onboard_key: Any


class World:
    """A runnable simulation."""

    def __init__(self, spec: WorldSpec, shard: Shard = Shard()) -> None:
        self.spec = spec
        self.shard = shard
        self.seed = spec.seed
        self.epoch = EPOCH
        self.env = simpy.Environment()
        self.log = EventLog(world_events=shard.primary)
        self.settings = Settings(crypto=spec.crypto, fixes=spec.fixes)
        if spec.fixes:
            self.log.append(0.0, "world", "evesim", "fixes", {"on": sorted(spec.fixes)})
        identity = ControllerIdentity.generate(seed=rng.seed_bytes(spec.seed, "controller"))
        onboard = certs.issue("evesim test fleet", certs.Usage.ONBOARDING, seed=rng.seed_bytes(spec.seed, "onboard"))
        self.bootstrap = Bootstrap(SERVER.encode(), identity.root_pem, onboard.cert_pem, onboard.key_pem, onboard.key)
        core = Controller(
            store=MemoryStore(spec.store_limits), identity=identity, crypto=spec.crypto, clock=self.wall_clock,
            rng=rng.stream(spec.seed, "controller"), keyed=lambda key: rng.seed_bytes(spec.seed, "controller", key),
            policy=profile(spec.controller_policy, require_integrity_token=spec.require_integrity_token,
                           default_config_items=dict(spec.config_items)),
        )
        core.onboard_add(onboard.cert_pem, ["*"])
        self.controller = SimController(core, spec.workers, spec.service_time_s, spec.cells)
        self.images: dict[str, EveImage | AppImage] = {}
        self.apps: dict[str, tuple[AppSpec, AppImage]] = {}
        self.roster = [(f"{g.name}-{i:05d}", g.name) for g in spec.groups for i in range(g.count)]
        """Every device of the fleet (name, group), in fleet order, also those another shard runs."""
        names = [name for name, _ in self.roster]
        where = {f"{g.name}-{i:05d}": g.attach for g in spec.groups if g.attach for i in range(g.count)}
        build = spec.topology or (lambda devs, at: topology.star(devs, spec.access, spec.wan, at))
        graph = build(names, where)
        self.wpad: dict[str, tuple[str, str]] = {}
        """WPAD host name → the proxy serving it and its PAC file."""
        self.proxy_cas: dict[str, bytes] = {}
        """The CA certificate (PEM) each TLS-inspecting proxy re-signs with."""
        for proxy in spec.proxies:
            _attach_proxy(graph, proxy, spec.access)
            if proxy.pac:
                self.wpad.update({host: (proxy.name, proxy.pac)
                                  for host in (proxy.name, *(f"wpad.{router}.lan" for router in proxy.attach))})
            if proxy.intercepts:
                ca = certs.issue(f"{proxy.name} TLS inspection", certs.Usage.CA,
                                 seed=rng.seed_bytes(spec.seed, proxy.name, "ca")).cert_pem
                self.proxy_cas[proxy.name] = ca
                graph.nodes[proxy.name]["ca"] = fingerprint(ca)
        for group in spec.groups:
            for i in range(group.count):
                _attach_ports(graph, f"{group.name}-{i:05d}", group.ports, spec.access)
        self.net = Network(graph)
        self.mesh = Mesh(self.net, {app.name: app.traffic for app in spec.apps if app.traffic})
        self._link_events: dict[str, simpy.Event] = {}
        self.downloads = [0] * self.controller.cells
        """Downloads in progress per cell (they share the cell's part of the datastore's capacity)."""
        self.effects = 0
        """Effects agents have yielded so far (the 'agent events' of the benchmarks)."""
        self.devices: list[SimDevice] = []
        """The devices this world runs (all of the fleet unless it is one shard of it)."""
        self.by_name: dict[str, SimDevice] = {}
        self._pending: dict[str, list[Callable[[str], Any]]] = {}
        self._build_devices()
        self.campaigns = Campaigns(self, self.devices)

    # -------------------------------------------------------------- construction

    def _build_devices(self) -> None:
        for spec in self.spec.images:
            self.publish_image(spec.version, spec.size_bytes, spec.defects)
        for app in self.spec.apps:
            self.publish_app(app)
        first = 0
        for group in self.spec.groups:
            profile = boards.get(group.board)
            found = self.images.get(self.image_url(group.version))
            image = found if isinstance(found, EveImage) else self.publish_image(group.version, 300_000_000)
            for i in range(group.count):
                index, cell = first + i, (first + i) % self.controller.cells
                if not self.shard.owns(cell):
                    continue
                name = f"{group.name}-{i:05d}"
                serial = f"SN{self.seed:04d}{index:06d}"
                nics = ("eth0", *(p.name for p in group.ports))
                device = SimDevice(self, index, name, name, profile, image, serial, f"soft-{index:06d}", nics, cell)
                device.group = group.name
                device.nics.lease_s = self.spec.dhcp_lease_s
                self.devices.append(device)
                self.by_name[name] = device
                self._configure_ports(device, group)
                if group.config_items:
                    self._set_config_items(device, dict(group.config_items))
                for app_name in group.apps:
                    self.deploy_app(device, app_name)
            first += group.count

    def _configure_ports(self, device: SimDevice, group: Group) -> None:
        """A group with extra ports or a proxy: the controller configures them, and a proxy ships in ``/config``."""
        shipped = bool(group.proxy or group.pac or group.wpad)
        if not (group.ports or shipped):
            return
        ca = self.proxy_cas.get(group.proxy.rpartition(":")[0], b"").decode() if group.proxy_ca else ""
        eth0 = NetPort("eth0", proxy=group.proxy, proxy_cert=ca, pac=group.pac, wpad=group.wpad)
        ports = [eth0, *(replace(eth0, name=p.name, mgmt=p.mgmt, cost=p.cost) for p in group.ports)]
        self.for_device(device, lambda uuid: self.core.set_ports(uuid, ports))
        if shipped:
            device.write_durable(paths.OVERRIDE_DPC, override_json(ports))

    def _set_config_items(self, device: SimDevice, items: dict[str, str]) -> None:
        self.for_device(device, lambda uuid: self.core.set_config_items(uuid, items))

    def publish_image(self, version: str, size_bytes: int, defects: frozenset[str] = frozenset()) -> EveImage:
        """Put an EVE image on the datastore; returns it (its URL is ``image_url(version)``)."""
        image = EveImage.make(version, size_bytes, defects)
        self.images[self.image_url(version)] = image
        return image

    def publish_app(self, spec: AppSpec) -> AppImage:
        """Put an app's image on the datastore (at ``APP_URL``) and make the app deployable by name."""
        if spec.name in self.apps:
            raise ValueError(f"app {spec.name!r} is defined twice")
        image = AppImage.make(spec.name, spec.size_bytes, spec.defects)
        self.images[APP_URL.format(name=spec.name)] = image
        self.apps[spec.name] = (spec, image)
        return image

    def deploy_app(self, device: SimDevice, name: str, activate: bool = True) -> None:
        """Have the controller add app ``name`` to a device's config (or set its ``activate``), after the network
        instances its interfaces use."""
        spec, image = self._app(name)
        instances = {ni.name: ni for ni in self.spec.network_instances}

        def deploy(uuid: str) -> None:
            config = self.core.config(uuid)
            for intf in spec.interfaces:
                if instance_uuid(config, intf.network) is None and intf.network in instances:
                    self.core.set_network_instance(uuid, instances[intf.network])
                    config = self.core.config(uuid)
            self.core.set_app(uuid, name, image_url=APP_URL.format(name=name), sha256=image.sha256,
                              activate=activate, memory_kb=spec.memory_kb, vcpus=spec.vcpus,
                              size_bytes=spec.size_bytes, interfaces=spec.interfaces)

        self.for_device(device, deploy)

    def app_command(self, device: SimDevice, name: str, command: str) -> None:
        """Have the controller ``remove``, ``restart`` or ``purge`` app ``name`` on a device (if it has it)."""
        self._app(name)

        def act(uuid: str) -> None:
            app = find_app(self.core.config(uuid), name)
            if app is None:
                self.log.append(self.env.now, device.name, "controller", "app_not_deployed", {"app": name}, "warning")
            elif command == "remove":
                self.core.remove_app(uuid, app.uuidandversion.uuid)
            else:
                self.core.app_command(uuid, app.uuidandversion.uuid, command)

        self.for_device(device, act)

    def _app(self, name: str) -> tuple[AppSpec, AppImage]:
        found = self.apps.get(name)
        if found is None:
            raise KeyError(f"no app {name!r} (apps: {', '.join(sorted(self.apps)) or 'none'})")
        return found

    @staticmethod
    def image_url(version: str) -> str:
        """Where the datastore serves an EVE version."""
        return IMAGE_URL.format(version=version)

    def wall_clock(self) -> float:
        """Unix time of the world (the controller's clock)."""
        return self.epoch + self.env.now

    @property
    def core(self) -> Controller:
        """The controller's service core."""
        return self.controller.core

    # -------------------------------------------------------------- running

    def start(self) -> None:
        """Power every device on, spread over ``power_on_spread_s``."""
        spread = self.spec.power_on_spread_s
        for device in self.devices:
            delay = rng.stream(self.seed, device.name, "power-on").random() * spread
            self.at(delay, device.power_on)

    def set_controller_up(self, up: bool) -> None:
        """Start or stop the controller service."""
        if self.controller.up != up:
            self.controller.up = up
            self.log.append(self.env.now, "world", "controller", "controller_up" if up else "controller_down")

    def for_device(self, device: SimDevice, action: Callable[[str], Any]) -> None:
        """Do a controller-side ``action(uuid)`` for a device now, or once it has onboarded."""
        if device.uuid:
            action(device.uuid)
        else:
            self._pending.setdefault(device.name, []).append(action)

    def device_onboarded(self, name: str, uuid: str) -> None:
        """Called when device ``name`` learns its UUID: apply what was waiting for it."""
        for action in self._pending.pop(name, []):
            action(uuid)

    def at(self, delay: float, action: Callable[[], Any]) -> None:
        """Call ``action`` after ``delay`` simulated seconds."""
        self.env.timeout(max(delay, 0.0)).callbacks.append(lambda _: action())

    def run(self, until: float) -> None:
        """Advance simulated time to ``until`` seconds (nothing happens if that is not in the future), settling the
        campaigns at each boundary on the way."""
        for stop in windows(self.env.now, until):
            if self.advance(stop):
                self.settle(self.campaigns.report())

    def advance(self, stop: float) -> bool:
        """Run up to ``stop`` (at most the next boundary; at a boundary, through everything at that instant); True
        if the campaigns have to be settled there."""
        env = self.env
        if stop > env.now:
            env.run(until=stop)
        if not (stop / TICK_S).is_integer():
            return False
        while env.peek() == stop:
            env.step()
        return self.campaigns.busy

    def settle(self, report: Report) -> None:
        """Settle the campaigns at a boundary with the fleet's report (this world's own, unless it is a shard)."""
        self.campaigns.settle(report)

    # -------------------------------------------------------------- network services for devices

    def link_changed(self, node: str) -> simpy.Event:
        """An event that fires the next time a link of ``node`` goes up or down."""
        event = self._link_events.get(node)
        if event is None or event.triggered:
            event = self._link_events[node] = self.env.event()
        return event

    def set_link(self, a: str, b: str, up: bool, owner: str = "") -> None:
        """Bring the link between two nodes up or down (a fault or its repair; ``owner``: the device it is done to)."""
        if self.net.set_up(a, b, up):
            self.log.append(self.env.now, "world", "net", "link", {"a": a, "b": b, "up": up}, owner=owner)
            for node in (a, b):
                self.wake(node)

    def wake(self, node: str) -> None:
        """Fire ``link_changed(node)``: whatever waits on the node's link looks again."""
        event = self._link_events.pop(node, None)
        if event is not None and not event.triggered:
            event.succeed()

    def datastore_chunk_delay(self, stats: PathStats, draw: Draw, nbytes: int, cell: int) -> float:
        """Seconds to fetch ``nbytes`` from the datastore over a path with ``stats``, sharing the capacity of the
        device's cell."""
        capacity = self.spec.datastore_bps / self.controller.cells
        share = min(stats.bandwidth_bps, capacity / max(self.downloads[cell], 1))
        result = transfer(stats, 0, draw, 3600.0, back=True)
        return result.delay_s + nbytes * 8.0 / share


def windows(now: float, until: float) -> list[float]:
    """Where a run from ``now`` to ``until`` stops: each boundary (multiple of ``TICK_S``) after ``now`` and before
    ``until``, then ``until`` (none if it is not in the future)."""
    if until <= now:
        return []
    first = int(now // TICK_S) + 1
    return [k * TICK_S for k in range(first, int(-(-until // TICK_S)))] + [until]


def _attach_ports(graph: nx.Graph, device: str, ports: tuple[PortSpec, ...], access: LinkParams) -> None:
    """Give ``device`` its extra ports: each a node ``DEVICE/NAME`` linked to its router."""
    if not ports:
        return
    home = next(iter(graph.neighbors(device)))
    for port in ports:
        router = port.attach or home
        topology.require_router(graph, router, f"port {port.name} of {device}")
        node = f"{device}/{port.name}"
        graph.add_node(node, kind="device")
        topology.add_link(graph, node, router, port.access or access)


def _attach_proxy(graph: nx.Graph, proxy: ProxySpec, access: LinkParams) -> None:
    """Put ``proxy`` on the network, linked to each of its routers."""
    for router in proxy.attach:
        topology.require_router(graph, router, f"proxy {proxy.name}")
        graph.add_node(proxy.name, kind="proxy")
        topology.add_link(graph, proxy.name, router, proxy.access or access)


def override_json(ports: list[NetPort]) -> bytes:
    """EVE's JSON form of a DevicePortConfig for ``/config/DevicePortConfig/override.json``: DHCP on each port, with
    its HTTPS proxy."""
    def port(p: NetPort) -> dict[str, Any]:
        host, _, number = p.proxy.rpartition(":")
        proxies = [{"type": PROXY_HTTPS, "server": host, "port": int(number)}] if p.proxy else []
        certs_b64 = [base64.b64encode(p.proxy_cert.encode()).decode()] if p.proxy_cert else []
        pac = {"Pacfile": base64.b64encode(p.pac.encode()).decode()} if p.pac else {}
        wpad = {"NetworkProxyEnable": True} if p.wpad else {}
        return {"IfName": p.name, "IsMgmt": p.mgmt, "Cost": p.cost, "Dhcp": 4, "Proxies": proxies,
                "Exceptions": p.exceptions, **({"ProxyCertPEM": certs_b64} if certs_b64 else {}), **pac, **wpad}

    return json.dumps({"Version": 1, "Key": "override", "Ports": [port(p) for p in ports]}, sort_keys=True).encode()
