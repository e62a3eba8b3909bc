"""What an update did to a device, as an operator would classify it at the end of a run."""

from __future__ import annotations

from typing import Literal, get_args

from evesim.api import pb
from evesim.controller import UnknownDevice
from evesim.sim.ports import Fleet, Member

Outcome = Literal["updated", "rolled_back", "failed", "bricked", "pending", "unchanged"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
"""``updated``: runs the version asked for; ``rolled_back``: booted it, fell back, reports FAILED;
``failed``: reports FAILED without having booted it (download, write, version check);
``bricked``: nothing bootable; ``pending``: none of these yet; ``unchanged``: no update asked."""


def wanted_version(world: Fleet, device: Member) -> str | None:
    """The base OS version the controller asks this device for, if any."""
    if not device.uuid:
        return None
    try:
        config = world.core.config(device.uuid)
    except UnknownDevice:
        return None
    return config.baseos.base_os_version or None


def reports_failed(world: Fleet, device: Member, version: str) -> bool:
    """True if the controller's latest info from the device reports ``version`` as FAILED."""
    info = world.core.latest_device_info(device.uuid)
    if info is None:
        return False
    return any(sw.shortVersion == version and sw.userStatus == pb.info.FAILED for sw in info.swList)


def classify(world: Fleet, device: Member) -> Outcome:
    """The device's outcome (one of ``OUTCOMES``)."""
    if device.state == "bricked":
        return "bricked"
    wanted = wanted_version(world, device)
    if wanted is None:
        return "unchanged"
    running = device.running_version
    if running == wanted:
        return "updated"
    if running and reports_failed(world, device, wanted):
        return "rolled_back" if wanted in device.booted_versions else "failed"
    return "pending"
