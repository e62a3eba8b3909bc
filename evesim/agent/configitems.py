"""EVE's global config items (``pkg/pillar/types/global.go``): specs with defaults and ranges, and the parse rules.

Every config starts from the defaults, so an item the controller stops sending reverts to
its default; a value that does not parse or is out of range keeps the previous value and is
reported with an error; unknown keys are reported separately.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

U32_MAX = 2**32 - 1

SpecKind = Literal["int", "bool", "str", "enabled"]
IntItem = Literal[
    "timer.config.interval", "timer.metric.interval", "timer.deviceinfo.interval", "timer.cert.interval",
    "timer.hardwarehealth.interval", "timer.location.cloud.interval", "timer.ntpsources.interval",
    "timer.send.timeout", "timer.dial.timeout", "timer.reboot.no.network", "timer.update.fallback.no.network",
    "timer.test.baseimage.update", "timer.vault.ready.cutoff", "timer.gc.vdisk", "timer.download.retry",
    "timer.download.stalled", "timer.boot.retry", "timer.port.testduration", "timer.port.testinterval",
    "timer.port.testbetterinterval", "timer.port.timeout", "network.download.max.cost",
    "blob.download.max.retries", "force.fallback.counter", "newlog.gzipfiles.ondisk.maxmegabytes",
    "storage.dom0.disk.minusage.percent", "storage.dom0.disk.maxusagebytes", "timer.metric.diskscan.interval",
]
"""The integer items (``GlobalConfig.int`` takes only these)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    """One config item: its kind and default/range."""

    kind: SpecKind
    default: int | bool | str
    lo: int = 0
    hi: int = U32_MAX


def _t(default: int, lo: int, hi: int = U32_MAX) -> Spec:
    return Spec(kind="int", default=default, lo=lo, hi=hi)


SPECS: dict[str, Spec] = {
    "timer.config.interval": _t(60, 5, 86400),
    "timer.metric.interval": _t(60, 5, 3600),
    "timer.deviceinfo.interval": _t(600, 30),
    "timer.cert.interval": _t(86400, 60),
    "timer.hardwarehealth.interval": _t(43200, 21600),
    "timer.location.cloud.interval": _t(3600, 300),
    "timer.ntpsources.interval": _t(600, 60),
    "timer.send.timeout": _t(120, 0, 3600),
    "timer.dial.timeout": _t(10, 0, 3600),
    "timer.reboot.no.network": _t(604800, 120),
    "timer.update.fallback.no.network": _t(300, 60),
    "timer.test.baseimage.update": _t(600, 30, 3600),
    "timer.vault.ready.cutoff": _t(300, 60),
    "timer.gc.vdisk": _t(3600, 60),
    "timer.download.retry": _t(600, 60),
    "timer.download.stalled": _t(600, 20),
    "timer.boot.retry": _t(600, 10),
    "timer.port.testduration": _t(30, 10, 3600),
    "timer.port.testinterval": _t(300, 300, 3600),
    "timer.port.testbetterinterval": _t(600, 0),
    "timer.port.timeout": _t(15, 0, 3600),
    "network.download.max.cost": _t(0, 0, 255),
    "blob.download.max.retries": _t(5, 1, 10),
    "force.fallback.counter": _t(0, 0),
    "newlog.gzipfiles.ondisk.maxmegabytes": _t(2048, 10),
    "storage.dom0.disk.minusage.percent": _t(20, 20, 80),
    "storage.dom0.disk.maxusagebytes": _t(2 * 1024**3, 100 * 1024**2),
    "timer.metric.diskscan.interval": _t(300, 5, 3600),
    "network.fallback.any.eth": Spec(kind="enabled", default="disabled"),
    "maintenance.mode": Spec(kind="enabled", default=""),
    "debug.enable.ssh": Spec(kind="str", default=""),
    "debug.enable.usb": Spec(kind="bool", default=True),
    "debug.enable.vga": Spec(kind="bool", default=True),
    "debug.enable.console": Spec(kind="bool", default=True),
    "debug.default.loglevel": Spec(kind="str", default="info"),
    "debug.default.remote.loglevel": Spec(kind="str", default="warning"),
}


CONTROLLER_DEFAULTS: dict[str, int | bool | str] = {
    "debug.enable.usb": False,
    "debug.enable.vga": False,
    "debug.enable.console": False,
}
"""Defaults that change once config comes from the controller (true only at first boot/bootstrap)."""


@dataclass(frozen=True, slots=True)
class ItemStatus:
    """How one item ended up: its raw value and the parse error, if any."""

    value: str
    error: str = ""


class GlobalConfig(Mapping[str, int | bool | str]):
    """Typed config item values (immutable); missing keys give their defaults."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, int | bool | str] | None = None) -> None:
        self._values = {key: spec.default for key, spec in SPECS.items()}
        if values:
            self._values.update(values)

    def __getitem__(self, key: str) -> int | bool | str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def int(self, key: IntItem) -> int:
        """An integer item."""
        value = self._values[key]
        assert isinstance(value, int)
        return value


DEFAULTS = GlobalConfig()


def parse_value(spec: Spec, raw: str) -> int | bool | str:
    """Parse ``raw`` per ``spec``; raise ValueError with EVE-like wording when it fails."""
    if spec.kind == "int":
        value = int(raw.strip(), 10)
        if not spec.lo <= value <= spec.hi:
            raise ValueError(f"value {value} out of range [{spec.lo}, {spec.hi}]")
        return value
    if spec.kind == "bool":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"invalid boolean {raw!r}")
        return lowered == "true"
    if spec.kind == "enabled":
        if raw not in ("enabled", "disabled", ""):
            raise ValueError(f"invalid value {raw!r}, want enabled or disabled")
        return raw
    return raw


def parse_items(
    items: Iterable[tuple[str, str]], previous: GlobalConfig = DEFAULTS
) -> tuple[GlobalConfig, dict[str, ItemStatus], dict[str, ItemStatus]]:
    """Apply controller config items; returns (config, status of known items, unknown items)."""
    values: dict[str, int | bool | str] = dict(CONTROLLER_DEFAULTS)
    status: dict[str, ItemStatus] = {}
    unknown: dict[str, ItemStatus] = {}
    for key, raw in items:
        spec = SPECS.get(key)
        if spec is None:
            unknown[key] = ItemStatus(raw)
            continue
        try:
            values[key] = parse_value(spec, raw)
            status[key] = ItemStatus(raw)
        except ValueError as exc:
            values[key] = previous[key]
            status[key] = ItemStatus(raw, str(exc))
    return GlobalConfig(values), status, unknown
