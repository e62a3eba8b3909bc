"""Rollout campaigns in simulated time: start one on the world's controller, tick it, log what it does.

Campaign events go into the event log as device ``world``, agent ``rollout``, kinds ``created``,
``batch_started``, ``batch_settled``, ``halted``, ``resumed``, ``done`` (or ``refused``).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import simpy

from evesim.api.vocab import Severity
from evesim.controller.rollout import Campaign, Plan, RolloutConflict, RolloutError, RolloutEvent
from evesim.sim.ports import Fleet, Member

TICK_S = 30.0
"""How often (simulated seconds) the world advances a campaign."""
AGENT = "rollout"


def launch(world: Fleet, devices: Sequence[Member], version: str, *, batch_size: tuple[int, ...] = (),
           batch_fraction: tuple[float, ...] = (), wait_s: float = 0.0, deadline_s: float = 3600.0,
           halt_failure_rate: float = 0.0, every_s: float = TICK_S) -> Campaign | None:
    """Roll the published image ``version`` out to the onboarded ``devices`` (in their order).

    Devices without a UUID yet are left out (counted in the ``created`` event as ``not_onboarded``).
    A campaign the controller refuses is logged as ``refused`` and None is returned.
    """
    image = world.images[world.image_url(version)]
    uuids = tuple(d.uuid for d in devices if d.uuid)
    try:
        plan = Plan(uuids, version, world.image_url(version), image.sha256, image.size_bytes, batch_size=batch_size,
                    batch_fraction=batch_fraction, wait_s=wait_s, deadline_s=deadline_s,
                    halt_failure_rate=halt_failure_rate)
        campaign = world.core.rollouts.create(plan)
    except (RolloutError, RolloutConflict) as exc:
        world.log.append(world.env.now, "world", AGENT, "refused", {"version": version, "error": str(exc)}, "error")
        return None
    _log(world, campaign.events[:1], not_onboarded=len(devices) - len(uuids))
    _log(world, campaign.events[1:])
    world.env.process(_drive(world, campaign, every_s))
    return campaign


def _drive(world: Fleet, campaign: Campaign, every_s: float) -> Generator[simpy.Event, Any, None]:
    """Tick the campaign every ``every_s`` until it is done (a halted one may still be resumed).

    Logs every campaign event since the last tick, also those of halts and resumes made elsewhere.
    """
    logged = len(campaign.events)
    while campaign.state != "done":
        yield world.env.timeout(every_s)
        campaign.tick(world.core, world.wall_clock())
        _log(world, campaign.events[logged:])
        logged = len(campaign.events)


def _log(world: Fleet, events: Sequence[RolloutEvent], **extra: Any) -> None:
    for event in events:
        severity: Severity = "warning" if event.kind == "halted" else "info"
        world.log.append(world.env.now, "world", AGENT, event.kind,
                         {"rollout": event.rollout, **event.fields, **extra}, severity)
