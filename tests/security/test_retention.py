"""Storage a device cannot run out of or empty (finding 5): the latest-info table is capped in distinct object ids,
series are kept by bytes per device (Adam's 100 MB by default), the admin API reports what was dropped, and what
was acknowledged survives a ``kill -9``."""

from __future__ import annotations

import json
import signal
import ssl
from pathlib import Path

import httpx
import pytest

from evesim.api import pb
from evesim.api.envelope import CryptoMode
from evesim.controller import ControllerIdentity, Reply
from tests.controller import served as served_mod
from tests.controller.conftest import Device

pytestmark = pytest.mark.e2e


class Served(served_mod.Served):
    """``evesim controller serve --admin-auth none``, which a scripted ``Device`` talks to as to a core."""

    def __init__(self, data: Path, *args: str) -> None:
        super().__init__(data, "--admin-auth", "none", *args)
        context = ssl.create_default_context(cafile=str(data / "root-certificate.pem"))
        self.http = httpx.Client(base_url=self.url(), verify=context, timeout=30)

    def handle(self, method: str, path: str, body: bytes, headers=None) -> Reply:
        answer = self.http.request(method, path, content=body, headers=headers or {})
        return Reply(answer.status_code, answer.content, answer.headers.get("content-type", ""))

    def admin(self, path: str) -> httpx.Response:
        return self.http.get("/admin" + path)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.http.close()


@pytest.fixture
def data(tmp_path: Path, onboard) -> Path:
    from evesim.controller.datadir import open_controller

    ctl, _ = open_controller(tmp_path)
    ctl.onboard_add(onboard.cert_pem, ["*"])
    ctl.store.close()
    return tmp_path


def _onboarded(served: Served, data: Path, onboard) -> Device:
    """A scripted device, onboarded and attested over HTTPS (``Device`` talks to ``served`` as to a core)."""
    served.identity, served.crypto = ControllerIdentity.load(data), CryptoMode.FULL
    device = Device(served, onboard, "durable")  # type: ignore[arg-type]
    device.onboard_device()
    device.attest_tpmless()
    return device


def test_acknowledged_infos_survive_kill_9(data: Path, onboard) -> None:
    served = Served(data)
    device = _onboarded(served, data, onboard)
    for n in range(200):
        info = pb.info.ZInfoMsg(ztype=pb.info.ZiApp, devId=device.uuid)
        info.ainfo.AppID, info.ainfo.AppName = f"6ba7b810-9dad-11d1-80b4-{n:012x}", f"app-{n}"
        assert device.post("info", info).status == 201
    served.kill()
    again = Served(data)
    try:
        kept = [json.loads(line) for line in again.admin(f"/device/{device.uuid}/info").text.splitlines()]
        assert [i["ainfo"]["AppName"] for i in kept if "ainfo" in i] == [f"app-{n}" for n in range(200)]
        assert len(again.admin(f"/device/{device.uuid}/info/latest").text.splitlines()) >= 200
        retention = again.admin(f"/device/{device.uuid}/retention").json()
        assert retention["info"]["dropped_items"] == 0 and retention["info"]["limit_bytes"] == 100 << 20
    finally:
        again.kill()


def test_a_flood_of_object_ids_is_capped_and_reported(data: Path, onboard) -> None:
    served = Served(data, "--max-info-objects", "50", "--max-info-bytes", "5000")
    try:
        device = _onboarded(served, data, onboard)
        for n in range(300):
            info = pb.info.ZInfoMsg(ztype=pb.info.ZiApp, devId=device.uuid)
            info.ainfo.AppID = f"flood-{n:05d}"
            assert device.post("info", info).status == 201
        assert len(served.admin(f"/device/{device.uuid}/info/latest").text.splitlines()) == 50
        retention = served.admin(f"/device/{device.uuid}/retention").json()
        objects, info = retention["info_objects"], retention["info"]
        assert objects["items"] == 50 and objects["limit_items"] == 50 and objects["dropped_items"] >= 250
        assert info["bytes"] <= 5000 < info["bytes"] + info["dropped_bytes"] and info["limit_items"] is None
    finally:
        served.kill()
