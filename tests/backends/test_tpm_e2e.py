"""End to end with a real (software) TPM: ``evesim agent --tpm`` against ``evesim controller serve``.

The device's key never leaves the TPM; the controller verifies its quote; the vault key is sealed to the PCRs,
unseals on the next boot, and after a measured change comes back from the controller's escrow; a device cert
lost from ``/config`` comes back from the TPM's NV, byte for byte.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from evesim.api import certs, pb
from evesim.controller.client import AdminClient
from tests import swtpm

from .test_e2e import Process, _device_dir, _wait_for, controller  # noqa: F401 - controller is a fixture

pytestmark = [pytest.mark.swtpm, pytest.mark.e2e]
swtpm.require()

from evesim.backends.tpm import BoardTpm  # noqa: E402

from .test_tpm import extend  # noqa: E402

TYPES = {pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING, pb.certs.CERT_TYPE_DEVICE_ECDH_EXCHANGE,
         pb.certs.CERT_TYPE_DEVICE_ENDORSEMENT_RSA}


@pytest.fixture
def tcti(tmp_path: Path) -> Iterator[str]:
    with swtpm.running(tmp_path / "tpm") as running:
        yield running


def _kinds(process: Process) -> list[str]:
    return [event["kind"] for event in process.events()]


def _boot(tmp_path: Path, name: str, dev: Path, tcti: str, *wanted: str) -> Process:
    """Run the agent until each of ``wanted`` was logged, then stop it."""
    agent = Process(tmp_path / f"{name}.log", "agent", "--state-dir", str(dev), "--tpm", tcti)
    try:
        for kind in wanted:
            _wait_for(lambda kind=kind: kind in _kinds(agent), agent, f"{name}: {kind}", timeout=60)
    finally:
        assert agent.terminate() == 0, agent.output()[-3000:]
    return agent


def test_identity_attestation_and_vault_live_in_the_tpm(tmp_path: Path, controller: Path, tcti: str) -> None:  # noqa: F811
    dev = _device_dir(tmp_path, controller)
    admin = AdminClient.resolve(None, controller, None, None)
    first = _boot(tmp_path, "boot-1", dev, tcti, "onboarded", "attested", "vault_unlocked")
    assert not (dev / "config/device.key.pem").exists()  # EVE's IsTpmEnabled: no soft key
    cert = (dev / "config/device.cert.pem").read_bytes()
    chip = BoardTpm(tcti)
    secret = (dev / "config/tpm_credential").read_bytes().strip()
    assert certs.load_cert(cert).public_key() == chip.provision(secret)
    chip.close()
    uuid = admin.call("GET", "/device").text.split()[0]
    sent = admin.call("GET", f"/device/{uuid}/certs").json()["certs"]  # Adam's format: Go's JSON, enums as numbers
    assert {c["type"] for c in sent} >= TYPES
    attest = next(c for c in sent if c["type"] == pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING)
    assert certs.directly_signed(certs.load_cert(base64.b64decode(attest["cert"])), certs.load_cert(cert))
    assert "vault_locked" not in _kinds(first)

    second = _boot(tmp_path, "boot-2", dev, tcti, "vault_unlocked")
    assert "vault_locked" not in _kinds(second)  # unsealed by the TPM: same PCRs

    (dev / "config/device.cert.pem").unlink()
    extend(tcti, 8)  # a new measurement: the sealed key no longer unseals
    third = _boot(tmp_path, "boot-3", dev, tcti, "vault_locked", "vault_unlocked")
    kinds = _kinds(third)
    assert kinds.index("vault_locked") < kinds.index("attested") < kinds.index("vault_unlocked")
    assert (dev / "config/device.cert.pem").read_bytes() == cert  # from NV
    assert admin.call("GET", "/device").text.split() == [uuid]
    admin.close()


def test_an_unreachable_tpm_stops_the_agent_with_a_clear_error(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    dev.mkdir()
    agent = Process(tmp_path / "agent.log", "agent", "--state-dir", str(dev), "--tpm", "swtpm:host=127.0.0.1,port=1")
    assert agent.popen.wait(timeout=30) == 2
    assert "cannot open the TPM at 'swtpm:host=127.0.0.1,port=1'" in agent.output()
    assert "--no-tpm" in agent.output()
