"""Boot reasons as EVE's nodeagent records them (``types.BootReason``) and their wire values."""

from __future__ import annotations

from enum import IntEnum
from typing import cast

from evesim.api import pb


class BootReason(IntEnum):
    """EVE's boot reasons (``pkg/pillar/types/zedagenttypes.go``); the values are the wire values."""

    NONE = 0
    FIRST = 1
    REBOOT_CMD = 2
    UPDATE = 3
    FALLBACK = 4
    DISCONNECT = 5
    FATAL = 6
    OOM = 7
    WATCHDOG_HUNG = 8
    WATCHDOG_PID = 9
    KERNEL = 10
    POWER_FAIL = 11
    UNKNOWN = 12
    VAULT_FAILED = 13
    POWEROFF_CMD = 14
    KUBE_TRANSITION = 15
    HW_WATCHDOG = 16
    PARSE_FAIL = 255

    def to_proto(self) -> pb.info.BootReason:
        """The ``info.BootReason`` value sent to the controller, as is.

        EVE's ``PublishDeviceInfoToZedCloud`` (``pkg/pillar/cmd/zedagent/reportinfo.go``) casts the number,
        so HW_WATCHDOG goes out as 16, a value ``info.proto`` does not name.
        """
        return cast(pb.info.BootReason, int(self))

    @property
    def uses_bak_config(self) -> bool:
        """After these EVE's ``StartWithSavedConfig`` (``pkg/pillar/types/zedagenttypes.go``) is false: start from
        ``lastconfig.bak``."""
        return self in _BAK


_BAK = frozenset(
    {
        BootReason.NONE,
        BootReason.FIRST,
        BootReason.FALLBACK,
        BootReason.FATAL,
        BootReason.OOM,
        BootReason.WATCHDOG_HUNG,
        BootReason.WATCHDOG_PID,
        BootReason.VAULT_FAILED,
        BootReason.HW_WATCHDOG,
    }
)


def parse(raw: bytes | None) -> BootReason | None:
    """A persisted boot-reason file; None if absent, PARSE_FAIL if unreadable."""
    if raw is None:
        return None
    try:
        return BootReason(int(raw.strip()))
    except ValueError:
        return BootReason.PARSE_FAIL
