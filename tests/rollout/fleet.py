"""A scripted fleet for campaign tests: what each device will report, and when."""

from __future__ import annotations

from dataclasses import dataclass, field

from evesim.api import pb
from evesim.controller import UnknownDevice

VERSION = "14.6.0"
SHA = "ab" * 32


@dataclass
class Script:
    """A device reports ``status`` for ``version`` once ``delay`` seconds have passed after it was asked."""

    status: int | None = pb.info.UPDATED
    delay: float = 100.0
    version: str = VERSION


@dataclass
class FakeFleet:
    """Implements ``rollout.Fleet``: scripted reports, a record of every base-OS edit."""

    scripts: dict[str, Script]
    now: float = 0.0
    asked: dict[str, float] = field(default_factory=dict)
    edits: list[tuple[float, str]] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)

    def device_uuids(self) -> list[str]:
        return [u for u in self.scripts if u not in self.removed]

    def set_base_os(self, dev_uuid: str, version: str, *, url: str, sha256: str, size_bytes: int) -> int:
        if dev_uuid in self.removed:
            raise UnknownDevice(dev_uuid)
        self.asked.setdefault(dev_uuid, self.now)
        self.edits.append((self.now, dev_uuid))
        return len(self.edits)

    def latest_device_info(self, dev_uuid: str) -> pb.info.ZInfoDevice | None:
        if dev_uuid in self.removed:
            raise UnknownDevice(dev_uuid)
        script = self.scripts[dev_uuid]
        info = pb.info.ZInfoDevice()
        info.swList.add(shortVersion="14.5.1", userStatus=pb.info.UPDATED, partitionLabel="IMGA")
        asked = self.asked.get(dev_uuid)
        if script.status is not None and asked is not None and self.now >= asked + script.delay:
            info.swList.add(shortVersion=script.version, userStatus=script.status, partitionLabel="IMGB")
        return info


def fleet(n: int, **overrides: Script) -> FakeFleet:
    """``n`` devices d00, d01, ... that update after 100 s unless overridden."""
    scripts = {f"d{i:02d}": Script() for i in range(n)}
    scripts.update(overrides)
    return FakeFleet(scripts)
