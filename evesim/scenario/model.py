"""The scenario language: a validated model of a scenario YAML file (exported as JSON Schema).

Durations accept ``90s``/``15m``/``2h``/``1d``, bandwidths ``50Mbps``, sizes ``300MB``; unknown
keys are errors.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from evesim.agent import domainmgr
from evesim.agent.topics import Led
from evesim.api import defaults
from evesim.controller.rollout import STATES as ROLLOUT_STATES
from evesim.hw import board as boards
from evesim.hw.image import APP_DEFECTS, DEFECTS
from evesim.scenario import infopath, references, units
from evesim.sim.device import STATES as DEVICE_STATES
from evesim.sim.events import KINDS as EVENT_KINDS
from evesim.sim.events import WORLD_KINDS
from evesim.sim.outcome import OUTCOMES

Duration = Annotated[float, BeforeValidator(units.duration)]
Bandwidth = Annotated[float, BeforeValidator(units.bandwidth)]
Size = Annotated[int, BeforeValidator(units.size)]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")]
Version = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+~-]{0,99}$")]
"""An EVE version as it goes into image URLs and ``base_os_version`` (``14.5.1``, ``14.6.0-rc1``)."""
ItemKey = Annotated[str, Field(min_length=1)]
Int = Annotated[int, Field(strict=True)]
"""A count or an index: ``true`` is not 1."""
MAX_IMAGE_BYTES = 2**40
"""The largest image or app memory a scenario may give (1 TiB)."""
ImageSize = Annotated[Size, Field(gt=0, le=MAX_IMAGE_BYTES)]
MAX_CLOCK_JUMP_S = 10 * 366 * 86400.0
MIN_EVERY_S = 0.001
"""The shortest repeat interval: the sim backend's shortest wait."""
MAX_SEED = 2**63 - 1
APP_STATES = domainmgr.REPORTED
"""The states an app instance reports (EVE's ``ZSwState`` names that evesim's domainmgr uses)."""
MAX_DURATION_S = 366 * 86400.0
"""The longest run a scenario may ask for: a year (and a day)."""
Agent = Literal["zedagent", "nodeagent", "nim", "zedclient", "baseosmgr", "domainmgr", "vaultmgr", "loguploader",
                "watchdog", "kernel"]


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are frozen, numbers finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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

    @field_validator("board")
    @classmethod
    def _known_board(cls, value: str) -> str:
        if value not in boards.PROFILES:
            raise ValueError(f"unknown board {value!r}; known: {', '.join(sorted(boards.PROFILES))}")
        return value


def _event_kind(value: str) -> str:
    """``value`` if the world logs events of that kind, else a ValueError with the nearest kinds."""
    if value in WORLD_KINDS:
        raise ValueError(f"{value!r} events come from the world, not from a device: a 'when' trigger follows "
                         "device events (count world events with an 'events' expectation)")
    return _known_kind(value)


def _known_kind(value: str) -> str:
    if value not in EVENT_KINDS:
        close = difflib.get_close_matches(value, sorted(EVENT_KINDS), n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"no event kind {value!r}{hint} (kinds: docs/scenario-language.md)")
    return value


def _only_known(value: list[str], known: frozenset[str], what: str) -> list[str]:
    """``value`` if every entry is in ``known``, else a ValueError naming the unknown ones and the known."""
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; known: {sorted(known)}")
    return value


class Image(Strict):
    """An EVE image published on the datastore."""

    version: Version
    size: ImageSize = 300_000_000
    defects: list[str] = Field(default_factory=list)

    @field_validator("defects")
    @classmethod
    def _known_defects(cls, value: list[str]) -> list[str]:
        return _only_known(value, DEFECTS, "defects")


class App(Strict):
    """An app (a VM image) the datastore serves and the controller can deploy to devices."""

    name: Name
    size: ImageSize = defaults.APP_IMAGE_BYTES
    memory: Annotated[Size, Field(le=MAX_IMAGE_BYTES)] = defaults.APP_MEMORY_KB * 1024
    """Memory the app instance's domain gets (``512MB``, ``2GB``)."""
    vcpus: Int = Field(defaults.APP_VCPUS, ge=1, le=64)
    defects: list[str] = Field(default_factory=list)

    @field_validator("defects")
    @classmethod
    def _known_defects(cls, value: list[str]) -> list[str]:
        return _only_known(value, APP_DEFECTS, "app defects")

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


