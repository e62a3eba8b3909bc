"""Devices onboarded through Adam's admin verbs, against ``evesim controller serve --admin-auth none``: a fleet cert
added with ``onboard add`` and a serial, and a device pre-registered with ``device add``. Each host agent onboards
and attests as one onboarded through evesim's own commands does (``test_e2e``)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import json_format

from evesim.api import certs, pb
from evesim.api.certs import Usage
from tests.controller.adam_client import AdamCli, Http

from .test_e2e import Process, _wait_for

pytestmark = pytest.mark.e2e
INFO_BYTES = 600


@pytest.fixture
def adam_controller(tmp_path: Path) -> Iterator[tuple[Path, Process]]:
    data = tmp_path / "ctrl"
    served = Process(tmp_path / "controller.log", "controller", "serve", "--data", str(data), "--port", "0",
                     "--admin-auth", "none", "--conf-dir", str(tmp_path / "conf"), "--max-info-size", str(INFO_BYTES))
    try:
        _wait_for(lambda: (data / "server").exists() and (data / "server").read_text().strip(), served, "serve")
        yield data, served
    finally:
        served.kill()


def _device(root: Path, serial: str, files: dict[str, bytes]) -> Path:
    """A device state directory whose ``/config`` starts from what ``serve --conf-dir`` wrote."""
    config = root / serial / "config"
    config.mkdir(parents=True)
    for name in ("server", "root-certificate.pem"):
        shutil.copy(root / "conf" / name, config / name)
    for name, content in files.items():
        (config / name).write_bytes(content)
    (config / "serial").write_text(serial + "\n")
    return config.parent


def test_devices_onboarded_through_adams_verbs(tmp_path: Path, adam_controller: tuple[Path, Process]) -> None:
    ctrl, served = adam_controller
    adam = AdamCli(Http("https://" + (ctrl / "server").read_text().strip(), ctrl / "root-certificate.pem"))

    fleet = certs.issue("adam-fleet", Usage.ONBOARDING)
    (tmp_path / "fleet.pem").write_bytes(fleet.cert_pem)
    assert adam.onboard_add(tmp_path / "fleet.pem", "ADAM-A").status == 201
    assert sorted(p.name for p in (tmp_path / "conf").iterdir()) == [
        "onboard.cert.pem", "onboard.key.pem", "root-certificate.pem", "server"]
    onboarding = _device(tmp_path, "ADAM-A", {"onboard.cert.pem": fleet.cert_pem,
                                                     "onboard.key.pem": fleet.key_pem})

    identity = certs.issue("ADAM-B", Usage.DEVICE)
    (tmp_path / "device-b.pem").write_bytes(identity.cert_pem)
    assert adam.device_add(tmp_path / "device-b.pem").status == 201
    (pre_registered,) = adam.device_list().text.split()
    preregistered = _device(tmp_path, "ADAM-B", {"device.cert.pem": identity.cert_pem,
                                                       "device.key.pem": identity.key_pem})

    agents = [Process(tmp_path / f"{d.name}.log", "agent", "--state-dir", str(d)) for d in (onboarding, preregistered)]
    try:
        uuids = [_wait_for(lambda d=d: (d / "persist/status/uuid").exists() and (d / "persist/status/uuid")
                           .read_text(), agent, f"{d.name} onboarded", timeout=60)
                 for d, agent in zip((onboarding, preregistered), agents, strict=True)]
        assert uuids[1] == pre_registered
        record = adam.device_get(uuids[0]).json()
        assert record["Serial"] == "ADAM-A" and base64.b64decode(record["Onboard"]) == fleet.cert_pem
        assert base64.b64decode(record["Cert"]) == (onboarding / "config/device.cert.pem").read_bytes()
        for uuid, agent in zip(uuids, agents, strict=True):
            _wait_for(lambda u=uuid: adam.http.request("GET", f"/admin/device/{u}/certs").status == 200, agent,
                      "attestation certificates", timeout=60)
            requests = adam.device_series(uuid, "requests").text.splitlines()
            assert any('"url":"/api/v2/edgedevice/id/' in line and "/attest" in line for line in requests)
            _wait_for(lambda u=uuid: adam.device_series(u, "info").text, agent, "info", timeout=60)
    finally:
        codes = [agent.terminate() for agent in agents]
    assert codes == [0, 0]
    kinds = [{e["kind"] for e in agent.events()} for agent in agents]
    assert "onboarded" in kinds[0] and "onboarded" in kinds[1]
    assert "device_cert_created" in kinds[0] and "device_cert_created" not in kinds[1]
    assert sorted(adam.device_list().text.split()) == sorted(uuids)
    for uuid in uuids:  # --max-info-size: what is kept fits (one message larger than the limit would stay alone)
        kept = [json_format.Parse(line, pb.info.ZInfoMsg()).ByteSize()
                for line in adam.device_series(uuid, "info").text.splitlines()]
        assert kept and (len(kept) == 1 or sum(kept) <= INFO_BYTES)
        retention = adam.http.request("GET", f"/admin/device/{uuid}/retention").json()["info"]
        assert retention["limit_bytes"] == INFO_BYTES and retention["dropped_items"] > 0, retention
