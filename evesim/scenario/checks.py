"""Expectations and their checks: one model per ``metric``, joined in a union tagged by it.

A check counts devices (of its ``target``) or campaigns and holds when the count, or its fraction
of the population, is within its bounds; a key another metric takes is refused.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from evesim.scenario import infopath
from evesim.scenario.fields import AnyEventKind, Duration, FieldValue, Name, Strict, Target, one_of
from evesim.scenario.vocab import (
    APP_STATES,
    CAMPAIGN_STATES,
    DEVICE_STATES,
    LED_NAMES,
    OUTCOMES,
    AppState,
    CampaignState,
    DeviceState,
    ExpectationKind,
    LedName,
    Outcome,
)


class Bounds(Strict):
    """The bounds every check has: counts (``min``, ``max``) or fractions of the population."""

    min: float | None = None
    max: float | None = None
    min_fraction: float | None = Field(None, ge=0.0, le=1.0)
    max_fraction: float | None = Field(None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _bounded(self) -> Bounds:
        if self.min is None and self.max is None and self.min_fraction is None and self.max_fraction is None:
            raise ValueError("a check needs min, max, min_fraction or max_fraction")
        return self


class DeviceCheck(Bounds):
    """A check counting the devices of ``target`` (the whole fleet by default)."""

    target: Target = Target()


class Onboarded(DeviceCheck):
    """Devices the controller has onboarded."""

    metric: Literal["onboarded"]


class Bricked(DeviceCheck):
    """Devices that are bricked."""

    metric: Literal["bricked"]


class Reboots(DeviceCheck):
    """Reboots of the target's devices, summed (each device's boots after its first)."""

    metric: Literal["reboots"]


class RunningVersion(DeviceCheck):
    """Devices running EVE version ``value`` (an image of the scenario)."""

    metric: Literal["version"]
    value: str


class UpdateOutcome(DeviceCheck):
    """Devices whose update ended in outcome ``value``."""

    metric: Literal["outcome"]
    value: Annotated[Outcome, one_of("metric 'outcome'", OUTCOMES)]


class State(DeviceCheck):
    """Devices in state ``value``."""

    metric: Literal["state"]
    value: Annotated[DeviceState, one_of("metric 'state'", DEVICE_STATES)]


class Led(DeviceCheck):
    """Devices whose LED shows ``value``."""

    metric: Literal["led"]
    value: Annotated[LedName, one_of("metric 'led'", LED_NAMES)]


class Events(DeviceCheck):
    """Events of kind ``value`` (and ``fields``) from the target's devices, and from ``world`` when the
    target is the whole fleet."""

    metric: Literal["events"]
    value: AnyEventKind
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    """Count only events with these field values (as in ``when``)."""


class Info(DeviceCheck):
    """Devices whose latest ``ZInfoDevice`` at the controller has ``value`` (or a value matching ``match``)
    at ``path``, like Eden's lim: ``swList[0].shortVersion``, ``swList[*].userStatus``."""

    metric: Literal["info"]
    path: str
    value: str | None = None
    match: str | None = None
    """A regular expression the value must fully match (instead of ``value``)."""

    @model_validator(mode="after")
    def _path_and_one_value(self) -> Info:
        infopath.parse(self.path)
        if (self.value is None) == (self.match is None):
            raise ValueError("metric 'info' needs exactly one of 'value' and 'match'")
        if self.match is not None:
            try:
                re.compile(self.match)
            except re.error as exc:
                raise ValueError(f"'match' is not a regular expression: {exc}") from None
        return self


class AppInstance(DeviceCheck):
    """Devices whose instance of ``app`` is in state ``value`` (a ``ZSwState`` name)."""

    metric: Literal["app"]
    app: Name
    value: Annotated[AppState, one_of("metric 'app'", APP_STATES)]


class Campaigns(Bounds):
    """Rollout campaigns in state ``value``: campaigns are counted, the population is every campaign."""

    metric: Literal["rollout"]
    value: Annotated[CampaignState, one_of("metric 'rollout'", CAMPAIGN_STATES)]


AnyCheck = (Onboarded | Bricked | Reboots | RunningVersion | UpdateOutcome | State | Led | Events | Info | AppInstance
            | Campaigns)
"""Every kind of check."""
Check = Annotated[AnyCheck, Field(discriminator="metric")]
"""A check as a scenario gives it, its kind picked by ``metric``."""


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
    def check(self) -> AnyCheck:
        """The one check given."""
        check = self.always or self.eventually or self.at_end
        assert check is not None  # the validator made sure one is given
        return check

    @property
    def kind(self) -> ExpectationKind:
        return "always" if self.always else "eventually" if self.eventually else "at_end"
