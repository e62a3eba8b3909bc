"""The field types every part of a scenario uses: units, names, versions, event kinds, closed sets, targets."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from evesim.api import units
from evesim.api.vocab import EVENT_KINDS, EventKind
from evesim.sim.events import WORLD_KINDS

Duration = Annotated[float, BeforeValidator(units.duration)]
Bandwidth = Annotated[float, BeforeValidator(units.bandwidth)]
Size = Annotated[int, BeforeValidator(units.size)]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")]
Version = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+~-]{0,99}$")]
"""An EVE version as it goes into image URLs and ``base_os_version`` (``14.5.1``, ``14.6.0-rc1``)."""
ItemKey = Annotated[str, Field(min_length=1)]
Int = Annotated[int, Field(strict=True)]
"""A count or an index: ``true`` is not 1."""
FieldValue = str | int | float | bool
"""A value an event field is matched against."""


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are frozen, numbers finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _near(value: str, known: Collection[str], n: int) -> str:
    """`` or 'b'`` hint text naming up to ``n`` entries of ``known`` close to ``value`` (empty if none)."""
    close = difflib.get_close_matches(value, sorted(known), n=n)
    return " or ".join(repr(c) for c in close)


def _known_kind(value: object) -> object:
    """``value`` if evesim logs events of that kind, else a ValueError with the nearest kinds."""
    if not isinstance(value, str):
        raise ValueError(f"expected an event kind, got {value!r}")
    if value not in EVENT_KINDS:
        near = _near(value, EVENT_KINDS, 3)
        hint = f"; did you mean {near}?" if near else ""
        raise ValueError(f"no event kind {value!r}{hint} (kinds: docs/scenario-language.md)")
    return value


def _device_kind(value: object) -> object:
    """``value`` if devices log events of that kind (world events cannot trigger per-device actions)."""
    if value in WORLD_KINDS:
        raise ValueError(f"{value!r} events come from the world, not from a device: a 'when' trigger follows "
                         "device events (count world events with an 'events' expectation)")
    return _known_kind(value)


AnyEventKind = Annotated[EventKind, BeforeValidator(_known_kind)]
"""An event kind evesim logs."""
DeviceEventKind = Annotated[EventKind, BeforeValidator(_device_kind)]
"""An event kind a device logs (not the world)."""


def one_of(what: str, known: tuple[str, ...]) -> BeforeValidator:
    """A validator refusing a value outside ``known`` with a message naming ``what`` and the nearest value."""

    def check(value: object) -> object:
        if isinstance(value, str) and value in known:
            return value
        near = _near(value, known, 1) if isinstance(value, str) else ""
        hint = f" (did you mean {near}?)" if near else ""
        raise ValueError(f"{what} has no value {value!r}; one of {', '.join(known)}{hint}")

    return BeforeValidator(check)


def only_known(value: list[str], known: Collection[str], what: str) -> list[str]:
    """``value`` if every entry is in ``known``, else a ValueError naming the unknown ones and the known."""
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; known: {sorted(known)}")
    return value


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
