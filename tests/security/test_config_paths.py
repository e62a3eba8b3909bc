"""Identifiers in a config never become paths outside the device's volumes (finding 2: an app UUID of
``../../../config/device.key.pem`` made the agent delete the device key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from google.protobuf import json_format

from evesim.agent.domainmgr import VOLUMES
from evesim.agent.zedagent.parse import NIL_UUID, eve_uuid, parse
from evesim.api import pb
from evesim.backends.statedir import StateDir
from evesim.controller import Controller
from evesim.controller.adminauth import AdminGate
from evesim.controller.app import create_app

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
