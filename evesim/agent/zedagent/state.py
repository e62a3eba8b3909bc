"""State shared by zedagent's tasks (as EVE's ``zedagentContext`` is shared by its goroutines)."""

from __future__ import annotations

from dataclasses import dataclass, field

from evesim.agent.configitems import GlobalConfig
from evesim.agent.controllerconn import ENVELOPE_FAILURES, Conn, Reply
from evesim.agent.effects import Hardware
from evesim.agent.fixes import Fix
from evesim.agent.topics import Maintenance
from evesim.api import pb


@dataclass(slots=True)
class CloudCounters:
    """Per-agent success/failure counts of controller requests (``zedcloudMetric``)."""

    success: int = 0
    failures: int = 0
    last_success: float = 0.0
    last_failure: float = 0.0
    auth_verify_failures: int = 0

    def count(self, reply: Reply, wall: float) -> None:
        """Account one exchange."""
        if reply.ok:
            self.success += 1
            self.last_success = wall
        else:
            self.failures += 1
            self.last_failure = wall
            if reply.sender in ENVELOPE_FAILURES:
                self.auth_verify_failures += 1


@dataclass(slots=True)
class Zedagent:
    """What zedagent's tasks share."""

    conn: Conn
    uuid: str
    hardware: Hardware
    config: GlobalConfig = field(default_factory=GlobalConfig)
    config_hash: str = ""
    config_received_at: float | None = None
    config_processed_at: float | None = None
    counters: CloudCounters = field(default_factory=CloudCounters)
    last_uuid_retry: float = 0.0
    """When ``/uuid`` was last asked after a 400/404; zedagent's start until then (EVE's ``lastDevUUIDChange``)."""
    attestation_tries: int = 0
    """Quotes sent to the controller this boot (EVE's ``attestationTryCount``)."""
    fixes: frozenset[Fix] = frozenset()
    """Named improvements on EVE's behaviour switched on for this run (``evesim.agent.fixes``)."""
    reread: bool = False
    """Leaving maintenance mode re-reads the config (fix ``maintenance-reread``, or an EVE release with it)."""
    maintenance_api: bool = False
    """The config's ``maintenance_mode`` flag (EVE's ``apiMaintenanceMode``)."""
    local_maintenance: tuple[pb.info.MaintenanceModeReason, ...] = ()
    """nodeagent's reasons as zedagent last took them (EVE's ``localMaintModeReasons``)."""
    maintenance: Maintenance = field(default_factory=Maintenance)
    """The merged maintenance mode and the reasons reported (EVE's ``maintenanceMode``, ``maintModeReasons``)."""
    maintenance_at_last_fetch: bool = False
    """Maintenance mode as the config task saw it at its last fetch (EVE's ``prevMaintenanceMode``)."""
