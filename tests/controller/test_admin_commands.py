"""The typed admin commands against a served controller, as an operator types them: devices with names and phases,
config items, base OS, apps, reboots, rollout campaigns, a raw call, --follow with backfill, and the access log."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evesim.cli import app

from .eve_client import message
from .test_serve_e2e import CLI, Served, _onboarded, _wait_for_ping

pytestmark = pytest.mark.e2e
SHA = "ab" * 32
runner = CliRunner()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    server = Served(tmp_path_factory.mktemp("admin-commands"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def device(served: Served):
    conn = served.connect()
    _wait_for_ping(conn)
    yield _onboarded(served, conn, "lab-1")
    conn.close()


def cli(served: Served, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["controller", *args, "--data", str(served.data)])
    assert result.exit_code == code, result.output
    return result.output


def config(served: Served, uuid: str) -> dict:
    return json.loads(cli(served, "config", "get", uuid))


def test_device_list_names_each_device_with_its_phase(served: Served, device) -> None:
    table = cli(served, "device", "list")
    assert "lab-1" in table and device.uuid in table and "1 devices" in table
    rows = json.loads(cli(served, "device", "list", "--json"))
    assert [(r["name"], r["uuid"], r["phase"]) for r in rows] == [("lab-1", device.uuid, "onboarding")]
    assert cli(served, "device", "list", "--uuids").split() == [device.uuid]


def test_items_baseos_reboot_and_apps_change_the_config(served: Served, device) -> None:
    uuid = device.uuid
    said = cli(served, "items", uuid, "--set", "timer.config.interval=30", "--set", "debug.enable.ssh=x")
    assert f"{uuid}: 2 config items (config version" in said
    cli(served, "items", "--all", "--unset", "debug.enable.ssh")
    assert {i["key"]: i["value"] for i in config(served, uuid)["configItems"]} == {"timer.config.interval": "30"}

    cli(served, "baseos", "--all", "--version", "14.6.0", "--url", "https://ds/eve.img", "--sha256", SHA,
        "--size", "300MB")
    assert config(served, uuid)["baseos"]["baseOsVersion"] == "14.6.0"
    assert "retry asked" in cli(served, "baseos", uuid, "--retry")

    before = config(served, uuid).get("reboot", {}).get("counter", 0)
    assert "reboot asked" in cli(served, "reboot", uuid)
    assert config(served, uuid)["reboot"]["counter"] == before + 1

    cli(served, "app", "set", uuid, "--name", "web", "--sha256", SHA, "--size", "50MB", "--memory", "256MiB")
    assert "web" in cli(served, "app", "list", uuid)
    (web,) = config(served, uuid)["apps"]
    assert web["displayname"] == "web" and web["fixedresources"]["memory"] == 256 * 1024
    assert "restart asked" in cli(served, "app", "restart", uuid, "web")
    assert "removed" in cli(served, "app", "remove", uuid, "web")
    assert config(served, uuid).get("apps", []) == []


def test_ports_are_shown_and_replaced(served: Served, device) -> None:
    uuid = device.uuid
    shown = json.loads(cli(served, "ports", uuid, "--json"))
    assert shown == [{"name": "eth0", "mgmt": True, "cost": 0, "addressing": "dhcp", "adapter": True, "proxy": "",
                      "exceptions": "", "address": "", "subnet": "", "gateway": "", "dns": [], "proxy_cert": "",
                      "pac": "", "wpad": False, "wpad_url": ""}]
    said = cli(served, "ports", uuid, "--port", "eth0", "--port", "wwan0:10", "--port", "eth1:app")
    assert f"{uuid}: 3 ports (config version" in said
    adapters = config(served, uuid)["systemAdapterList"]
    assert [(a["name"], a.get("uplink", False), a.get("cost", 0)) for a in adapters] == [
        ("eth0", True, 0), ("wwan0", True, 10), ("eth1", False, 0)]
    assert "wwan0" in cli(served, "ports", uuid)
    assert "expected NAME[:COST][:app]" in cli(served, "ports", uuid, "--port", "eth0:fast", code=2)
    assert "400" in cli(served, "ports", uuid, "--port", "Eth 0", code=1)
    assert "400" in cli(served, "ports", uuid, "--port", "eth0", "--port", "eth0", code=1)


def test_network_instances_and_app_interfaces_are_set_and_listed(served: Served, device) -> None:
    uuid = device.uuid
    said = cli(served, "netinst", "set", uuid, "--name", "lan", "--kind", "local", "--subnet", "10.7.0.0/24")
    assert f"{uuid}: network instance lan (config version" in said
    cli(served, "netinst", "set", uuid, "--name", "plant", "--kind", "switch", "--port", "eth1", "--no-flowlog")
    rows = json.loads(cli(served, "netinst", "list", uuid, "--json"))
    assert [(r["name"], r["kind"], r["port"], r["subnet"], r["flowlog"]) for r in rows] == [
        ("lan", "local", "uplink", "10.7.0.0/24", True), ("plant", "switch", "eth1", "", False)]
    cli(served, "app", "set", uuid, "--name", "cam", "--sha256", SHA, "--network", "plant:10.0.0.0/8",
        "--network", "lan")
    (cam,) = [a for a in config(served, uuid)["apps"] if a["displayname"] == "cam"]
    lan_id, plant_id = (r["uuid"] for r in rows)
    assert [(i["networkId"], i.get("acls", [])) for i in cam["interfaces"]] == [
        (plant_id, [{"id": 1, "matches": [{"type": "ip", "value": "10.0.0.0/8"}]}]), (lan_id, [])]
    assert "400" in cli(served, "app", "set", uuid, "--name", "cam", "--network", "nowhere", code=1)
    assert "400" in cli(served, "netinst", "set", uuid, "--name", "bad", "--kind", "switch", "--subnet",
                        "10.0.0.0/8", code=1)
    assert "400" in cli(served, "netinst", "set", uuid, "--name", "bad", "--subnet", "10.0.0.0/33", code=1)
    cli(served, "app", "remove", uuid, "cam")


def test_rollouts_are_created_listed_paused_and_resumed(served: Served, device) -> None:
    made = cli(served, "rollout", "create", "--version", "14.6.1", "--url", "https://ds/eve2.img", "--sha256", SHA,
               "--size", "300MB", "--batch-size", "1", "--wait", "10m", "--deadline", "1h30m")
    assert "rollout r1 of 14.6.1: 1 batches, running" in made
    assert "r1" in cli(served, "rollout", "list") and "14.6.1" in cli(served, "rollout", "list")
    status = json.loads(cli(served, "rollout", "status", "r1", "--json"))
    assert status["wait"] == 600.0 and status["deadline"] == 5400.0 and len(status["batches"]) == 1
    assert "batch" in cli(served, "rollout", "status", "r1")
    assert "rollout r1: halted" in cli(served, "rollout", "pause", "r1")
    refused = cli(served, "rollout", "halt", "r1", code=1)
    assert "409" in refused
    assert "rollout r1: " in cli(served, "rollout", "resume", "r1")


def test_raw_calls_and_clear_errors(served: Served, device) -> None:
    assert cli(served, "call", "GET", "/device").split() == [device.uuid]
    changed = cli(served, "call", "PUT", f"/admin/device/{device.uuid}/configitems", "--body",
                  '{"items": {"timer.metric.interval": "60"}}')
    assert '"version"' in changed
    assert "nothing to change" in cli(served, "items", device.uuid, code=2)
    assert "which devices" in cli(served, "reboot", code=2)
    assert "not a UUID" in cli(served, "reboot", "lab-1", code=2)
    assert "not both" in cli(served, "reboot", device.uuid, "--all", code=2)


def test_follow_prints_the_recent_items_first(served: Served, device) -> None:
    for n in range(3):
        assert device.post(f"id/{device.uuid}/metrics", _metric(device.uuid, n + 1))[0] == 201
    follower = subprocess.Popen([*CLI, "controller", "metrics", device.uuid, "--follow", "--backfill", "2", "--count",
                                 "3", "--data", str(served.data)], stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(follower.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while follower.poll() is None:  # new metrics until the follower has seen one
        assert time.monotonic() < deadline, lines
        if len(lines) >= 2:
            device.post(f"id/{device.uuid}/metrics", _metric(device.uuid, 99))
        time.sleep(0.3)
    reader.join(10)
    assert follower.returncode == 0 and len(lines) == 3
    stamps = [json.loads(line)["atTimeStamp"] for line in lines]
    assert stamps == ["1970-01-01T00:00:02Z", "1970-01-01T00:00:03Z", "1970-01-01T00:01:39Z"]


def _metric(uuid: str, seconds: int) -> bytes:
    """A ZMetricMsg of the device stamped ``seconds`` after the epoch."""
    return message((1, uuid), (3, message((1, seconds))))


def test_serve_access_log_names_each_request(tmp_path: Path) -> None:
    process = subprocess.Popen([*CLI, "controller", "serve", "--data", str(tmp_path), "--port", "0", "--access-log"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "server").exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        cli_result = runner.invoke(app, ["controller", "device", "list", "--data", str(tmp_path)])
        assert cli_result.exit_code == 0, cli_result.output
    finally:
        process.terminate()
        log, _ = process.communicate(timeout=30)
    assert "GET /admin/fleet/devices HTTP/1.1\" 200" in log, log
