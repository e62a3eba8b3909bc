"""Named fixes: improvements on EVE's behaviour, each off by default and switched on per scenario or run.

A twin answers as EVE does, bugs included; a fix lets a user see what an improvement would change.
Each names the upstream issue, pull request or source it relates to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Fix = Literal["release-app-hold", "retry-on-increase", "failed-version-memory", "unused-before-write",
              "maintenance-reread", "config-device-check", "config-timestamp-floor"]
"""The fixes evesim knows."""


@dataclass(frozen=True, kw_only=True)
class FixInfo:
    """What a fix changes, in one line, and the upstream reference it corresponds to."""

    summary: str
    upstream: str
    since: str | None = None
    """The first EVE release that has the fix: devices running it or later behave so without asking."""


FIXES: dict[Fix, FixInfo] = {
    "release-app-hold": FixInfo(
        summary="app changes held during a base OS activation apply once that update has failed",
        upstream="lf-edge/eve#6461 (pkg/pillar/cmd/zedagent/parseconfig.go parseConfig, skipConfigUpdate)"),
    "retry-on-increase": FixInfo(
        summary="only an increase of the base OS retry counter retries a failed update (a lower counter from "
                "lastconfig.bak cannot start a retry loop)",
        upstream="pkg/pillar/cmd/baseosmgr/handlebaseos.go handleUpdateRetryCounter"),
    "failed-version-memory": FixInfo(
        summary="a failed base OS version is remembered by version, not only by the other partition being "
                "inprogress, until the base OS leaves the config",
        upstream="pkg/pillar/cmd/baseosmgr/handlebaseos.go validatePartition, isImageInErrorState"),
    "unused-before-write": FixInfo(
        summary="a partition still marked updating is marked unused before a newer image is written over it "
                "(a reboot meanwhile cannot try the half-written image)",
        upstream="pkg/pillar/cmd/baseosmgr/handlebaseos.go doBaseOsActivate"),
    "maintenance-reread": FixInfo(
        summary="leaving maintenance mode forgets the config hash and fetches the config at once, so a config "
                "received during maintenance is applied",
        upstream="lf-edge/eve#6298, commit df6bdd01f (pkg/pillar/cmd/zedagent/handleconfig.go "
                 "forgetConfigHashOnLeavingMaintenanceMode)",
        since="17.3.0"),
    "config-device-check": FixInfo(
        summary="a config whose id names another device is refused, not applied or saved (a signed config "
                "recorded for one device cannot be replayed to another)",
        upstream="pkg/pillar/cmd/zedagent/parseconfig.go, which never compares config.Id with the device's "
                 "UUID"),
    "config-timestamp-floor": FixInfo(
        summary="after a reboot, a config older than the checkpointed one (lastconfig) is skipped as obsolete, "
                "as one older than the applied config already is within a boot (a recorded config cannot be "
                "replayed after a reboot to roll the device back)",
        upstream="pkg/pillar/cmd/zedagent/parseconfig.go parseConfig, whose lastConfigTimestamp lives in memory "
                 "(handleconfig.go getconfigContext) and starts at zero each boot"),
}
KNOWN: tuple[Fix, ...] = get_args(Fix)


def active(fix: Fix, chosen: frozenset[Fix], running: str) -> bool:
    """True if ``fix`` was chosen, or the ``running`` EVE version is a release that has it."""
    since = FIXES[fix].since
    return fix in chosen or (since is not None and _release(running) >= _release(since))


def _release(version: str) -> tuple[int, ...]:
    """The numeric release of an EVE version (``17.3.0-lts`` → (17, 3, 0)); () when it has none."""
    numbers = []
    for part in version.split("-", 1)[0].split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


def unknown(names: list[str] | tuple[str, ...]) -> str | None:
    """An error naming the unknown fixes among ``names`` and the known ones, or None if all are known."""
    bad = [name for name in names if name not in KNOWN]
    if not bad:
        return None
    return f"unknown fix {', '.join(repr(b) for b in bad)}; known fixes: {', '.join(KNOWN)}"
