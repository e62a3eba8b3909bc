"""The admin API refuses odd input with the right 4xx and keeps what it had (found by a review's probes)."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from evesim.api import certs
from evesim.api.certs import Usage
from evesim.controller import Controller
from evesim.controller.app import create_app

TOKEN = "secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SHA = "ab" * 32
JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture
def client(ctl: Controller) -> TestClient:
    return TestClient(create_app(ctl, TOKEN), raise_server_exceptions=False, follow_redirects=False)


@pytest.fixture
def uuid(ctl: Controller) -> str:
    return ctl.device_add(certs.issue("dev", Usage.DEVICE, seed=b"dev").cert_pem)


def _raw(value: object) -> str:
    """JSON as a client that escapes non-ASCII sends it (a lone surrogate stays a ``\\ud800`` escape)."""
    return json.dumps(value, ensure_ascii=True)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/admin/device/{u}/baseos", {"version": "\ud800", "url": "https://h/x", "sha256": SHA,
                                             "size_bytes": 1}),
        ("PUT", "/admin/device/{u}/baseos", {"version": "1", "url": "https://h\ud800/x", "sha256": SHA,
                                             "size_bytes": 1}),
        ("PUT", "/admin/device/{u}/configitems", {"items": {"k": "\ud800"}}),
        ("PUT", "/admin/device/{u}/configitems", {"items": {"\ud800": "x"}}),
        ("PUT", "/admin/device/{u}/apps/a", {"image_url": "docker://h/\ud800"}),
        ("PUT", "/admin/device/{u}/apps/a", {"app_uuid": "\ud800"}),
        ("POST", "/admin/rollouts", {"devices": ["\ud800"], "version": "1", "url": "https://h/x", "sha256": SHA,
                                     "size": 1, "batch_size": 1}),
        ("POST", "/admin/device", {"Cert": "x", "Serial": "\udcff"}),
        ("POST", "/admin/onboard", {"Cert": "x", "Serial": "A,\ud800"}),
    ],
)
def test_a_lone_surrogate_is_refused_and_changes_nothing(ctl: Controller, client: TestClient, uuid: str, method: str,
                                                       path: str, body: dict[str, object]) -> None:
    version = ctl.store.current_config(uuid).version
    answer = client.request(method, path.format(u=uuid), content=_raw(body), headers=JSON)
    adam_body = path in ("/admin/device", "/admin/onboard")  # Adam answers a body it cannot read 400
    assert answer.status_code == (400 if adam_body else 422) and answer.json()["detail"]
    assert ctl.store.current_config(uuid).version == version
    assert ctl.device_uuids() == [uuid] and client.get("/admin/rollouts", headers=AUTH).json() == []


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("baseos", {"version": "1", "url": "https://h/x", "sha256": SHA, "size_bytes": 2**64}, "less than or equal"),
        ("apps/a", {"memory_kb": 2**32}, "less than or equal"),
        ("apps/a", {"vcpus": 2**32}, "less than or equal"),
        ("apps/a", {"size_bytes": 2**64}, "less than or equal"),
        ("apps/a", {"memory_kb": True}, "valid integer"),
        ("apps/a", {"activate": 1}, "valid boolean"),
        ("apps/a", {"vcpus": "2"}, "valid integer"),
    ],
)
def test_numbers_out_of_the_wire_types_range_or_of_the_wrong_type_get_422(ctl: Controller, client: TestClient,
                                                                         uuid: str, path: str,
                                                                         body: dict[str, object],
                                                                         fragment: str) -> None:
    answer = client.put(f"/admin/device/{uuid}/{path}", json=body, headers=AUTH)
    assert answer.status_code == 422 and fragment in answer.text
    assert ctl.store.current_config(uuid).version == 1


@pytest.mark.parametrize("body", ["[]", '""', "3", "null"])
def test_a_config_put_must_be_a_json_object(ctl: Controller, client: TestClient, uuid: str, body: str) -> None:
    answer = client.put(f"/admin/device/{uuid}/config", content=body, headers=JSON)
    assert answer.status_code == 400 and "want a JSON object" in answer.text
    assert ctl.config(uuid).deviceIoList[0].phylabel == "eth0"


def test_typed_edits_work_on_any_config_a_put_accepted(ctl: Controller, client: TestClient, uuid: str) -> None:
    config = {
        "apps": [
            {"uuidandversion": {"uuid": "11111111-1111-1111-1111-111111111111", "version": "v1.0"},
             "displayname": "odd", "volumeRefList": [{"uuid": "22222222-2222-2222-2222-222222222222"}],
             "restart": {"counter": 4294967295}},
        ],
        "reboot": {"counter": 4294967295},
        "baseos": {"contentTreeUuid": "33333333-3333-3333-3333-333333333333",
                   "retryUpdate": {"counter": 4294967295}},
    }
    assert client.put(f"/admin/device/{uuid}/config", json=config, headers=AUTH).status_code == 200
    for path in ("reboot", "baseos/retry", "apps/odd/restart"):
        assert client.post(f"/admin/device/{uuid}/{path}", headers=AUTH).status_code == 200, path
    edited = ctl.config(uuid)
    assert edited.reboot.counter == edited.baseos.retry_update.counter == edited.apps[0].restart.counter == 1
    assert client.put(f"/admin/device/{uuid}/apps/odd", json={}, headers=AUTH).status_code == 200
    assert ctl.config(uuid).apps[0].uuidandversion.version == "1"
    assert client.delete(f"/admin/device/{uuid}/apps/odd", headers=AUTH).status_code == 200
    assert not ctl.config(uuid).apps


def test_an_app_uuid_is_stored_in_its_standard_form_and_found_in_any(ctl: Controller, client: TestClient,
                                                                    uuid: str) -> None:
    standard = "abcdefab-1234-5678-1234-567812345678"
    spellings = [standard.upper(), f"{{{standard}}}", f"urn:uuid:{standard}", standard.replace("-", "")]
    for name, spelling in zip("abcd", spellings, strict=False):
        answer = client.put(f"/admin/device/{uuid}/apps/{name}", json={"app_uuid": spelling}, headers=AUTH)
        assert answer.status_code == 200
    apps = ctl.config(uuid).apps
    assert [a.uuidandversion.uuid for a in apps] == [standard] and apps[0].displayname == "d"
    assert client.post(f"/admin/device/{uuid}/apps/{standard.upper()}/restart", headers=AUTH).status_code == 200
    assert client.put(f"/admin/device/{uuid}/apps/e", json={"app_uuid": "nope"}, headers=AUTH).status_code == 400
    assert client.delete(f"/admin/device/{uuid}/apps/{{{standard}}}", headers=AUTH).status_code == 200
    assert not ctl.config(uuid).apps


def test_an_app_put_whole_with_an_odd_uuid_spelling_is_the_same_app(ctl: Controller, client: TestClient,
                                                                    uuid: str) -> None:
    odd = "ABCDEFAB-1234-5678-1234-567812345678"
    app = {"uuidandversion": {"uuid": odd, "version": "1"}, "displayname": "odd"}
    assert client.put(f"/admin/device/{uuid}/config", json={"apps": [app]}, headers=AUTH).status_code == 200
    assert client.put(f"/admin/device/{uuid}/apps/odd", json={"app_uuid": odd}, headers=AUTH).status_code == 200
    assert [(a.uuidandversion.uuid, a.displayname) for a in ctl.config(uuid).apps] == [(odd.lower(), "odd")]


def test_an_image_has_the_last_size_given(ctl: Controller, client: TestClient, uuid: str) -> None:
    image = {"url": "https://h/eve.img", "sha256": SHA}
    for version, size in (("1", 100), ("2", 5000)):
        assert client.put(f"/admin/device/{uuid}/baseos", json={"version": version, **image, "size_bytes": size},
                          headers=AUTH).status_code == 200
    assert [t.maxSizeBytes for t in ctl.config(uuid).contentInfo] == [5000]
    app = {"image_url": "https://h/app.img", "sha256": SHA}
    for size in (7, 0, 9):
        answer = client.put(f"/admin/device/{uuid}/apps/a", json={**app, "size_bytes": size}, headers=AUTH)
        assert answer.status_code == 200
    assert [t.maxSizeBytes for t in ctl.config(uuid).contentInfo] == [5000, 9]


def test_a_config_put_with_a_key_twice_is_refused(ctl: Controller, client: TestClient, uuid: str) -> None:
    answer = client.put(f"/admin/device/{uuid}/config", content='{"reboot": {"counter": 1}, "reboot": {"counter": 2}}',
                        headers=JSON)
    assert answer.status_code == 400 and "duplicate key reboot" in answer.text
    utf16 = client.put(f"/admin/device/{uuid}/config", content="{}".encode("utf-16"), headers=JSON)
    assert utf16.status_code == 400 and ctl.store.current_config(uuid).version == 1


@pytest.mark.parametrize("body", ["{", "\xff", '{"Cert": "x"}'])
def test_the_token_is_checked_before_the_body_is_read(client: TestClient, body: str) -> None:
    answer = client.post("/admin/onboard", content=body.encode("latin-1"), headers={"Content-Type": "application/json"})
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/admin/device/", "/admin/onboard/", "/admin/rollouts/"])
def test_no_trailing_slash_redirect_reaches_a_delete_everything_route(ctl: Controller, client: TestClient, uuid: str,
                                                                      path: str) -> None:
    assert client.delete(path).status_code == 401
    answer = client.delete(path, headers=AUTH)
    assert answer.status_code in (404, 405) and "location" not in answer.headers
    assert ctl.device_uuids() == [uuid] and len(ctl.onboard_list()) == 1


def test_an_onboarding_cn_with_a_slash_is_reachable(ctl: Controller, client: TestClient) -> None:
    team = certs.issue("team/a", Usage.ONBOARDING, seed=b"team")
    body = {"Cert": base64.b64encode(team.cert_pem).decode()}
    assert client.post("/admin/onboard", json=body, headers=AUTH).status_code == 201
    got = client.get("/admin/onboard/team/a", headers=AUTH)
    assert got.status_code == 200 and base64.b64decode(got.json()["Cert"]) == team.cert_pem
    assert client.delete("/admin/onboard/team/a", headers=AUTH).json() == {"removed": "team/a"}
    assert [e.cn for e in ctl.onboard_list()] == ["fleet-onboard"]


def test_an_onboarding_cn_that_cannot_be_listed_is_refused(ctl: Controller, client: TestClient) -> None:
    for cn in ("one\ntwo", "one\u2028two", "bell\x07"):
        split = certs.issue(cn, Usage.ONBOARDING, seed=b"split")
        answer = client.post("/admin/onboard", json={"Cert": split.cert_pem.decode()}, headers=AUTH)
        assert answer.status_code == 400 and "control characters or line breaks" in answer.text
    spaced = certs.issue("Acme\u00a0Fleet", Usage.ONBOARDING, seed=b"spaced")
    assert client.post("/admin/onboard", json={"Cert": spaced.cert_pem.decode()}, headers=AUTH).status_code == 201
    assert [e.cn for e in ctl.onboard_list()] == ["fleet-onboard", "Acme\u00a0Fleet"]


def test_a_static_port_and_a_proxy_ca_are_written_read_back_and_checked(ctl: Controller, client: TestClient,
                                                                        uuid: str) -> None:
    ca = certs.issue("inspection", Usage.CA, seed=b"ca").cert_pem.decode()
    port = {"name": "eth0", "addressing": "static", "address": "192.168.7.20", "subnet": "192.168.7.0/24",
            "gateway": "192.168.7.1", "dns": ["192.168.7.1"], "proxy": "proxy-0:3128", "proxy_cert": ca}
    assert client.put(f"/admin/device/{uuid}/network", json={"ports": [port]}, headers=AUTH).status_code == 200
    (network,) = ctl.config(uuid).networks
    assert list(network.entProxy.proxyCertPEM) == [ca.encode()] and network.ip.dns == ["192.168.7.1"]
    assert ctl.config(uuid).systemAdapterList[0].addr == "192.168.7.20"
    shown = client.get(f"/admin/device/{uuid}/network", headers=AUTH).json()["ports"][0]
    assert {k: shown[k] for k in port} == port
    for bad, why in (({"proxy_cert": "not a pem"}, "is not a PEM certificate"),
                     ({"address": "192.168.7.300"}, "address '192.168.7.300' is not an IPv4 address"),
                     ({"subnet": "192.168.7.0/40"}, "is not an IPv4 subnet")):
        answer = client.put(f"/admin/device/{uuid}/network", json={"ports": [{**port, **bad}]}, headers=AUTH)
        assert answer.status_code == 400 and why in answer.text, answer.text
