"""Named fixes: improvements on EVE's behaviour, each off by default and switched on per scenario or run.

A twin answers as EVE does, bugs included; a fix lets a user see what an improvement would change.
Each names the upstream issue, pull request or source it relates to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Fix = Literal["release-app-hold", "retry-on-increase", "failed-version-memory", "unused-before-write"]
"""The fixes evesim knows."""


@dataclass(frozen=True, kw_only=True)
class FixInfo:
    """What a fix changes, in one line, and the upstream reference it corresponds to."""

    summary: str
    upstream: str


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
}
KNOWN: tuple[Fix, ...] = get_args(Fix)


def unknown(names: list[str] | tuple[str, ...]) -> str | None:
    """An error naming the unknown fixes among ``names`` and the known ones, or None if all are known."""
    bad = [name for name in names if name not in KNOWN]
    if not bad:
        return None
    return f"unknown fix {', '.join(repr(b) for b in bad)}; known fixes: {', '.join(KNOWN)}"
