"""The scenario language: a validated model of a scenario YAML file (exported as JSON Schema).

Durations accept ``90s``/``15m``/``2h``/``1d``, bandwidths ``50Mbps``, sizes ``300MB``; unknown
keys are errors. Timeline actions are a union tagged by ``action``; expectations and their checks
are in ``evesim.scenario.checks``.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from evesim.agent import fixes
from evesim.agent.fixes import Fix
from evesim.api import defaults
from evesim.api.addresses import check_address, check_subnet
from evesim.api.vocab import APP_DEFECTS, IMAGE_DEFECTS, AppDefect, ImageDefect
from evesim.hw import board as boards
from evesim.scenario import checks, references
from evesim.scenario.checks import Expectation
from evesim.scenario.fields import (
    Bandwidth,
    DeviceEventKind,
    Duration,
    FieldValue,
    Int,
    ItemKey,
    Name,
    Size,
    Strict,
    Target,
    Version,
    only_known,
)
from evesim.scenario.vocab import Agent, AppCommandName, Crypto, FaultAction, FaultMethod, Topology

CROSS_CHECK = "cross_check"
"""The error type of a problem found across the scenario (its location names data keys, no union tags)."""
MAX_IMAGE_BYTES = 2**40
"""The largest image or app memory a scenario may give (1 TiB)."""
ImageSize = Annotated[Size, Field(gt=0, le=MAX_IMAGE_BYTES)]
MAX_CLOCK_JUMP_S = 10 * 366 * 86400.0
MIN_EVERY_S = 0.001
"""The shortest repeat interval: the sim backend's shortest wait."""
MAX_SEED = 2**63 - 1
MAX_DURATION_S = 366 * 86400.0
"""The longest run a scenario may ask for: a year (and a day)."""


# ---------------------------------------------------------------- fleet, images, network, controller


class Group(Strict):
    """A group of identical devices."""

    name: Name
    count: Int = Field(ge=1, le=1_000_000)
    board: str = "generic-x86"
    version: Version = "14.5.1"
    config_items: dict[ItemKey, str] = Field(default_factory=dict)
    attach: str | None = None
    """The router the group's devices connect to (``core``, ``site-N``, ``router-N``); default: spread."""
    apps: list[Name] = Field(default_factory=list)
    """Apps (from the scenario's ``apps``) the controller deploys to each device once it onboards."""
    ports: list[Port] = Field(default_factory=list, max_length=8)
    """Network ports besides ``eth0`` (``eth1``, ``wlan0``, ``wwan0``); the controller configures them all."""
    proxy: Annotated[str, Field(pattern=r"^proxy-[a-z0-9-]{1,32}:[0-9]{1,5}$")] | None = None
    """An HTTPS proxy of the network (``proxy-0:3128``) every port goes through: the devices ship with it in
    ``/config/DevicePortConfig/override.json`` and the controller configures it."""
    proxy_ca: bool = False
    """With ``proxy``: the devices are also given the proxy's TLS inspection CA (EVE's ``proxyCertPEM``)."""
    pac: str | None = Field(None, max_length=65536)
    """A PAC file (JavaScript) every port's requests follow: shipped in ``/config`` and configured by the controller
    (EVE's ``pacfile``)."""
    wpad: bool = False
    """Every port finds its PAC file by WPAD (EVE's ``networkProxyEnable``), shipped and configured as ``pac``."""

    @field_validator("ports")
    @classmethod
    def _unique_ports(cls, value: list[Port]) -> list[Port]:
        names = [p.name for p in value]
        if len(set(names)) != len(names):
            raise ValueError(f"port names must be unique: {', '.join(names)}")
        return value

    @field_validator("board")
    @classmethod
    def _known_board(cls, value: str) -> str:
        if value not in boards.PROFILES:
            raise ValueError(f"unknown board {value!r}; known: {', '.join(sorted(boards.PROFILES))}")
        return value


