"""zedagent: the device's link to the controller — config, attestation, info, metrics, certs."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.controllerconn import Conn
from evesim.agent.fixes import Fix, active
from evesim.agent.zedagent import attest, config, deferred, flowlog, maintenance, tasks
from evesim.agent.zedagent.state import Zedagent

AGENT = "zedagent"


def run(conn: Conn, fixes: frozenset[Fix] = frozenset()) -> Generator[Any, Any, None]:
    """Wait for onboarding, then start zedagent's tasks."""
    # EVE: pkg/pillar/cmd/zedagent/handleconfig.go lastDevUUIDChange = time.Now() at start: potentialUUIDUpdate
    # waits 10 min from zedagent's start
    started = yield fx.Now()
    onboarding = yield from topics.wait_for(topics.ONBOARDING)
    hardware = yield fx.HardwareInfo()
    conn.controller = (yield fx.Read(topics.CONTROLLER_CERTS)) or conn.controller
    view = yield fx.Partitions()
    z = Zedagent(conn=conn, uuid=onboarding.uuid, hardware=hardware, fixes=fixes, last_uuid_retry=started,
                 reread=active("maintenance-reread", fixes, view.versions.get(view.current) or ""))
    queue = deferred.Queue()
    yield fx.Log(AGENT, "started", {"uuid": z.uuid})
    yield fx.Spawn("zedagent.attest", attest.run(z))
    yield fx.Spawn("zedagent.info", tasks.device_info(z, queue))
    yield fx.Spawn("zedagent.appinfo", tasks.object_info(z, queue))
    yield fx.Spawn("zedagent.deferred", deferred.run(z, queue))
    yield fx.Spawn("zedagent.metrics", tasks.metrics(z))
    yield fx.Spawn("zedagent.certs", tasks.cert_refresh(z))
    yield fx.Spawn("zedagent.maintenance", maintenance.run(z))
    yield fx.Spawn("zedagent.flowlog", flowlog.run(z))
    yield from config.run(z)
