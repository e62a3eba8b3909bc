"""A store that cannot write changes nothing the controller answers for (finding 4: a device registered while the
disk was full became a ghost, answered for in memory but never stored). The answer is 503."""

from __future__ import annotations

import base64
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evesim.api import certs, pb
from evesim.api.certs import Usage
from evesim.controller import Controller, Reply
from evesim.controller.adminauth import AdminGate
from evesim.controller.app import create_app
from evesim.controller.datadir import open_controller
from evesim.controller.stores import SqliteStore
from tests.controller.conftest import Device


class FailingCommits:
    """A proxy for the SQLite connection whose COMMITs fail while ``armed``, as on a full disk."""

    def __init__(self, db) -> None:
        self.db = db
        self.armed = False

    def execute(self, sql: str, *args):
        if self.armed and sql == "COMMIT":
            import sqlite3

            raise sqlite3.OperationalError("database or disk is full")
        return self.db.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self.db, name)


class Http:
    """Sends a scripted device's requests through the HTTP app."""

    def __init__(self, ctl: Controller, client: TestClient) -> None:
        self.identity, self.crypto, self.client = ctl.identity, ctl.crypto, client

    def handle(self, method: str, path: str, body: bytes, headers=None) -> Reply:
        answer = self.client.request(method, path, content=body, headers=headers or {})
        return Reply(answer.status_code, answer.content, answer.headers.get("content-type", ""))


@pytest.fixture
def failing(tmp_path: Path, identity, onboard) -> tuple[Controller, FailingCommits, TestClient]:
    store = SqliteStore(tmp_path / "s.sqlite")
    ctl = Controller(store=store, identity=identity)
    ctl.onboard_add(onboard.cert_pem, ["*"])
    proxy = FailingCommits(store._tx._db)
    store._tx._db = proxy
    return ctl, proxy, TestClient(create_app(ctl, AdminGate("none")))


def _http_device(ctl: Controller, client: TestClient, onboard, name: str) -> Device:
    device = Device(ctl, onboard, name)
    device.ctl = Http(ctl, client)
    return device


def test_a_registration_that_cannot_be_stored_leaves_no_ghost(failing, onboard, tmp_path: Path, identity) -> None:
    ctl, proxy, client = failing
    device = _http_device(ctl, client, onboard, "ghost")
    proxy.armed = True
    answer = device.register()
    assert answer.status == 503 and b"nothing was stored" in answer.body
    assert ctl.device_uuids() == [] and not ctl._by_hash, "neither stored nor answered for"
    assert device.fetch_uuid().status == 400, "the device is unknown, as the store says"
    proxy.armed = False
    assert device.register().status == 201 and device.fetch_uuid().status == 200
    restarted = Controller(store=SqliteStore(tmp_path / "s.sqlite"), identity=identity)
    assert restarted.device_uuids() == [device.uuid]


def test_attestation_and_edits_that_cannot_be_stored_change_nothing(failing, onboard) -> None:
    ctl, proxy, client = failing
    device = _http_device(ctl, client, onboard, "dev")
    device.onboard_device()
    version = ctl.config_version(device.uuid)
    proxy.armed = True
    assert device.post("attest", pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_NONCE)).status == 503
    assert ctl.attestation(device.uuid).nonce == b""
    edit = client.put(f"/admin/device/{device.uuid}/configitems", json={"items": {"a": "b"}})
    assert edit.status_code == 503 and "nothing was changed" in edit.json()["detail"]
    assert ctl.config_version(device.uuid) == version and ctl._by_uuid[device.uuid].version == version
    fleet = certs.issue("new-fleet", Usage.ONBOARDING)
    added = client.post("/admin/onboard", json={"Cert": base64.b64encode(fleet.cert_pem).decode()})
    assert added.status_code == 503 and "new-fleet" not in client.get("/admin/onboard").text
    assert certs.der_hash(fleet.cert) not in ctl._onboard
    proxy.armed = False
    device.attest_tpmless()
    assert device.poll().status == 200


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs, mounted for the test (the tests run as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_filesystem_gives_503_and_loses_nothing(small_disk: Path, onboard) -> None:
    ctl, _ = open_controller(small_disk / "ctrl")
    ctl.onboard_add(onboard.cert_pem, ["*"])
    client = TestClient(create_app(ctl, AdminGate("none")))
    first = _http_device(ctl, client, onboard, "first")
    first.onboard_device()
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    refused = [_http_device(ctl, client, onboard, f"late-{n}").register().status for n in range(5)]
    assert set(refused) == {503}, refused
    assert ctl.device_uuids() == [first.uuid]
    filler.unlink()
    late = _http_device(ctl, client, onboard, "late-0")
    assert late.register().status == 201 and late.fetch_uuid().status == 200
    ctl.store.close()
    again, _ = open_controller(small_disk / "ctrl")
    assert again.device_uuids() == [first.uuid, late.uuid]
    again.store.close()