def _known_strings(value: object, known: frozenset[str], what: str) -> object:
    """A list of strings refused if one is not in ``known`` (other input is left to the field's type)."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return only_known(value, known, what)
    return value


class Image(Strict):
    """An EVE image published on the datastore."""

    version: Version
    size: ImageSize = 300_000_000
    defects: list[ImageDefect] = Field(default_factory=list)

    @field_validator("defects", mode="before")
    @classmethod
    def _known_defects(cls, value: object) -> object:
        return _known_strings(value, IMAGE_DEFECTS, "defects")


class NetworkInstance(Strict):
    """A network instance for apps: ``local`` (NAT behind the device's ports, with a DHCP subnet) or ``switch``
    (bridged onto a port's network)."""

    name: Name
    kind: Literal["local", "switch"] = "local"
    port: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.-]{0,14}$")] = "uplink"
    """The port (``eth1``) or EVE's port label (``uplink``: the management ports; ``freeuplink``: those of cost 0;
    ``all``) it uses."""
    subnet: str | None = None
    """A local instance's IPv4 subnet (default ``10.1.0.0/24``); a switch instance has none."""
    flowlog: bool = True
    """Whether EVE logs its apps' flows (the config's ``disable_flowlog`` is the opposite)."""

    @model_validator(mode="after")
    def _subnet(self) -> NetworkInstance:
        if self.kind == "switch" and self.subnet is not None:
            raise ValueError("a switch instance has no subnet (its apps lease addresses on the port's network)")
        if self.subnet is not None:
            check_subnet(self.subnet)
        return self


class AclRule(Strict):
    """One firewall rule of an app interface (EVE's ACE): its matches must all hold; it allows, unless ``drop``, or
    maps ``lport`` of a local instance's ports to the app's ``portmap`` port."""

    ip: str | None = None
    """The remote's address or subnet (``0.0.0.0/0``: anything)."""
    host: str | None = None
    """The remote app's name (or a domain it ends with)."""
    protocol: Literal["tcp", "udp", "icmp", "all"] | None = None
    fport: Int | None = Field(None, ge=1, le=65535)
    """The remote's port (needs ``protocol``)."""
    lport: Int | None = Field(None, ge=1, le=65535)
    """The local port, or the port a port map listens on (needs ``protocol``)."""
    drop: bool = False
    portmap: Int | None = Field(None, ge=1, le=65535)

    @model_validator(mode="after")
    def _coherent(self) -> AclRule:
        if self.drop and self.portmap is not None:
            raise ValueError("a rule either drops or maps a port, not both")
        if self.portmap is not None and self.lport is None:
            raise ValueError("a port map needs the lport it listens on")
        if (self.fport is not None or self.lport is not None) and self.protocol is None:
            raise ValueError("a rule with fport or lport needs a protocol (EVE refuses it otherwise)")
        if self.ip is not None:
            try:
                ipaddress.ip_network(self.ip, strict=False)
            except ValueError:
                raise ValueError(f"ip {self.ip!r} is not an address or subnet") from None
        return self

    def matches(self) -> tuple[tuple[str, str], ...]:
        """The rule's matches as EVE's (type, value) pairs."""
        values = (("ip", self.ip), ("host", self.host), ("protocol", self.protocol), ("fport", self.fport),
                  ("lport", self.lport))
        return tuple((kind, str(value)) for kind, value in values if value is not None)


class AppInterface(Strict):
    """An app's interface on a network instance, with its firewall rules (none: EVE drops all its traffic)."""

    network: Name
    acl: list[AclRule] = Field(default_factory=list, max_length=64)


class AppTraffic(Strict):
    """Connections the app opens to the nearest running instance of another app, while it runs."""

    to: Name
    port: Int = Field(ge=1, le=65535)
    protocol: Literal["tcp", "udp"] = "tcp"
    every: Duration = Field(60.0, ge=1.0)
    bytes: Size = 4096
    """What it sends each time."""
    reply: Size = 1024
    """What the other app answers."""


class App(Strict):
    """An app (a VM image) the datastore serves and the controller can deploy to devices."""

    name: Name
    size: ImageSize = defaults.APP_IMAGE_BYTES
    memory: Annotated[Size, Field(le=MAX_IMAGE_BYTES)] = defaults.APP_MEMORY_KB * 1024
    """Memory the app instance's domain gets (``512MB``, ``2GB``)."""
    vcpus: Int = Field(defaults.APP_VCPUS, ge=1, le=64)
    defects: list[AppDefect] = Field(default_factory=list)
    interfaces: list[AppInterface] = Field(default_factory=list, max_length=8)
    """Its interfaces on the scenario's ``network_instances``."""
    traffic: list[AppTraffic] = Field(default_factory=list, max_length=16)

    @field_validator("defects", mode="before")
    @classmethod
    def _known_defects(cls, value: object) -> object:
        return _known_strings(value, APP_DEFECTS, "app defects")

    @field_validator("memory")
    @classmethod
    def _at_least_a_mebibyte(cls, value: int) -> int:
        if value < 1024 * 1024:
            raise ValueError(f"an app needs at least 1MiB of memory, got {value} bytes")
        return value


class Link(Strict):
    """Link parameters."""

    latency: Duration = 0.010
    jitter: Duration = 0.0
    bandwidth: Bandwidth = 50e6
    loss: float = Field(0.0, ge=0.0, lt=1.0)
    loss_down: float | None = Field(None, ge=0.0, lt=1.0)
    """On a device's or port's access link: the loss towards the device, when it differs from ``loss`` (which is
    then the loss from the device)."""


PortName = Annotated[str, Field(pattern=r"^(eth[1-9][0-9]?|wlan[0-9]{1,2}|wwan[0-9]{1,2})$")]
"""A port besides ``eth0``: ``ethN``, ``wlanN`` or ``wwanN``."""


class Port(Strict):
    """A network port besides ``eth0``: how the controller configures it and where it connects."""

    name: PortName
    cost: Int = Field(0, ge=0, le=255)
    """0 is free; EVE sends over a costlier port only when every cheaper one fails."""
    mgmt: bool = True
    attach: str | None = None
    """The router it connects to (default: the one ``eth0`` connects to)."""
    link: Link | None = None
    """Its link (default: the network's ``access`` link)."""


class ConfigPort(Strict):
    """A port as the controller configures it in a ``network_config`` action."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.-]{0,14}$")]
    cost: Int = Field(0, ge=0, le=255)
    mgmt: bool = True
    addressing: Literal["dhcp", "static", "none"] = "dhcp"
    adapter: bool = True
    """False leaves the port out of ``deviceIoList``, a config EVE cannot use for it."""
    proxy: Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]{1,253}:[0-9]{1,5}$")] | None = None
    """An HTTPS proxy, ``host:port`` (a proxy of the network, or a name it does not have)."""
    exceptions: str = ""
    """Hosts reached without the proxy, comma-separated."""
    address: str = ""
    """A ``static`` port's address (EVE needs one: without it the port is invalid)."""
    subnet: str = ""
    """The static address's subnet (``192.168.1.0/24``)."""
    gateway: str = ""
    """The static port's gateway (none: no default route, so the controller is out of reach)."""
    dns: list[str] = Field(default_factory=list, max_length=8)
    """The static port's DNS servers (none: EVE reports ``no DNS server available``)."""

    @model_validator(mode="after")
    def _addresses(self) -> ConfigPort:
        for what, value in (("address", self.address), ("gateway", self.gateway), *(("dns", d) for d in self.dns)):
            if value:
                check_address(value, what)
        if self.subnet:
            check_subnet(self.subnet)
        return self


class Proxy(Strict):
    """An HTTP proxy on the network, linked to each router of ``attach``; devices reach the controller through it
    only if their port configuration says so."""

    name: Annotated[str, Field(pattern=r"^proxy-[a-z0-9-]{1,32}$")]
    attach: list[str] = Field(min_length=1, max_length=16)
    link: Link | None = None
    """Its links (default: the network's ``access`` link)."""
    intercepts: bool = False
    """It inspects TLS, re-signing with a CA of its own: a device trusts it only if given that CA (a group's
    ``proxy_ca``)."""
    pac: str | None = Field(None, max_length=65536)
    """A PAC file (JavaScript defining ``FindProxyForURL``) it serves by WPAD to its routers' networks, at
    ``http://wpad.<router>.lan/wpad.dat``."""


class Network(Strict):
    """The topology between devices and the controller."""

    topology: Topology = "star"
    sites: Int = Field(10, ge=1, le=10_000)
    routers: Int = Field(8, ge=2, le=10_000)
    degree: Int = Field(3, ge=2, le=100)
    access: Link = Link()
    uplink: Link = Link(latency=0.005, bandwidth=1e9)
    backbone: Link = Link(latency=0.005, bandwidth=10e9)
    wan: Link = Link(latency=0.020, jitter=0.002, bandwidth=10e9)
    datastore_bandwidth: Bandwidth = 10e9
    proxies: list[Proxy] = Field(default_factory=list, max_length=100)
    dhcp_lease: Duration = Field(86400.0, ge=60.0)
    """How long the sites' DHCP servers lease an address (renewed at half of it while they answer)."""

    def proxy_routers(self) -> dict[str, list[str]]:
        """Each proxy's name and the routers it links to."""
        return {p.name: list(p.attach) for p in self.proxies}

    def routers_names(self) -> list[str]:
        """The routers devices can attach to in this topology."""
        if self.topology == "tree":
            return ["core"] + [f"site-{i}" for i in range(self.sites)]
        if self.topology == "mesh":
            return ["core"] + [f"router-{i}" for i in range(1, self.routers)]
        return ["core"]

    def default_router(self, index: int) -> str:
        """The router the fleet's ``index``-th device attaches to when its group has no ``attach`` (round-robin)."""
        if self.topology == "tree":
            return f"site-{index % self.sites}"
        if self.topology == "mesh":
            return self.routers_names()[index % self.routers]
        return "core"


class FaultRule(Strict):
    """evetest's controller fault: method + path suffix → a status, a dropped connection or a delay."""

    action: FaultAction
    method: FaultMethod = ""
    path: str = ""
    status: Int = Field(503, ge=100, le=599)
    delay: Duration = 0.0
    count: Int | None = Field(None, ge=1)
    start: Duration = 0.0
    end: Duration | None = None


class Controller(Strict):
    """The controller's capacity, strictness and fault rules."""

    workers: Int = Field(16, ge=1, le=10_000)
    service_time: Duration = 0.002
    cells: Int = Field(8, ge=1, le=1_000)
    """Backends behind a load balancer that pins device ``i`` to cell ``i % cells``: each has its share of the
    workers (at most one cell per worker) and of the datastore's bandwidth. A sharded run splits the fleet by cell."""
    require_integrity_token: bool = True
    policy: Literal["evesim", "adam"] = "evesim"
    """How the device API answers: ``evesim`` (lf-edge/eve-api APIv2.md) or ``adam`` (docs/controller.md, Policies)."""
    faults: list[FaultRule] = Field(default_factory=list)


# ---------------------------------------------------------------- triggers


class When(Strict):
    """Trigger on an event of a kind (and field values) from the target's devices.

    Fires for each such device, at most ``per_device`` times each and ``limit`` times in all.
    """

    event: DeviceEventKind
    target: Target = Target()
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    per_device: Int = Field(1, ge=1, le=10_000)
    limit: Int | None = Field(None, ge=1, le=1_000_000)


class Trigger(Strict):
    """When an action happens: ``at`` a time, ``every`` interval (from ``at`` until ``until``), or ``when`` an event.

    The action runs ``delay`` plus a random share of ``jitter`` after its trigger. With ``when``,
    an action without its own ``target`` applies to the device the event came from.
    """

    at: Duration | None = None
    every: Duration | None = Field(None, ge=MIN_EVERY_S)
    until: Duration | None = None
    when: When | None = None
    delay: Duration = 0.0
    jitter: Duration = 0.0

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        if self.when is not None and (self.at is not None or self.every is not None):
            raise ValueError("use either 'when' or 'at'/'every', not both")
        if self.when is None and self.at is None and self.every is None:
            raise ValueError("an action needs 'at', 'every' or 'when'")
        return self


# ---------------------------------------------------------------- actions


class SetConfigItems(Trigger):
    """The controller sets (or, with null, removes) config items on the target's devices."""

    action: Literal["set_config_items"]
    target: Target = Target()
    items: dict[ItemKey, str | None]


class PowerCut(Trigger):
    """Power is cut on the target's devices (and restored ``restore_after`` plus some ``restore_jitter``)."""

    action: Literal["power_cut"]
    target: Target = Target()
    restore_after: Duration | None = None
    restore_jitter: Duration = 0.0


class PowerOn(Trigger):
    """The target's devices are powered on."""

    action: Literal["power_on"]
    target: Target = Target()


class Brownout(Trigger):
    """``cycles`` of power ``off`` then ``on`` on the target's devices."""

    action: Literal["brownout"]
    target: Target = Target()
    cycles: Int = Field(ge=1, le=1000)
    on: Duration = Field(gt=0)
    off: Duration = Field(gt=0)


class LinkDown(Trigger):
    """The target's devices lose their access links, or only ``port``'s (for ``duration``, else for good)."""

    action: Literal["link_down"]
    target: Target = Target()
    port: Annotated[str, Field(pattern=r"^(eth|wlan|wwan)[0-9]{1,2}$")] | None = None
    duration: Duration | None = None


class NetworkConfig(Trigger):
    """The controller replaces the network ports in the target's devices' config (EVE tests the new set and falls
    back to the last one that worked if it cannot reach the controller over it)."""

    action: Literal["network_config"]
    target: Target = Target()
    ports: list[ConfigPort] = Field(min_length=1, max_length=16)


class Partition(Trigger):
    """The network isolates ``nodes`` and cuts ``links`` (for ``duration``, else for good)."""

    action: Literal["partition"]
    nodes: list[str] = Field(default_factory=list)
    links: list[tuple[str, str]] = Field(default_factory=list)
    duration: Duration | None = None

    @model_validator(mode="after")
    def _something(self) -> Partition:
        if not self.nodes and not self.links:
            raise ValueError("a partition needs 'nodes' to isolate or 'links' to cut")
        return self


class ControllerDown(Trigger):
    """The controller stops answering (for ``duration``, else for good)."""

    action: Literal["controller_down"]
    duration: Duration | None = None


class ControllerFault(Trigger):
    """The controller arms fault ``rule``, its window counted from now (``duration`` after now ends it, if given)."""

    action: Literal["controller_fault"]
    rule: FaultRule
    duration: Duration | None = None


class FillPersist(Trigger):
    """Something outside EVE's apps (logs, core dumps) fills ``/persist`` on the target's devices until only
    ``free`` bytes are left (for ``duration``, else for good)."""

    action: Literal["fill_persist"]
    target: Target = Target()
    free: Annotated[Size, Field(ge=0, le=MAX_IMAGE_BYTES)] = 0
    duration: Duration | None = None


class NetworkFaultAction(Trigger):
    """A fault of the target's devices' site network (for ``duration``, else for good): ``dns`` — its DNS server
    stops answering; ``dhcp`` — its DHCP pool is empty (leased addresses stay); ``dhcp_down`` — its DHCP server
    stops answering (no new leases, no renewals: each address goes when its lease runs out, ``network.dhcp_lease``);
    ``mtu`` — a path MTU black hole: a request or answer larger than ``mtu`` bytes (with its headers and TLS) never
    arrives whole."""

    action: Literal["network_fault"]
    target: Target = Target()
    fault: Literal["dns", "dhcp", "dhcp_down", "mtu"]
    mtu: Annotated[Size, Field(ge=0, le=65535)] = 1400
    duration: Duration | None = None


class TpmFault(Trigger):
    """The TPM of each of the target's devices starts failing ECDH encrypt/decrypt (``encryption``), or works
    again (``none``); tpmmgr notices at the next boot."""

    action: Literal["tpm_fault"]
    target: Target = Target()
    fault: Literal["encryption", "none"]


class HangAgent(Trigger):
    """``agent`` hangs on each of the target's devices."""

    action: Literal["hang_agent"]
    target: Target = Target()
    agent: Agent


class ClockJump(Trigger):
    """The clock of each of the target's devices jumps by ``seconds``."""

    action: Literal["clock_jump"]
    target: Target = Target()
    seconds: float = Field(ge=-MAX_CLOCK_JUMP_S, le=MAX_CLOCK_JUMP_S)


class Update(Trigger):
    """The controller sets base OS ``version`` on the target's devices."""

    action: Literal["update"]
    target: Target = Target()
    version: Version
    activate: bool = True


class RetryUpdate(Trigger):
    """The controller bumps the retry counter of a failed update on the target's devices."""

    action: Literal["retry_update"]
    target: Target = Target()
    counter: Int | None = Field(None, ge=0, le=2**32 - 1)
    """Set the counter to this value instead of bumping it (an operator's edit, a controller restored from an
    older backup)."""


class Reboot(Trigger):
    """The controller asks the target's devices to reboot."""

    action: Literal["reboot"]
    target: Target = Target()


class DeployApp(Trigger):
    """The controller adds ``app`` to the target's configs (or, if deployed, sets its ``activate``)."""

    action: Literal["deploy_app"]
    target: Target = Target()
    app: Name
    activate: bool = True


class AppCommand(Trigger):
    """The controller removes an app from the target's configs, or bumps its restart or purge counter."""

    action: AppCommandName
    target: Target = Target()
    app: Name


class Rollout(Trigger):
    """A controller rollout campaign of ``version`` to the target's onboarded devices, in fleet order.

    Batches of ``batch_size`` devices or ``batch_fraction`` of them (a list grows stage by stage; its
    last entry repeats); the next batch starts ``wait`` after one settles (every device UPDATED or
    FAILED, or ``deadline`` passed); halts once the failed fraction exceeds ``halt_failure_rate``.
    """

    action: Literal["rollout"]
    target: Target = Target()
    version: Version
    batch_size: Annotated[Int, Field(ge=1)] | list[Annotated[Int, Field(ge=1)]] | None = None
    batch_fraction: (Annotated[float, Field(gt=0.0, le=1.0)] | list[Annotated[float, Field(gt=0.0, le=1.0)]]
                     | None) = None
    wait: Duration = 0.0
    deadline: Duration = Field(3600.0, gt=0)
    halt_failure_rate: float = Field(0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_batching(self) -> Rollout:
        if (self.batch_size is None) == (self.batch_fraction is None):
            raise ValueError("a rollout needs exactly one of 'batch_size' and 'batch_fraction'")
        if self.batch_size == [] or self.batch_fraction == []:
            raise ValueError("batch lists must not be empty")
        return self


AnyAction = (SetConfigItems | PowerCut | PowerOn | Brownout | LinkDown | NetworkConfig | NetworkFaultAction
             | Partition | ControllerDown
             | ControllerFault | FillPersist | TpmFault | HangAgent | ClockJump | Update | RetryUpdate | Reboot
             | Rollout | DeployApp | AppCommand)
"""Every kind of timeline action."""
Action = Annotated[AnyAction, Field(discriminator="action")]
"""A timeline entry as a scenario gives it, its kind picked by ``action``."""


# ---------------------------------------------------------------- the scenario


class Scenario(Strict):
    """One runnable scenario."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: Int = Field(1, ge=0, le=MAX_SEED)
    duration: Duration = Field(gt=0, le=MAX_DURATION_S)
    crypto: Crypto = "trusted"
    fixes: list[Fix] = Field(default_factory=list)
    """Named improvements on EVE's behaviour to switch on (``evesim list fixes``); EVE's own behaviour by default."""
    power_on_spread: Duration = 60.0
    config_items: dict[ItemKey, str] = Field(default_factory=dict)
    fleet: list[Group] = Field(min_length=1)
    images: list[Image] = Field(default_factory=list)
    apps: list[App] = Field(default_factory=list)
    network_instances: list[NetworkInstance] = Field(default_factory=list, max_length=64)
    """Network instances for apps; the controller configures one on a device when it deploys an app using it."""
    network: Network = Network()
    controller: Controller = Controller()
    timeline: list[Action] = Field(default_factory=list)
    expectations: list[Expectation] = Field(default_factory=list)

    @field_validator("fixes", mode="before")
    @classmethod
    def _known_fixes(cls, value: object) -> object:
        return _known_strings(value, frozenset(fixes.KNOWN), "fixes")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        problems = _fleet_problems(self) + _version_problems(self) + _app_problems(self)
        if not problems:  # names are checked against a consistent fleet and network only
            problems = _reference_problems(self)
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, [
                InitErrorDetails(type=PydanticCustomError(CROSS_CHECK, message), loc=loc, input=_at(self, loc))
                for loc, message in problems])
        return self


Problems = list[tuple[references.Loc, str]]


def _fleet_problems(scenario: Scenario) -> Problems:
    """Group names given twice, and groups attached to a router the network does not have."""
    problems: Problems = []
    seen: set[str] = set()
    for i, group in enumerate(scenario.fleet):
        if group.name in seen:
            problems.append((("fleet", i, "name"), f"group names must be unique: {group.name!r} is used twice"))
        seen.add(group.name)
    network = scenario.network
    routers = network.routers_names()
    problems += [(("fleet", i, "attach"), f"group {g.name!r} attaches to {g.attach!r}, which a "
                  f"{network.topology} network does not have (routers: {', '.join(routers)})")
                 for i, g in enumerate(scenario.fleet) if g.attach is not None and g.attach not in routers]
    problems += [(("fleet", i, "ports", j, "attach"), f"port {p.name} of group {g.name!r} attaches to {p.attach!r}, "
                  f"which a {network.topology} network does not have (routers: {', '.join(routers)})")
                 for i, g in enumerate(scenario.fleet) for j, p in enumerate(g.ports)
                 if p.attach is not None and p.attach not in routers]
    proxies = network.proxy_routers()
    problems += [(("fleet", i, "proxy"), f"group {g.name!r} goes through {g.proxy!r}, which the network does not "
                  f"have (proxies: {', '.join(proxies) or 'none'})")
                 for i, g in enumerate(scenario.fleet) if g.proxy and g.proxy.rpartition(":")[0] not in proxies]
    problems += [(("fleet", i, "proxy_ca"), f"group {g.name!r} has proxy_ca but no proxy")
                 for i, g in enumerate(scenario.fleet) if g.proxy_ca and not g.proxy]
    problems += [(("network", "proxies", i, "attach", j), f"proxy {p.name} attaches to {r!r}, which a "
                  f"{network.topology} network does not have (routers: {', '.join(routers)})")
                 for i, p in enumerate(network.proxies) for j, r in enumerate(p.attach) if r not in routers]
    return problems


def _version_problems(scenario: Scenario) -> Problems:
    """Images given twice, and checks and actions naming a version no image or group has."""
    images = scenario.images
    versions = {i.version for i in images} | {g.version for g in scenario.fleet}
    problems: Problems = [
        (("images", i, "version"), f"image versions must be unique: {image.version!r} is given twice")
        for i, image in enumerate(images) if image.version in [m.version for m in images[:i]]]
    problems += [(("expectations", i, e.kind, "value"), f"no image {check.value!r}; versions: "
                  f"{', '.join(sorted(versions))}")
                 for i, e in enumerate(scenario.expectations)
                 if isinstance(check := e.check, checks.RunningVersion) and check.value not in versions]
    problems += [(("timeline", i, "version"), f"{a.action} to {a.version!r}: no such image; add it under 'images'")
                 for i, a in enumerate(scenario.timeline)
                 if isinstance(a, (Update, Rollout)) and a.version not in versions]
    return problems


def _app_problems(scenario: Scenario) -> Problems:
    """Apps defined twice, and groups, actions and checks naming an app the scenario does not define."""
    names = [a.name for a in scenario.apps]
    known = ", ".join(names) or "none"
    problems: Problems = [
        (("apps", i, "name"), f"app names must be unique: {name!r} is used twice")
        for i, name in enumerate(names) if name in names[:i]]
    problems += [(("fleet", i, "apps", j), f"no app {name!r}; define it under 'apps' (apps: {known})")
                 for i, g in enumerate(scenario.fleet) for j, name in enumerate(g.apps) if name not in names]
    problems += [(("timeline", i, "app"),
                  f"{a.action} of {a.app!r}: no such app; define it under 'apps' (apps: {known})")
                 for i, a in enumerate(scenario.timeline)
                 if isinstance(a, (DeployApp, AppCommand)) and a.app not in names]
    problems += [(("expectations", i, e.kind, "app"), f"no app {check.app!r}; define it under 'apps' (apps: {known})")
                 for i, e in enumerate(scenario.expectations)
                 if isinstance(check := e.check, checks.AppInstance) and check.app not in names]
    problems += [(("apps", i, "traffic", j, "to"), f"no app {t.to!r} to connect to (apps: {known})")
                 for i, a in enumerate(scenario.apps) for j, t in enumerate(a.traffic) if t.to not in names]
    return problems + _instance_problems(scenario)


def _instance_problems(scenario: Scenario) -> Problems:
    """Network instances defined twice, and app interfaces on instances the scenario does not define."""
    names = [n.name for n in scenario.network_instances]
    known = ", ".join(names) or "none"
    problems: Problems = [
        (("network_instances", i, "name"), f"network instance names must be unique: {name!r} is used twice")
        for i, name in enumerate(names) if name in names[:i]]
    problems += [(("apps", i, "interfaces", j, "network"),
                  f"no network instance {intf.network!r}; define it under 'network_instances' (instances: {known})")
                 for i, a in enumerate(scenario.apps) for j, intf in enumerate(a.interfaces)
                 if intf.network not in names]
    return problems


def _reference_problems(scenario: Scenario) -> Problems:
    """Every target, ``when`` target, expectation target, partition node and link naming what is not there."""
    names = references.Names(scenario.network, scenario.fleet)
    found: Problems = []
    for i, action in enumerate(scenario.timeline):
        targets: list[tuple[references.Loc, references.Target]] = []
        if not isinstance(action, (Partition, ControllerDown, ControllerFault)):
            targets.append((("timeline", i, "target"), action.target))
        if action.when is not None:
            targets.append((("timeline", i, "when", "target"), action.when.target))
        if isinstance(action, Partition):
            found += references.problems(names, targets, [(("timeline", i, "nodes", j), n)
                                                          for j, n in enumerate(action.nodes)],
                                         [(("timeline", i, "links", j), link) for j, link in enumerate(action.links)])
        else:
            found += references.problems(names, targets)
    for i, expectation in enumerate(scenario.expectations):
        check = expectation.check
        if not isinstance(check, checks.Campaigns):
            found += references.problems(names, [(("expectations", i, expectation.kind, "target"), check.target)])
    return found


def _at(scenario: Scenario, loc: references.Loc) -> object:
    """The value at ``loc`` in a scenario (for an error's ``input``)."""
    node: object = scenario
    for part in loc:
        node = node[part] if isinstance(node, list) and isinstance(part, int) else getattr(node, str(part))
    return node


def schema() -> dict[str, object]:
    """The JSON Schema of the scenario language."""
    return Scenario.model_json_schema()
