"""Rollout campaigns in simulated time: launched and ticked at the world's boundaries, logged as they go.

A campaign acts only at boundaries (every ``TICK_S`` of simulated time, after everything else at that
instant): a rollout starts at the first boundary at or after the time it is asked for. What campaigns read of their
devices (their UUIDs, the software their latest info reports) comes from a ``Report`` gathered from every
part of the fleet at the boundary, so a fleet split over processes decides exactly as one process does.

Campaign events go into the event log as device ``world``, agent ``rollout``, kinds ``created``,
``batch_started``, ``batch_settled``, ``halted``, ``resumed``, ``done`` (or ``refused``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from evesim.api import pb
from evesim.api.vocab import Severity
from evesim.controller import devconfig
from evesim.controller.rollout import Campaign, Plan, RolloutConflict, RolloutError, RolloutEvent
from evesim.sim.ports import Fleet, Member

TICK_S = 30.0
"""How often (simulated seconds) the world advances its campaigns: the boundaries of a sharded run's windows."""
AGENT = "rollout"

Software = tuple[tuple[str, int], ...]
"""A device's base OS list as its latest info reports it: (short version, user status) pairs."""


class Named(Member, Protocol):
    """A device a campaign can be launched at."""

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class Launch:
    """A rollout asked for: the devices (by name, in order), the version and how."""

    names: tuple[str, ...]
    version: str
    batch_size: tuple[int, ...] = ()
    batch_fraction: tuple[float, ...] = ()
    wait_s: float = 0.0
    deadline_s: float = 3600.0
    halt_failure_rate: float = 0.0


@dataclass
class Report:
    """What one part of the fleet tells the campaigns at a boundary."""

    uuids: dict[str, str] = field(default_factory=dict)
    """Device name → UUID, for the onboarded devices of the launches waiting."""
    software: dict[str, Software | None] = field(default_factory=dict)
    """UUID → its latest info's base OS list (None: no info yet), for devices of launches and active campaigns."""

    @staticmethod
    def merge(reports: Iterable[Report]) -> Report:
        """One report from those of every part of the fleet."""
        merged = Report()
        for report in reports:
            merged.uuids.update(report.uuids)
            merged.software.update(report.software)
        return merged


class Campaigns:
    """The world's rollout campaigns: launches waiting for a boundary, and ticking the controller's campaigns."""

    def __init__(self, world: Fleet, devices: Sequence[Named]) -> None:
        self.world = world
        self.devices = devices
        """The devices this part of the fleet runs."""
        self.pending: list[Launch] = []
        self._logged: dict[str, int] = {}

    @property
    def busy(self) -> bool:
        """True if a boundary has anything to do: a launch waiting or a campaign not done."""
        return bool(self.pending) or any(c.state != "done" for c in self.world.core.rollouts.list())

    def request(self, launch: Launch) -> None:
        """Launch a campaign at the first boundary from now (now, if this is one)."""
        self.pending.append(launch)

    def report(self) -> Report:
        """What this part of the fleet knows of the devices the campaigns need."""
        wanted = {name for launch in self.pending for name in launch.names}
        active = {u for c in self.world.core.rollouts.list() if c.state != "done" for u in c.plan.devices}
        report = Report()
        for device in self.devices:
            if device.uuid and (device.name in wanted or device.uuid in active):
                report.uuids[device.name] = device.uuid
                report.software[device.uuid] = _software(self.world.core.latest_device_info(device.uuid))
        return report

    def settle(self, report: Report) -> None:
        """At a boundary: tick the campaigns under way, then launch those asked for since the last one."""
        rollouts = self.world.core.rollouts
        rollouts.fleet = _ReportedFleet(self.world, report, {d.uuid for d in self.devices if d.uuid})
        try:
            rollouts.tick()
            for campaign in rollouts.list():
                self._log_new(campaign)
            pending, self.pending = self.pending, []
            for launch in pending:
                self._launch(launch, report)
        finally:
            rollouts.fleet = self.world.core

    def _launch(self, launch: Launch, report: Report) -> None:
        world = self.world
        image = world.images[world.image_url(launch.version)]
        uuids = tuple(report.uuids[n] for n in launch.names if n in report.uuids)
        try:
            plan = Plan(uuids, launch.version, world.image_url(launch.version), image.sha256, image.size_bytes,
                        batch_size=launch.batch_size, batch_fraction=launch.batch_fraction, wait_s=launch.wait_s,
                        deadline_s=launch.deadline_s, halt_failure_rate=launch.halt_failure_rate)
            campaign = world.core.rollouts.create(plan)
        except (RolloutError, RolloutConflict) as exc:
            world.log.append(world.env.now, "world", AGENT, "refused", {"version": launch.version, "error": str(exc)},
                             "error")
            return
        _log(world, campaign.events[:1], not_onboarded=len(launch.names) - len(uuids))
        _log(world, campaign.events[1:])
        self._logged[campaign.id] = len(campaign.events)

    def _log_new(self, campaign: Campaign) -> None:
        logged = self._logged.get(campaign.id, len(campaign.events))
        _log(self.world, campaign.events[logged:])
        self._logged[campaign.id] = len(campaign.events)


class _ReportedFleet:
    """The controller as campaigns see it at a boundary: the fleet's report for reading, and edits made only
    to the devices this part runs (the others' parts make the same edits to theirs)."""

    def __init__(self, world: Fleet, report: Report, local: set[str]) -> None:
        self.world = world
        self.report = report
        self.local = local

    def device_uuids(self) -> list[str]:
        return list(self.report.uuids.values())

    def set_base_os(self, dev_uuid: str, version: str, *, url: str, sha256: str, size_bytes: int) -> int:
        if dev_uuid in self.local:
            return self.world.core.set_base_os(dev_uuid, version, url=url, sha256=sha256, size_bytes=size_bytes)
        # Another part's device: check the edit as its controller will (the same refusal for every device).
        devconfig.set_base_os(pb.config.EdgeDevConfig(), version, url=url, sha256=sha256, size_bytes=size_bytes,
                              activate=True)
        return 0

    def latest_device_info(self, dev_uuid: str) -> pb.info.ZInfoDevice | None:
        if dev_uuid not in self.report.software:
            raise LookupError(dev_uuid)
        software = self.report.software[dev_uuid]
        if software is None:
            return None
        return pb.info.ZInfoDevice(swList=[pb.info.ZInfoDevSW(shortVersion=v, userStatus=s) for v, s in software])  # type: ignore[arg-type]


def _software(info: pb.info.ZInfoDevice | None) -> Software | None:
    return None if info is None else tuple((sw.shortVersion, sw.userStatus) for sw in info.swList)


def _log(world: Fleet, events: Sequence[RolloutEvent], **extra: object) -> None:
    for event in events:
        severity: Severity = "warning" if event.kind == "halted" else "info"
        world.log.append(world.env.now, "world", AGENT, event.kind,
                         {"rollout": event.rollout, **event.fields, **extra}, severity)
