"""The FastAPI app: device API passthrough, admin API (auth, Adam's shapes, typed edits), body limit."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from fastapi.testclient import TestClient

from evesim.api import certs, pb
from evesim.api.certs import Usage
from evesim.controller import Controller
from evesim.controller.app import create_app
from evesim.controller.reply import is_proto

from .conftest import API, Device, snapshot

TOKEN = "secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(ctl: Controller) -> TestClient:
    return TestClient(create_app(ctl, TOKEN, max_body=64 * 1024))


@pytest.fixture
def http_device(ctl: Controller, onboard, client: TestClient) -> Device:
    """A device whose requests go through the HTTP app instead of calling the core."""
    dev = Device(ctl, onboard, "http-dev")

    class Transport:
        identity = ctl.identity
        crypto = ctl.crypto

        def handle(self, method: str, path: str, body: bytes, headers=None):
            from evesim.controller import Reply

            response = client.request(method, path, content=body, headers=headers or {})
            return Reply(response.status_code, response.content, response.headers.get("content-type", ""))

    dev.ctl = Transport()
    dev.onboard_device()
    dev.attest_tpmless()
    return dev


def test_device_flow_over_http(http_device: Device, client: TestClient) -> None:
    assert client.get(f"{API}/ping").status_code == 200
    certs_reply = client.get(f"{API}/certs")
    assert certs_reply.status_code == 200 and certs_reply.headers["content-type"] == "application/x-proto-binary"
    answer = http_device.config()
    assert http_device.poll(answer.configHash).status == 304
    assert http_device.post("info", pb.info.ZInfoMsg(ztype=pb.info.ZiDevice)).status == 201


def test_device_api_wrong_content_type_is_415(http_device: Device, client: TestClient) -> None:
    body = http_device.seal(pb.metrics.ZMetricMsg().SerializeToString())
    path = f"{API}/id/{http_device.uuid}/metrics"
    assert client.post(path, content=body, headers={"Content-Type": "text/plain"}).status_code == 415
    assert client.post(path, content=body).status_code == 415


@pytest.mark.parametrize("path", [f"{API}/register", "/admin/onboard"])
def test_body_limit_is_413(client: TestClient, path: str) -> None:
    response = client.post(path, content=b"x" * (64 * 1024 + 1), headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 413


def test_body_limit_defaults_to_the_controllers(make_controller) -> None:
    client = TestClient(create_app(make_controller(max_body=1000), TOKEN))
    headers = {**AUTH, "Content-Type": "application/json"}
    assert client.post("/admin/onboard", content=b"x" * 1001, headers=headers).status_code == 413
    assert client.post("/admin/onboard", content=b"x" * 1000, headers=headers).status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/onboard"),
        ("GET", "/admin/device"),
        ("DELETE", "/admin/device"),
        ("GET", "/admin/device/x/config"),
    ],
)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_admin_needs_the_token(client: TestClient, method: str, path: str, headers: dict) -> None:
    response = client.request(method, path, headers=headers)
    assert response.status_code == 401


def test_onboard_admin_in_adams_shapes(ctl: Controller, client: TestClient, onboard) -> None:
    other = certs.issue("batch-2", Usage.ONBOARDING, seed=b"b2")
    body = {"Cert": base64.b64encode(other.cert_pem).decode(), "Serial": "s1, s2"}
    assert client.post("/admin/onboard", json=body, headers=AUTH).status_code == 201
    assert client.get("/admin/onboard", headers=AUTH).text == "fleet-onboard\nbatch-2\n"
    got = client.get("/admin/onboard/batch-2", headers=AUTH).json()
    assert base64.b64decode(got["Cert"]) == other.cert_pem and got["Serial"] == "s1,s2"
    assert (
        client.post("/admin/onboard", json={"Cert": onboard.cert_pem.decode(), "Serial": "*"}, headers=AUTH).status_code
        == 201
    )
    assert client.delete("/admin/onboard/batch-2", headers=AUTH).status_code == 200
    assert client.get("/admin/onboard/batch-2", headers=AUTH).status_code == 404
    assert client.post("/admin/onboard", json={"Cert": "%%%"}, headers=AUTH).status_code == 400
    assert client.delete("/admin/onboard", headers=AUTH).json() == {"removed": 1}
    assert ctl.onboard_list() == []


def test_device_admin(http_device: Device, client: TestClient, onboard) -> None:
    uuid = http_device.uuid
    assert client.get("/admin/device", headers=AUTH).text == f"{uuid}\n"
    got = client.get(f"/admin/device/{uuid}", headers=AUTH).json()
    assert base64.b64decode(got["Cert"]) == http_device.identity.cert_pem
    assert base64.b64decode(got["Onboard"]) == onboard.cert_pem and got["Serial"] == http_device.serial
    pre = certs.issue("pre", Usage.DEVICE, seed=b"pre")
    added = client.post("/admin/device", json={"Cert": pre.cert_pem.decode()}, headers=AUTH)
    assert added.status_code == 201
    assert client.delete(f"/admin/device/{added.json()['uuid']}", headers=AUTH).status_code == 200
    assert client.get("/admin/device/nope", headers=AUTH).status_code == 400
    assert client.get("/admin/device/0b6b2b6e-0f6e-4a39-9d7e-5c3c9f7e2a11", headers=AUTH).status_code == 404
    assert client.get(f"/admin/device/{uuid.upper()}", headers=AUTH).json()["Serial"] == http_device.serial
    assert client.delete("/admin/device", headers=AUTH).json() == {"removed": 1}


def _b64(pem: bytes) -> str:
    return base64.b64encode(pem).decode()


def test_device_add_with_onboard_merges_the_serial_into_the_allow_list(ctl: Controller, client: TestClient,
                                                                       onboard) -> None:
    fleet = certs.issue("batch-3", Usage.ONBOARDING, seed=b"b3")
    body = {"Cert": _b64(fleet.cert_pem), "Serial": "A,B"}
    assert client.post("/admin/onboard", json=body, headers=AUTH).status_code == 201
    added = [
        (fleet.cert_pem, "C"),  # joins the CN's serials
        (fleet.cert_pem, "A"),  # already allowed
        (certs.issue("batch-4", Usage.ONBOARDING, seed=b"b4").cert_pem, ""),  # new CN: any serial
        (onboard.cert_pem, "Z"),  # "*" stays "*"
    ]
    for i, (onboard_pem, serial) in enumerate(added):
        device = certs.issue(f"pre-{i}", Usage.DEVICE, seed=f"pre-{i}".encode())
        body = {"Cert": _b64(device.cert_pem), "Onboard": _b64(onboard_pem), "Serial": serial}
        assert client.post("/admin/device", json=body, headers=AUTH).status_code == 201
    serials = {entry.cn: entry.serials for entry in ctl.onboard_list()}
    assert serials == {"fleet-onboard": ("*",), "batch-3": ("A", "B", "C"), "batch-4": ("*",)}
    assert [ctl.device(u).serial for u in ctl.device_uuids()] == ["C", "A", "", "Z"]


@pytest.mark.parametrize(
    "problem",
    ["device cert garbage", "device cert registered", "onboard cert garbage", "another cert with the CN",
     "multi-line serial"],
)
def test_a_refused_device_add_leaves_the_allow_list_alone(ctl: Controller, client: TestClient, onboard,
                                                          problem: str) -> None:
    registered = certs.issue("dev-0", Usage.DEVICE, seed=b"d0")
    ctl.device_add(registered.cert_pem)
    fresh = certs.issue("dev-1", Usage.DEVICE, seed=b"d1").cert_pem
    impostor = certs.issue("fleet-onboard", Usage.ONBOARDING, seed=b"impostor").cert_pem
    cert, onboard_pem, serial = {
        "device cert garbage": (b"garbage", onboard.cert_pem, "S1"),
        "device cert registered": (registered.cert_pem, onboard.cert_pem, "S1"),
        "onboard cert garbage": (fresh, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "S1"),
        "another cert with the CN": (fresh, impostor, "S1"),
        "multi-line serial": (fresh, onboard.cert_pem, "S1\nS2"),
    }[problem]
    before = snapshot(ctl)
    body = {"Cert": _b64(cert), "Onboard": _b64(onboard_pem), "Serial": serial}
    answer = client.post("/admin/device", json=body, headers=AUTH)
    assert answer.status_code == 400, answer.text
    assert snapshot(ctl) == before
    assert client.post("/admin/device", json={**body, "Cert": "%%%"}, headers=AUTH).status_code == 400


@pytest.mark.parametrize(
    ("value", "proto"),
    [("application/x-proto-binary", True), ("Application/X-Proto-Binary; charset=binary", True),
     (" application/x-proto-binary ;x=1", True), ("application/json", False), ("", False), (None, False),
     ("application/x-proto-binary-not", False)],
)
def test_content_type_matching(value: str | None, proto: bool) -> None:
    assert is_proto(value) is proto


def test_admin_config_put_matches_the_content_type_as_the_device_api_does(http_device: Device,
                                                                          client: TestClient) -> None:
    proto = pb.config.EdgeDevConfig(device_name="mixed-case").SerializeToString()
    headers = {**AUTH, "Content-Type": "Application/X-Proto-Binary; charset=binary"}
    assert client.put(f"/admin/device/{http_device.uuid}/config", content=proto, headers=headers).status_code == 200
    assert http_device.config().config.device_name == "mixed-case"


def test_config_get_put_json_and_proto(http_device: Device, client: TestClient) -> None:
    uuid = http_device.uuid
    config = client.get(f"/admin/device/{uuid}/config", headers=AUTH).json()
    assert config["id"] == {"uuid": uuid, "version": "1"}
    config["deviceName"] = "renamed"
    put = client.put(
        f"/admin/device/{uuid}/config", content=json.dumps(config), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert put.json() == {"version": 2}
    assert http_device.config().config.device_name == "renamed"
    proto = pb.config.EdgeDevConfig(device_name="proto").SerializeToString()
    put = client.put(
        f"/admin/device/{uuid}/config", content=proto, headers={**AUTH, "Content-Type": "application/x-proto-binary"}
    )
    assert put.json() == {"version": 3}
    bad = client.put(
        f"/admin/device/{uuid}/config", content=b"{nope", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert bad.status_code == 400
    versions = client.get(f"/admin/device/{uuid}/config/versions", headers=AUTH).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[-1]["configHash"] == http_device.config().configHash


def test_typed_edit_endpoints(http_device: Device, client: TestClient) -> None:
    uuid = http_device.uuid
    sha = hashlib.sha256(b"img").hexdigest()
    base = {"version": "14.5.1", "url": "https://img.example/eve.img", "sha256": sha, "size_bytes": 10}
    assert client.put(f"/admin/device/{uuid}/baseos", json=base, headers=AUTH).json() == {"version": 2}
    assert client.post(f"/admin/device/{uuid}/baseos/retry", headers=AUTH).json() == {"version": 3}
    items = {"items": {"timer.config.interval": "10", "gone": None}}
    assert client.put(f"/admin/device/{uuid}/configitems", json=items, headers=AUTH).json() == {"version": 4}
    assert client.post(f"/admin/device/{uuid}/reboot", headers=AUTH).json() == {"version": 5}
    assert client.post(f"/admin/device/{uuid}/shutdown", headers=AUTH).json() == {"version": 6}
    assert client.put(f"/admin/device/{uuid}/apps/web", json={"vcpus": 2}, headers=AUTH).json() == {"version": 7}
    (app,) = client.get(f"/admin/device/{uuid}/apps", headers=AUTH).json()
    assert app["name"] == "web"
    assert client.post(f"/admin/device/{uuid}/apps/web/restart", headers=AUTH).json() == {"version": 8}
    assert client.post(f"/admin/device/{uuid}/apps/web/purge", headers=AUTH).json() == {"version": 9}
    (app,) = http_device.config().config.apps
    assert (app.restart.counter, app.purge.counter) == (1, 1)
    assert client.post(f"/admin/device/{uuid}/apps/web/reset", headers=AUTH).status_code == 422
    assert client.post(f"/admin/device/{uuid}/apps/nope/restart", headers=AUTH).status_code == 404
    assert client.delete(f"/admin/device/{uuid}/apps/web", headers=AUTH).json() == {"version": 10}
    assert client.delete(f"/admin/device/{uuid}/apps/web", headers=AUTH).status_code == 404
    config = http_device.config().config
    assert config.baseos.base_os_version == "14.5.1" and config.baseos.retry_update.counter == 1
    assert config.reboot.counter == 1 and config.shutdown.counter == 1 and not config.apps
    assert client.put(f"/admin/device/{uuid}/baseos", json={**base, "sha256": "x"}, headers=AUTH).status_code == 400
    assert client.put(f"/admin/device/{uuid}/baseos", json={"version": 1}, headers=AUTH).status_code == 422
    assert client.post("/admin/device/unknown/reboot", headers=AUTH).status_code == 400
    assert client.post("/admin/device/0b6b2b6e-0f6e-4a39-9d7e-5c3c9f7e2a11/reboot", headers=AUTH).status_code == 404


def test_reports_as_ndjson(http_device: Device, client: TestClient) -> None:
    uuid = http_device.uuid
    msg = pb.info.ZInfoMsg(ztype=pb.info.ZiDevice, devId=uuid)
    msg.dinfo.ncpu = 8
    http_device.post("info", msg)
    http_device.post("metrics", pb.metrics.ZMetricMsg(devID=uuid))
    info = client.get(f"/admin/device/{uuid}/info", headers=AUTH)
    assert info.headers["content-type"] == "application/x-ndjson"
    assert json.loads(info.text.splitlines()[0])["dinfo"]["ncpu"] == 8
    assert json.loads(client.get(f"/admin/device/{uuid}/info/latest", headers=AUTH).text)["devId"] == uuid
    assert json.loads(client.get(f"/admin/device/{uuid}/metrics", headers=AUTH).text)["devID"] == uuid
    requests = [
        json.loads(line) for line in client.get(f"/admin/device/{uuid}/requests", headers=AUTH).text.splitlines()
    ]
    assert requests[-1]["url"].endswith("/metrics") and requests[-1]["status"] == 201
    assert client.get(f"/admin/device/{uuid}/certs", headers=AUTH).status_code == 404, "no certs sent yet"
    for report in ("logs", "flowlogs", "hardwarehealth", "app/0b6b2b6e-0f6e-4a39-9d7e-5c3c9f7e2a11/logs"):
        assert client.get(f"/admin/device/{uuid}/{report}", headers=AUTH).status_code == 200


def test_openapi_documents_admin_with_bearer(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/admin/device/{uuid}/baseos" in spec["paths"]
    assert any(s.get("scheme") == "bearer" for s in spec["components"]["securitySchemes"].values())


def test_empty_token_refused(ctl: Controller) -> None:
    with pytest.raises(ValueError):
        create_app(ctl, "")