class Network(Strict):
    """The topology between devices and the controller."""

    topology: Literal["star", "tree", "mesh"] = "star"
    sites: Int = Field(10, ge=1, le=10_000)
    routers: Int = Field(8, ge=2, le=10_000)
    degree: Int = Field(3, ge=2, le=100)
    access: Link = Link()
    uplink: Link = Link(latency=0.005, bandwidth=1e9)
    backbone: Link = Link(latency=0.005, bandwidth=10e9)
    wan: Link = Link(latency=0.020, jitter=0.002, bandwidth=10e9)
    datastore_bandwidth: Bandwidth = 10e9

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

    action: Literal["status", "close", "delay"]
    method: Literal["", "GET", "POST"] = ""
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
    require_integrity_token: bool = True
    faults: list[FaultRule] = Field(default_factory=list)


# ---------------------------------------------------------------- targets and triggers


class Target(Strict):
    """Which devices an action applies to: a group and/or names, optionally a random subset."""

    group: str | None = None
    devices: list[str] | None = None
    fraction: float | None = Field(None, gt=0.0, le=1.0)
    count: Int | None = Field(None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        if isinstance(value, str):
            if value == "all":
                return {}
            kind, _, name = value.partition(":")
            if kind == "group" and name:
                return {"group": name}
            if kind == "device" and name:
                return {"devices": [name]}
            raise ValueError(f"expected 'all', 'group:NAME', 'device:NAME' or a mapping, got {value!r}")
        return value


class When(Strict):
    """Trigger on an event of a kind (and field values) from the target's devices.

    Fires for each such device, at most ``per_device`` times each and ``limit`` times in all.
    """

    event: Annotated[str, AfterValidator(_event_kind)]
    target: Target = Target()
    fields: dict[str, str | int | float | bool] = Field(default_factory=dict)
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
    action: Literal["set_config_items"]
    target: Target = Target()
    items: dict[ItemKey, str | None]


class PowerCut(Trigger):
    action: Literal["power_cut"]
    target: Target = Target()
    restore_after: Duration | None = None
    restore_jitter: Duration = 0.0


class PowerOn(Trigger):
    action: Literal["power_on"]
    target: Target = Target()


class Brownout(Trigger):
    action: Literal["brownout"]
    target: Target = Target()
    cycles: Int = Field(ge=1, le=1000)
    on: Duration = Field(gt=0)
    off: Duration = Field(gt=0)


class LinkDown(Trigger):
    action: Literal["link_down"]
    target: Target = Target()
    duration: Duration | None = None


class Partition(Trigger):
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
    action: Literal["controller_down"]
    duration: Duration | None = None


class ControllerFault(Trigger):
    action: Literal["controller_fault"]
    rule: FaultRule
    duration: Duration | None = None


class HangAgent(Trigger):
    action: Literal["hang_agent"]
    target: Target = Target()
    agent: Agent


class ClockJump(Trigger):
    action: Literal["clock_jump"]
    target: Target = Target()
    seconds: float = Field(ge=-MAX_CLOCK_JUMP_S, le=MAX_CLOCK_JUMP_S)


class Update(Trigger):
    action: Literal["update"]
    target: Target = Target()
    version: Version
    activate: bool = True


class RetryUpdate(Trigger):
    action: Literal["retry_update"]
    target: Target = Target()


class Reboot(Trigger):
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

    action: Literal["remove_app", "restart_app", "purge_app"]
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


Action = Annotated[
    SetConfigItems | PowerCut | PowerOn | Brownout | LinkDown | Partition | ControllerDown | ControllerFault | HangAgent | ClockJump | Update | RetryUpdate | Reboot | Rollout | DeployApp | AppCommand,
    Field(discriminator="action"),
]


# ---------------------------------------------------------------- expectations


class Check(Strict):
    """A fleet metric and its bounds (counts, or fractions of the fleet or target)."""

    metric: Literal["onboarded", "bricked", "version", "outcome", "reboots", "state", "led", "events", "rollout",
                    "info", "app"]
    value: str | None = None
    """For ``version``, ``state``, ``led``; for ``outcome`` one of updated, rolled_back, failed,
    bricked, pending, unchanged; for ``events`` an event kind (counted from the target's devices,
    and also from ``world`` when the target is the whole fleet); for ``rollout`` a campaign state
    (running, waiting, halted, done: campaigns are counted, the population is every campaign); for
    ``app`` a state of the app on the device (``ZSwState``: INITIAL, DOWNLOAD_STARTED, INSTALLED, BOOTING,
    RUNNING, HALTING, HALTED)."""
    app: Name | None = None
    """For ``app``: which app (devices whose instance of it is in state ``value`` are counted)."""
    fields: dict[str, str | int | float | bool] = Field(default_factory=dict)
    """For ``events``: count only events with these field values (as in ``when``)."""
    path: str | None = None
    """For ``info``: devices whose latest ``ZInfoDevice`` at the controller has ``value`` (or a value
    matching ``match``) at this path, like Eden's lim: ``swList[0].shortVersion``, ``swList[*].userStatus``."""
    match: str | None = None
    """For ``info``: a regular expression the value must fully match (instead of ``value``)."""
    target: Target = Target()
    min: float | None = None
    max: float | None = None
    min_fraction: float | None = Field(None, ge=0.0, le=1.0)
    max_fraction: float | None = Field(None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _bounded(self) -> Check:
        if self.min is None and self.max is None and self.min_fraction is None and self.max_fraction is None:
            raise ValueError("a check needs min, max, min_fraction or max_fraction")
        if self.metric in ("version", "outcome", "state", "led", "events", "rollout", "app") and self.value is None:
            raise ValueError(f"metric {self.metric!r} needs a 'value'")
        if self.fields and self.metric != "events":
            raise ValueError("'fields' only applies to metric 'events'")
        if (self.metric == "info") != (self.path is not None):
            raise ValueError("metric 'info' needs a 'path', and only it takes one")
        if self.metric == "info":
            infopath.parse(self.path)
            if (self.value is None) == (self.match is None):
                raise ValueError("metric 'info' needs exactly one of 'value' and 'match'")
            if self.match is not None:
                try:
                    re.compile(self.match)
                except re.error as exc:
                    raise ValueError(f"'match' is not a regular expression: {exc}") from None
        elif self.match is not None:
            raise ValueError("'match' only applies to metric 'info'")
        if (self.metric == "app") != (self.app is not None):
            raise ValueError("metric 'app' needs an 'app', and only it takes one")
        if self.metric == "app" and self.value not in APP_STATES:
            raise ValueError(f"metric 'app' counts devices by app state: one of {', '.join(APP_STATES)}")
        if self.metric == "events":
            _known_kind(self.value)
        known = {"state": DEVICE_STATES, "outcome": OUTCOMES, "led": tuple(led.name for led in Led)}.get(self.metric)
        if known is not None and self.value not in known:
            raise ValueError(f"metric {self.metric!r} has no value {self.value!r}; one of {', '.join(known)}")
        if self.metric == "rollout":
            if self.value not in ROLLOUT_STATES:
                raise ValueError(f"metric 'rollout' counts campaigns in a state: one of {', '.join(ROLLOUT_STATES)}")
            if self.target != Target():
                raise ValueError("metric 'rollout' counts campaigns, not devices: it takes no 'target'")
        return self


class Expectation(Strict):
    """``always`` (checked throughout), ``eventually`` (by a time) or ``at_end``."""

    name: str | None = None
    always: Check | None = None
    eventually: Check | None = None
    by: Duration | None = None
    at_end: Check | None = None

    @model_validator(mode="after")
    def _one(self) -> Expectation:
        given = [k for k in ("always", "eventually", "at_end") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an expectation needs exactly one of always, eventually, at_end")
        if self.eventually is not None and self.by is None:
            raise ValueError("'eventually' needs 'by'")
        return self

    @property
    def check(self) -> Check:
        return self.always or self.eventually or self.at_end  # type: ignore[return-value]

    @property
    def kind(self) -> str:
        return "always" if self.always else "eventually" if self.eventually else "at_end"


# ---------------------------------------------------------------- the scenario


class Scenario(Strict):
    """One runnable scenario."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: Int = Field(1, ge=0, le=MAX_SEED)
    duration: Duration = Field(gt=0, le=MAX_DURATION_S)
    crypto: Literal["full", "trusted"] = "trusted"
    power_on_spread: Duration = 60.0
    config_items: dict[ItemKey, str] = Field(default_factory=dict)
    fleet: list[Group] = Field(min_length=1)
    images: list[Image] = Field(default_factory=list)
    apps: list[App] = Field(default_factory=list)
    network: Network = Network()
    controller: Controller = Controller()
    timeline: list[Action] = Field(default_factory=list)
    expectations: list[Expectation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        problems: list[tuple[references.Loc, str]] = []
        seen: set[str] = set()
        for i, group in enumerate(self.fleet):
            if group.name in seen:
                problems.append((("fleet", i, "name"), f"group names must be unique: {group.name!r} is used twice"))
            seen.add(group.name)
        routers = self.network.routers_names()
        problems += [(("fleet", i, "attach"), f"group {g.name!r} attaches to {g.attach!r}, which a "
                      f"{self.network.topology} network does not have (routers: {', '.join(routers)})")
                     for i, g in enumerate(self.fleet) if g.attach is not None and g.attach not in routers]
        versions = {i.version for i in self.images} | {g.version for g in self.fleet}
        problems += [(("images", i, "version"), f"image versions must be unique: {image.version!r} is given twice")
                     for i, image in enumerate(self.images) if image.version in [m.version for m in self.images[:i]]]
        problems += [(("expectations", i, e.kind, "value"), f"no image {e.check.value!r}; versions: "
                      f"{', '.join(sorted(versions))}")
                     for i, e in enumerate(self.expectations)
                     if e.check.metric == "version" and e.check.value not in versions]
        problems += [(("timeline", i, "version"), f"{a.action} to {a.version!r}: no such image; add it under 'images'")
                     for i, a in enumerate(self.timeline)
                     if isinstance(a, (Update, Rollout)) and a.version not in versions]
        problems += _app_problems(self)
        if not problems:  # names are checked against a consistent fleet and network only
            problems = references.problems(self)
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, [
                InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=_at(self, loc))
                for loc, message in problems])
        return self


def _app_problems(scenario: Scenario) -> list[tuple[references.Loc, str]]:
    """Apps defined twice, and groups, actions and checks naming an app the scenario does not define."""
    names = [a.name for a in scenario.apps]
    known = ", ".join(names) or "none"
    problems: list[tuple[references.Loc, str]] = [
        (("apps", i, "name"), f"app names must be unique: {name!r} is used twice")
        for i, name in enumerate(names) if name in names[:i]]
    problems += [(("fleet", i, "apps", j), f"no app {name!r}; define it under 'apps' (apps: {known})")
                 for i, g in enumerate(scenario.fleet) for j, name in enumerate(g.apps) if name not in names]
    problems += [(("timeline", i, "app"),
                  f"{a.action} of {a.app!r}: no such app; define it under 'apps' (apps: {known})")
                 for i, a in enumerate(scenario.timeline)
                 if isinstance(a, (DeployApp, AppCommand)) and a.app not in names]
    problems += [(("expectations", i, e.kind, "app"), f"no app {e.check.app!r}; define it under 'apps' (apps: {known})")
                 for i, e in enumerate(scenario.expectations)
                 if e.check.app is not None and e.check.app not in names]
    return problems


def _at(scenario: Scenario, loc: references.Loc) -> object:
    """The value at ``loc`` in a scenario (for an error's ``input``)."""
    node: object = scenario
    for part in loc:
        node = node[part] if isinstance(part, int) else getattr(node, part)  # type: ignore[index]
    return node


def schema() -> dict:
    """The JSON Schema of the scenario language."""
    return Scenario.model_json_schema()

