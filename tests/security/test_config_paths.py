"""Identifiers in a config never become paths outside the device's volumes (finding 2: an app UUID of
``../../../config/device.key.pem`` made the agent delete the device key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from google.protobuf import json_format

from evesim.agent import paths, topics
from evesim.agent.domainmgr import VOLUMES
from evesim.agent.zedagent.parse import NIL_UUID, eve_uuid, parse
from evesim.api import pb
from evesim.backends.statedir import StateDir
from evesim.controller import Controller, devconfig
from evesim.controller.adminauth import AdminGate
from evesim.controller.app import create_app
from evesim.sim.world import AppSpec, Group, World, WorldSpec

TRAVERSAL = "../../../config/device.key.pem"
UUID = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"


@pytest.mark.parametrize(("given", "read"), [
    (UUID, UUID), (UUID.upper(), UUID), ("{" + UUID + "}", UUID), ("urn:uuid:" + UUID, UUID),
    (UUID.replace("-", ""), UUID), (TRAVERSAL, NIL_UUID), ("", NIL_UUID), (UUID + "/..", NIL_UUID),
    ("6ba7b810-9dad11d1-80b4-00c04fd430c8x", NIL_UUID), ("URN:UUID:" + UUID, NIL_UUID),
])
def test_app_uuids_read_as_eve_reads_them(given: str, read: str) -> None:
    assert eve_uuid(given) == read


def test_a_hostile_app_uuid_stays_inside_the_volumes(tmp_path: Path) -> None:
    config = pb.config.EdgeDevConfig()
    config.apps.add(displayname="evil").uuidandversion.uuid = TRAVERSAL
    (app,) = parse(config).apps
    assert app.uuid == NIL_UUID
    state = StateDir(tmp_path)
    assert state.host_path(VOLUMES + app.uuid) == tmp_path / "persist/vault/volumes" / NIL_UUID
    assert state.host_path(VOLUMES + TRAVERSAL) == tmp_path / "config/device.key.pem", "what the raw UUID would hit"


@pytest.mark.parametrize("field", ["app", "volume", "content"])
def test_the_admin_api_refuses_such_a_config(ctl: Controller, device, field: str) -> None:
    device.register()
    client = TestClient(create_app(ctl, AdminGate("none")))
    before = ctl.config_version(device.uuid)
    config = pb.config.EdgeDevConfig()
    if field == "app":
        config.apps.add().uuidandversion.uuid = TRAVERSAL
    elif field == "volume":
        config.volumes.add(uuid=TRAVERSAL)
    else:
        config.contentInfo.add(uuid=TRAVERSAL)
    answer = client.put(f"/admin/device/{device.uuid}/config", content=json_format.MessageToJson(config))
    assert answer.status_code == 400 and "is not a UUID" in answer.json()["detail"]
    assert ctl.config_version(device.uuid) == before


def test_a_hostile_config_delivered_to_a_running_device_changes_no_file_outside_the_volumes(monkeypatch) -> None:
    """A compromised controller (its own check switched off) sends the traversal UUID to a device running an app:
    as EVE, the agent reads it as the nil UUID, keeps its key and keeps fetching config."""
    world = World(WorldSpec(seed=3, groups=(Group("dev", 1, apps=("web",)),), power_on_spread_s=0.0,
                            apps=(AppSpec("web", size_bytes=10_000_000, memory_kb=256 * 1024),)))
    world.start()
    world.run(900.0)
    device = world.devices[0]
    key = device.hw.fs.read(paths.DEVICE_CERT)
    assert key and [a.name for a in device.bus.get(topics.APP_STATUS)] == ["web"]
    hostile = world.core.config(device.uuid)
    hostile.apps[0].uuidandversion.uuid = TRAVERSAL
    monkeypatch.setattr(devconfig, "check_ids", lambda config: None)
    world.core.set_config(device.uuid, hostile)
    sent = world.env.now
    world.run(sent + 300.0)
    served = world.controller.served
    world.run(sent + 900.0)
    assert device.hw.fs.read(paths.DEVICE_CERT) == key
    assert not any(".." in name for name in device.hw.fs.listdir("/persist/vault/volumes"))
    events = [e for e in world.log.events if e.device == device.name and e.time > sent]
    assert {e.kind for e in events} >= {"config_applied"}
    assert not {e.kind for e in events} & {"agent_crashed", "effect_failed"}
    assert world.controller.served > served, "the device still talks to the controller"
    assert [(a.name, a.uuid) for a in device.bus.get(topics.APP_STATUS)] == [("web", NIL_UUID)]
