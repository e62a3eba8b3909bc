"""Edge cases of finding 10: an empty serial on a ``*`` entry, a directory where the controller-certs checkpoint
goes, a device cert that was not made for the device key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evesim.api.certs import Usage, issue
from evesim.cli import app
from evesim.controller import Controller
from tests.backends.test_e2e import Process, _wait_for
from tests.controller.conftest import Device


def test_devices_without_serials_do_not_collide_on_a_star_entry(ctl: Controller, onboard) -> None:
    first, second = Device(ctl, onboard, "no-serial-1"), Device(ctl, onboard, "no-serial-2")
    assert first.register(serial="").status == 201
    assert second.register(serial="").status == 201
    assert first.register(serial="").status == 200, "the same device again"
    assert len(ctl.device_uuids()) == 2
    named = Device(ctl, onboard, "named")
    assert named.register(serial="S-1").status == 201
    assert Device(ctl, onboard, "impostor").register(serial="S-1").status == 409, "a real serial still conflicts"


def test_under_adams_policy_the_empty_serial_is_one_serial(make_controller, onboard) -> None:
    from evesim.controller.policy import ADAM

    ctl = make_controller(policy=ADAM)
    assert Device(ctl, onboard, "first").register(serial="").status == 201
    assert Device(ctl, onboard, "second").register(serial="").status == 409, "as Adam's OnboardCheck"


def test_a_mismatched_device_cert_and_key_is_a_clear_local_error(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    cert, other = issue("dev", Usage.DEVICE), issue("other", Usage.DEVICE)
    (config / "device.cert.pem").write_bytes(cert.cert_pem)
    (config / "device.key.pem").write_bytes(other.key_pem)
    result = CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path), "--duration", "1"])
    assert result.exit_code == 2
    assert "device.cert.pem was not made for" in " ".join(result.output.split())
    (config / "device.key.pem").write_bytes(cert.key_pem)
    assert "was not made for" not in CliRunner().invoke(
        app, ["agent", "--state-dir", str(tmp_path), "--duration", "0.1"]).output


@pytest.mark.e2e
def test_a_directory_in_the_way_of_a_checkpoint_does_not_crash_the_agent(tmp_path: Path) -> None:
    data = tmp_path / "ctrl"
    served = Process(tmp_path / "controller.log", "controller", "serve", "--data", str(data), "--port", "0")
    try:
        _wait_for(lambda: (data / "server").exists() and (data / "server").read_text().strip(), served, "serve")
        dev = tmp_path / "dev"
        (dev / "config").mkdir(parents=True)
        for name in ("server", "root-certificate.pem", "onboard.cert.pem", "onboard.key.pem"):
            shutil.copy(data / name, dev / "config" / name)
        (dev / "persist/checkpoint/controllercerts").mkdir(parents=True)
        agent = Process(tmp_path / "agent.log", "agent", "--state-dir", str(dev))
        _wait_for(lambda: (dev / "persist/status/uuid").exists(), agent, "onboarding", timeout=60)
        code = agent.terminate()
    finally:
        served.kill()
    kinds = [event["kind"] for event in agent.events()]
    assert code == 0 and "agent_crashed" not in kinds
    failed = [e for e in agent.events() if e["kind"] == "write_failed"]
    assert failed and failed[0]["fields"]["path"] == "/persist/checkpoint/controllercerts"
