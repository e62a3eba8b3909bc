"""End to end over real TLS: ``evesim agent`` (host backend) against ``evesim controller serve``.

The device onboards with the controller's test-fleet files, the operator shortens its timers
through config items, and after a restart of the agent (same state directory, same identity)
the device runs on them: config polls and metrics every few seconds, info and logs stored.
"""

from __future__ import annotations

import base64
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from evesim.api import pb
from evesim.controller.client import AdminClient

CLI = [sys.executable, "-c", "from evesim.cli import main; main()"]
BOOTSTRAP = ("server", "root-certificate.pem", "onboard.cert.pem", "onboard.key.pem")
ITEMS = {"timer.config.interval": "5", "timer.metric.interval": "5"}
WAIT_S = 30.0
T = TypeVar("T")


class Process:
    """A CLI subprocess with its output in a file."""

    def __init__(self, log: Path, *args: str) -> None:
        self.log = log
        self._out = log.open("w")
        self.popen = subprocess.Popen([*CLI, *args], stdout=self._out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.output().splitlines() if line.startswith("{")]

    def terminate(self) -> int:
        """SIGTERM, then the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=20)
        finally:
            self._out.close()

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)
        self._out.close()


@pytest.fixture
def controller(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "ctrl"
    served = Process(tmp_path / "controller.log", "controller", "serve", "--data", str(data), "--port", "0")
    try:
        _wait_for(lambda: (data / "server").exists() and (data / "server").read_text().strip(), served, "serve")
        _wait_for(lambda: "its certificate is valid for localhost, 127.0.0.1" in served.output(), served,
                  "the names the certificate covers, said at start")
        yield data
    finally:
        served.kill()


def _wait_for(probe: Callable[[], T], process: Process, what: str, timeout: float = WAIT_S) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.popen.poll() is None, f"{what}: process exited\n{process.output()[-3000:]}"
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{process.output()[-3000:]}")


def _ndjson(admin: AdminClient, path: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in admin.call("GET", path).text.splitlines() if line.strip()]


def _fetches(admin: AdminClient, uuid: str) -> int:
    """Config polls the controller answered with a config or 'not modified'."""
    return sum(1 for r in _ndjson(admin, f"/device/{uuid}/requests")
               if r["url"].endswith("/config") and r["status"] in (200, 304))


def _config_items(admin: AdminClient, uuid: str) -> dict[str, str]:
    """The config items the device last reported in its device info."""
    for info in _ndjson(admin, f"/device/{uuid}/info/latest"):
        items = info.get("dinfo", {}).get("configItemStatus", {}).get("configItems", {})
        if items:
            return {key: item.get("value", "") for key, item in items.items()}
    return {}


def _device_dir(tmp_path: Path, ctrl: Path) -> Path:
    config = tmp_path / "dev" / "config"
    config.mkdir(parents=True)
    for name in BOOTSTRAP:
        shutil.copy(ctrl / name, config / name)
    (config / "soft_serial").write_text("e2e-soft-1\n")
    (config / "serial").write_text("E2E-1\n")
    return config.parent


def test_the_host_agent_onboards_follows_config_items_and_reports(tmp_path: Path, controller: Path) -> None:
    dev = _device_dir(tmp_path, controller)
    admin = AdminClient.resolve(None, controller, None, None)
    first = Process(tmp_path / "agent-1.log", "agent", "--state-dir", str(dev))
    try:
        # first boot: identity made, onboarded with the test-fleet cert
        uuid = _wait_for(lambda: admin.call("GET", "/device").text.split(), first, "registration")[0]
        record = admin.call("GET", f"/device/{uuid}").json()
        assert record["Serial"] == "E2E-1"
        assert base64.b64decode(record["Cert"]) == (dev / "config/device.cert.pem").read_bytes()
        assert admin.call("PUT", f"/device/{uuid}/configitems", json={"items": ITEMS}).json()["version"] >= 2
        # as EVE, the first /config is refused (403) until attestation gives a token, and the next waits for the
        # config ticker: 0.3 to 1.0 × the default 60 s
        _wait_for(lambda: _fetches(admin, uuid) >= 1, first, "a first config fetch", timeout=90)
        assert (dev / "persist/status/uuid").read_text() == uuid
    finally:
        code = first.terminate()
    events = first.events()
    assert code == 0 and events[-1]["kind"] == "shutdown"
    assert {"device_cert_created", "onboarded", "config_applied"} <= {e["kind"] for e in events}

    # second boot: same identity, the shortened timers arrive with the config and rule the device
    cert = (dev / "config/device.cert.pem").read_bytes()
    second = Process(tmp_path / "agent-2.log", "agent", "--state-dir", str(dev))
    try:
        _wait_for(lambda: _config_items(admin, uuid).get("timer.config.interval") == "5", second, "items in info")
        fetches = _fetches(admin, uuid)
        metrics = len(_ndjson(admin, f"/device/{uuid}/metrics"))
        _wait_for(lambda: _fetches(admin, uuid) >= fetches + 2, second, "config polls every <= 5 s", timeout=20)
        _wait_for(lambda: len(_ndjson(admin, f"/device/{uuid}/metrics")) >= metrics + 2, second,
                  "metrics every <= 5 s", timeout=20)
        _wait_for(lambda: _ndjson(admin, f"/device/{uuid}/logs"), second, "uploaded logs")
    finally:
        code = second.terminate()
    assert code == 0 and second.events()[-1]["kind"] == "shutdown"
    assert (dev / "config/device.cert.pem").read_bytes() == cert
    assert admin.call("GET", "/device").text.split() == [uuid]

    info = next(i for i in _ndjson(admin, f"/device/{uuid}/info/latest") if "dinfo" in i)
    assert info["devId"] == uuid and info["dinfo"]["minfo"]["serialNumber"] == "E2E-1"
    assert info["dinfo"]["restartCounter"] == 1
    assert {"timer.config.interval": "5", "timer.metric.interval": "5"}.items() <= _config_items(admin, uuid).items()
    assert _ndjson(admin, f"/device/{uuid}/metrics")[-1]["devID"] == uuid
    saved = pb.config.ConfigResponse.FromString((dev / "persist/checkpoint/lastconfig").read_bytes())
    assert {item.key: item.value for item in saved.config.configItems}.items() >= ITEMS.items()
    admin.close()
