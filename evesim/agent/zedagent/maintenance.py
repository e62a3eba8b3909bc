"""zedagent's maintenance mode: the config item, the config's flag and nodeagent's reasons merged.

As EVE's ``mergeMaintenanceMode`` (``pkg/pillar/cmd/zedagent/parseconfig.go``): the ``maintenance.mode``
item overrides (``enabled``: on, user requested; ``disabled``: off, reason NONE); else the config's
flag (user requested) or nodeagent's local reasons.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.topics import Maintenance
from evesim.agent.zedagent.state import Zedagent
from evesim.api import pb

AGENT = "zedagent"
INFO = pb.info
Reasons = tuple[pb.info.MaintenanceModeReason, ...]


def merged(item: str, api: bool, local: Reasons) -> Maintenance:
    """The maintenance mode and reasons for config item value ``item``, config flag ``api`` and ``local``."""
    if item == "enabled":
        return Maintenance(True, (INFO.MAINTENANCE_MODE_REASON_USER_REQUESTED,))
    if item == "disabled":
        return Maintenance(False, (INFO.MAINTENANCE_MODE_REASON_NONE,))
    if api:
        return Maintenance(True, (INFO.MAINTENANCE_MODE_REASON_USER_REQUESTED,))
    return Maintenance(bool(local), local)


def take_local(z: Zedagent, local: Reasons) -> None:
    """Take nodeagent's reasons as EVE's ``handleNodeAgentStatusImpl`` does."""
    # EVE: pkg/pillar/cmd/zedagent/zedagent.go handleNodeAgentStatusImpl takes the new reasons only when the local
    # mode flips or the reasons are *equal* (a missing negation): a reason added or lifted while another stays is
    # not seen, so the reported reasons go stale until the mode changes
    if bool(local) != bool(z.local_maintenance) or sorted(local) == sorted(z.local_maintenance):
        z.local_maintenance = local


def remerge(z: Zedagent) -> Generator[Any, Any, None]:
    """Merge again; publish and log a change, and kick the config fetch on leaving (with ``maintenance-reread``)."""
    item = z.config["maintenance.mode"]
    now = merged(item if isinstance(item, str) else "", z.maintenance_api, z.local_maintenance)
    before = z.maintenance
    if now == before:
        return
    z.maintenance = now
    yield fx.Publish(topics.MAINTENANCE, now)
    if now.mode != before.mode:
        yield fx.Log(AGENT, "maintenance_mode", {"mode": now.mode,
                                                 "reasons": [INFO.MaintenanceModeReason.Name(r) for r in now.reasons]})
        # EVE: pkg/pillar/cmd/zedagent/parseconfig.go mergeMaintenanceMode triggerGetConfig (commit df6bdd01f)
        if not now.mode and z.reread:
            yield fx.Publish(topics.CONFIG_TRIGGER, (yield fx.Now()))


def run(z: Zedagent) -> Generator[Any, Any, None]:
    """Follow nodeagent's local reasons."""
    seen = 0
    while True:
        seen = yield fx.Wait((topics.NODE,), seen)
        node = yield fx.Read(topics.NODE)
        if node is not None:
            take_local(z, node.local_maintenance_reasons)
            yield from remerge(z)
