"""Rollouts through the admin API: create, list, get, halt, resume, bad input, and the background ticker."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from evesim.api import pb
from evesim.controller import Controller
from evesim.controller.app import create_app
from tests.controller.conftest import Clock, Device

from .fleet import SHA, VERSION

TOKEN = "rollout-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
URL = "https://datastore.example/eve-14.6.0.img"


@pytest.fixture
def devices(ctl: Controller, onboard) -> list[Device]:
    fleet = []
    for i in range(4):
        dev = Device(ctl, onboard, f"dev-{i}")
        dev.onboard_device()
        dev.attest_tpmless()
        fleet.append(dev)
    return fleet


@pytest.fixture
def client(ctl: Controller) -> TestClient:
    return TestClient(create_app(ctl, TOKEN))


def body(**kw: object) -> dict[str, object]:
    out: dict[str, object] = {"devices": "all", "version": VERSION, "url": URL, "sha256": SHA, "size": 1000,
                              "batch_size": [1, 2], "wait": 60, "deadline": 900, "halt_failure_rate": 0.0}
    out.update(kw)
    return out


def report(dev: Device, status: int, version: str = VERSION) -> None:
    info = pb.info.ZInfoMsg(ztype=pb.info.ZiDevice, devId=dev.uuid)
    info.dinfo.swList.add(shortVersion="14.5.1", userStatus=pb.info.UPDATED, partitionLabel="IMGA")
    info.dinfo.swList.add(shortVersion=version, userStatus=status, partitionLabel="IMGB")
    assert dev.post("info", info).status == 201


def test_a_campaign_through_the_api(ctl: Controller, devices: list[Device], client: TestClient,
                                    clock: Clock) -> None:
    created = client.post("/admin/rollouts", json=body(), headers=AUTH)
    assert created.status_code == 201, created.text
    rollout = created.json()
    assert rollout["id"] == "r1" and rollout["state"] == "running" and rollout["batches_planned"] == 3
    assert ctl.config(devices[0].uuid).baseos.base_os_version == VERSION
    assert not ctl.config(devices[1].uuid).baseos.base_os_version
    report(devices[0], pb.info.UPDATED)
    clock.now += 30
    ctl.rollouts.tick()
    got = client.get("/admin/rollouts/r1", headers=AUTH).json()
    assert got["state"] == "waiting" and got["batches"][0]["devices"][0] == {
        "uuid": devices[0].uuid, "result": "updated", "at": clock.now}
    clock.now += 60
    ctl.rollouts.tick()
    second = [d["uuid"] for d in client.get("/admin/rollouts/r1", headers=AUTH).json()["batches"][1]["devices"]]
    assert second == [devices[1].uuid, devices[2].uuid]
    listed = client.get("/admin/rollouts", headers=AUTH).json()
    assert [(r["id"], r["state"], r["counts"]["updated"]) for r in listed] == [("r1", "running", 1)]
    assert "batches" not in listed[0]


def test_a_failed_canary_halts_and_resume_continues(ctl: Controller, devices: list[Device],
                                                    client: TestClient, clock: Clock) -> None:
    client.post("/admin/rollouts", json=body(devices=[d.uuid for d in devices], wait=0), headers=AUTH)
    report(devices[0], pb.info.FAILED)
    clock.now += 30
    ctl.rollouts.tick()
    halted = client.get("/admin/rollouts/r1", headers=AUTH).json()
    assert halted["state"] == "halted" and halted["reason"].startswith("failure rate 1")
    assert halted["counts"] == {"devices": 4, "not_started": 3, "pending": 0, "updated": 0, "failed": 1,
                                "timed_out": 0}
    assert client.post("/admin/rollouts/r1/halt", headers=AUTH).status_code == 409
    resumed = client.post("/admin/rollouts/r1/resume", headers=AUTH)
    assert resumed.status_code == 200 and resumed.json()["state"] == "running"
    assert ctl.config(devices[2].uuid).baseos.base_os_version == VERSION
    assert client.post("/admin/rollouts/r1/resume", headers=AUTH).status_code == 409
    stopped = client.post("/admin/rollouts/r1/halt", headers=AUTH).json()
    assert stopped["state"] == "halted" and stopped["reason"] == "halted by the operator"


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"devices": ["no-such-device"]}, 400, "unknown devices"),
        ({"devices": []}, 400, "at least one device"),
        ({"batch_size": None}, 400, "exactly one of batch_size and batch_fraction"),
        ({"batch_fraction": 0.5}, 400, "exactly one of batch_size and batch_fraction"),
        ({"batch_size": 0}, 422, "greater than or equal to 1"),
        ({"batch_size": None, "batch_fraction": [0.5, 2]}, 422, "less than or equal to 1"),
        ({"sha256": "xyz"}, 400, "sha256 must be 64 lowercase hex digits"),
        ({"size": -5}, 422, "greater than or equal to 0"),
        ({"size": 2**64}, 422, "less than or equal to 18446744073709551615"),
        ({"size": True}, 422, "valid integer"),
        ({"url": "https://h:99999/eve.img"}, 400, "malformed image URL"),
        ({"url": "https://h/eve\u0000.img"}, 400, "control characters"),
        ({"url": "ftp://x/y"}, 400, "unsupported image URL 'ftp://x/y'"),
        ({"url": ""}, 400, "unsupported image URL"),
        ({"url": "http://[::1/eve.img"}, 400, "malformed image URL"),
        ({"wait": -1}, 422, "wait"),
        ({"deadline": 0}, 422, "deadline"),
        ({"halt_failure_rate": 2}, 422, "halt_failure_rate"),
        ({"devices": "some"}, 422, "devices"),
        ({"colour": "blue"}, 422, "colour"),
    ],
)
def test_bad_requests_are_refused_clearly(devices: list[Device], client: TestClient, change: dict[str, object],
                                          status: int, fragment: str) -> None:
    answer = client.post("/admin/rollouts", json=body(**change), headers=AUTH)
    assert answer.status_code == status and fragment in answer.text
    assert client.get("/admin/rollouts", headers=AUTH).json() == []


def test_a_refused_image_leaves_no_campaign_and_the_next_rollout_starts(ctl: Controller, devices: list[Device],
                                                                       client: TestClient) -> None:
    refused = client.post("/admin/rollouts", json=body(url="ftp://x/y"), headers=AUTH)
    assert refused.status_code == 400 and "unsupported image URL" in refused.text
    assert client.get("/admin/rollouts", headers=AUTH).json() == []
    assert all(not ctl.config(d.uuid).baseos.base_os_version for d in devices)
    created = client.post("/admin/rollouts", json=body(), headers=AUTH)
    assert created.status_code == 201 and created.json()["id"] == "r1"


def test_non_finite_numbers_get_a_422_not_a_crash(devices: list[Device], client: TestClient) -> None:
    json_type = {**AUTH, "Content-Type": "application/json"}
    raw = f'{{"devices": "all", "version": "14.6.0", "url": "u", "sha256": "{SHA}", "size": 1, "batch_size": 1, ' \
          '"deadline": Infinity, "wait": NaN}'
    answer = client.post("/admin/rollouts", content=raw, headers=json_type)
    assert answer.status_code == 422 and {e["input"] for e in answer.json()["detail"]} == {"inf", "nan"}
    raw = f'{{"version": "14.6.0", "url": "u", "sha256": "{SHA}", "size_bytes": -Infinity}}'
    answer = client.put(f"/admin/device/{devices[0].uuid}/baseos", content=raw, headers=json_type)
    assert answer.status_code == 422 and answer.json()["detail"][0]["input"] == "-inf"


def test_conflicts_unknown_ids_and_auth(devices: list[Device], client: TestClient) -> None:
    assert client.post("/admin/rollouts", json=body(), headers=AUTH).status_code == 201
    again = client.post("/admin/rollouts", json=body(), headers=AUTH)
    assert again.status_code == 409 and "active rollout r1" in again.text
    for method, path in [("get", "/admin/rollouts/r7"), ("post", "/admin/rollouts/r7/halt"),
                         ("post", "/admin/rollouts/r7/resume")]:
        answer = client.request(method.upper(), path, headers=AUTH)
        assert answer.status_code == 404 and "no rollout r7" in answer.text
    assert client.get("/admin/rollouts").status_code == 401
    assert client.post("/admin/rollouts", json=body(), headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_a_served_controller_ticks_its_campaigns_in_the_background(ctl: Controller, devices: list[Device],
                                                                  clock: Clock) -> None:
    app = create_app(ctl, TOKEN, rollout_tick_s=0.01)
    with TestClient(app) as client:
        client.post("/admin/rollouts", json=body(wait=0), headers=AUTH)
        report(devices[0], pb.info.UPDATED)
        clock.now += 1
        give_up = time.monotonic() + 10
        while len(ctl.rollouts.get("r1").batches) < 2 and time.monotonic() < give_up:
            time.sleep(0.01)
        assert len(client.get("/admin/rollouts/r1", headers=AUTH).json()["batches"]) == 2


def test_the_background_ticker_survives_a_failing_campaign(ctl: Controller, devices: list[Device], clock: Clock,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(ctl, TOKEN, rollout_tick_s=0.01)
    uuids = [d.uuid for d in devices]
    latest = ctl.latest_device_info

    def broken(dev_uuid: str) -> pb.info.ZInfoDevice | None:
        if dev_uuid == uuids[0]:
            raise RuntimeError("store unreadable")
        return latest(dev_uuid)

    with TestClient(app) as client:
        for part in (uuids[:2], uuids[2:]):
            created = client.post("/admin/rollouts", json=body(devices=part, batch_size=1, wait=0), headers=AUTH)
            assert created.status_code == 201
        monkeypatch.setattr(ctl, "latest_device_info", broken)
        report(devices[2], pb.info.UPDATED)
        clock.now += 1
        give_up = time.monotonic() + 10
        while len(ctl.rollouts.get("r2").batches) < 2 and time.monotonic() < give_up:
            time.sleep(0.01)
        assert len(client.get("/admin/rollouts/r2", headers=AUTH).json()["batches"]) == 2
    assert "rollout r1: tick failed: store unreadable" in caplog.text
