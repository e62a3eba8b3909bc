"""The ``xen`` backend against a fake ``xl`` that answers as Xen's does: every domain operation, state and error."""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evesim.agent import effects as fx
from evesim.backends.logsink import LogSink
from evesim.backends.statedir import StateDir
from evesim.backends.xen import XenDevice
from evesim.backends.xl import Xl, XlError, domain_config, parse_info, parse_list
from evesim.cli import app

FAKE_XL = Path(__file__).with_name("fake_xl.py")
DISK = "/persist/downloads/" + "ab" * 32


@pytest.fixture
def xl_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "xl.json"
    monkeypatch.setenv("FAKE_XL_STATE", str(state))
    return state


class Lifecycle:
    def reboot(self, reason: str) -> None: ...
    def power_off(self, reason: str) -> None: ...
    def start_agent(self, name: str, process: object) -> None: ...


def _device(tmp_path: Path, xl: str = str(FAKE_XL)) -> XenDevice:
    (tmp_path / "dev").mkdir(parents=True, exist_ok=True)
    return XenDevice(StateDir(tmp_path / "dev"), Lifecycle(), LogSink(io.StringIO(), lambda: 0.0, False),
                     xl_path=xl)


def _do(dev: XenDevice, op: str, **kw: object) -> fx.DomainState:
    handler = dev.timed(fx.Domain)
    assert handler is not None
    return asyncio.run(handler(dev, fx.Domain(op, "web", **kw)))  # type: ignore[arg-type]


def _calls(xl_state: Path) -> list[list[str]]:
    return [call for call in json.loads(xl_state.read_text())["calls"] if call[0] not in ("list", "info")]


def test_an_app_domain_is_created_paused_started_stopped_and_destroyed(tmp_path: Path, xl_state: Path) -> None:
    dev = _device(tmp_path)
    created = _do(dev, "create", memory_kb=512 * 1024 + 1, vcpus=2, blob=DISK)
    assert (created.state, created.domid, created.error) == ("paused", 1, None)
    config = (tmp_path / "dev" / "run" / "xen-domains" / "web.cfg").read_text()
    assert 'memory = 513' in config and "vcpus = 2" in config and "on_crash" in config
    assert f"target={dev.state.host_path(DISK)}" in config
    assert _do(dev, "start").state == "running"
    assert _do(dev, "info").state == "running"
    assert _do(dev, "stop").state == "shutdown"
    assert _do(dev, "info").state == "absent"
    assert _do(dev, "destroy").state == "absent"
    assert [call[0] for call in _calls(xl_state)] == ["create", "unpause", "shutdown"]


def test_a_forced_stop_destroys_and_destroy_frees_a_running_domain(tmp_path: Path, xl_state: Path) -> None:
    dev = _device(tmp_path)
    _do(dev, "create", memory_kb=1024, vcpus=1, blob=DISK)
    assert _do(dev, "stop", force=True).state == "absent"
    _do(dev, "create", memory_kb=1024, vcpus=1, blob=DISK)
    assert _do(dev, "destroy").state == "absent"
    assert [call[0] for call in _calls(xl_state)] == ["create", "destroy", "create", "destroy"]


def test_xl_failing_is_the_operations_error_never_an_exception(tmp_path: Path, xl_state: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    dev = _device(tmp_path)
    monkeypatch.setenv("FAKE_XL_FAIL", "create")
    refused = _do(dev, "create", memory_kb=1024, vcpus=1, blob=DISK)
    assert refused.state == "absent" and refused.error is not None
    assert "exit 3" in refused.error and "create failed (fake)" in refused.error
    started = _do(dev, "start")
    assert started.state == "absent" and "Invalid domain identifier" in (started.error or "")


def test_a_passing_xl_list_failure_does_not_make_a_domain_look_gone(tmp_path: Path, xl_state: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    dev = _device(tmp_path)
    monkeypatch.setenv("FAKE_XL_FLAKY", "list:2")
    created = _do(dev, "create", memory_kb=1024, vcpus=1, blob=DISK)
    assert (created.state, created.domid, created.error) == ("paused", 1, None)
    monkeypatch.setenv("FAKE_XL_FLAKY", "list:99")
    assert _do(dev, "info").state == "absent"
    calls = json.loads(xl_state.read_text())["calls"]
    assert [call[0] for call in calls].count("list") == 3 + 3


def test_without_xl_or_without_a_volume_the_operation_fails_cleanly(tmp_path: Path, xl_state: Path) -> None:
    missing = _device(tmp_path, xl=str(tmp_path / "no-such-xl"))
    state = _do(missing, "create", memory_kb=1024, vcpus=1, blob=DISK)
    assert state.state == "absent" and "no-such-xl" in (state.error or "")
    assert "no volume" in (_do(_device(tmp_path), "create", memory_kb=1024, vcpus=1).error or "")


def test_an_app_name_becomes_a_name_xl_cannot_misread(tmp_path: Path, xl_state: Path) -> None:
    dev = _device(tmp_path)
    handler = dev.timed(fx.Domain)
    assert handler is not None
    state = asyncio.run(handler(dev, fx.Domain("create", "-p my app", 1024, 1, DISK)))  # type: ignore[arg-type]
    assert state == fx.DomainState("-p my app", "paused", 1)
    assert _calls(xl_state)[0][:2] == ["create", "-p"] and _calls(xl_state)[0][2].endswith("/p-my-app.cfg")


def test_only_downloaded_blobs_boot_and_a_path_that_breaks_the_config_is_refused(tmp_path: Path,
                                                                                 xl_state: Path) -> None:
    dev = _device(tmp_path)
    for blob in ("/config/device.key.pem", "/persist/downloads/../../config/x", "/persist/downloads/"):
        assert "not a downloaded blob" in (_do(dev, "create", memory_kb=1024, vcpus=1, blob=blob).error or "")
    quoted = _device(tmp_path / 'a"b')
    refused = _do(quoted, "create", memory_kb=1024, vcpus=1, blob=DISK)
    assert refused.state == "absent" and "cannot be quoted" in (refused.error or "")
    assert _calls(xl_state) == []  # no xl create ran


def test_host_facts_come_from_xl_info(tmp_path: Path, xl_state: Path) -> None:
    facts = _device(tmp_path).hardware()
    assert (facts.memory_mb, facts.ncpu) == (8191, 4)


def test_memory_in_use_is_xens_total_less_its_free_memory(tmp_path: Path, xl_state: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    dev = _device(tmp_path)
    assert _memory(dev) == fx.Memory(8191, 8191 - 6000)
    _do(dev, "create", memory_kb=512 * 1024, vcpus=1, blob=DISK)
    assert _memory(dev) == fx.Memory(8191, 8191 - 6000 + 512)  # the domain's memory is in use
    monkeypatch.setenv("FAKE_XL_FAIL", "info")
    assert _memory(dev) == fx.Memory(8191, 8191 - 6000 + 512)  # the last figures stand
    assert "xl_failed" in dev.log.stream.getvalue()  # type: ignore[attr-defined]


def _memory(dev: XenDevice) -> fx.Memory:
    assert dev.instant(fx.MemoryUsage) is None
    handler = dev.timed(fx.MemoryUsage)
    assert handler is not None
    return asyncio.run(handler(dev, fx.MemoryUsage()))  # type: ignore[no-any-return]


def test_without_xl_info_the_host_facts_stay_and_the_error_is_logged(tmp_path: Path, xl_state: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_XL_FAIL", "info")
    dev = _device(tmp_path)
    assert dev.xen_info is None and dev.hardware().ncpu >= 1
    assert "xl_failed" in dev.log.stream.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize(("flags", "state"), [("r-----", "running"), ("-b----", "running"), ("--p---", "paused"),
                                              ("---s--", "shutdown"), ("----c-", "crashed"), ("-----d", "shutdown")])
def test_xl_list_flags_map_to_the_effects_states(flags: str, state: str) -> None:
    out = f"Name ID Mem VCPUs State Time(s)\nweb 7 512 1 {flags} 1.0\n"
    assert parse_list("web", out) == fx.DomainState("web", state, 7)  # type: ignore[arg-type]
    assert parse_list("db", out).state == "absent"


def test_xl_info_without_its_figures_is_an_error() -> None:
    with pytest.raises(XlError, match="total_memory"):
        parse_info("host : x\n")


def test_the_domain_config_boots_the_volume_without_network() -> None:
    text = domain_config(fx.Domain("create", "web", 1, 0, DISK), "web", Path("/var/disk.img"))
    assert text.splitlines() == ['name = "web"', 'type = "pv"', "memory = 1", "vcpus = 1", 'bootloader = "pygrub"',
                                 'disk = [ "format=raw,vdev=xvda,access=rw,target=/var/disk.img" ]', "vif = [ ]",
                                 'on_crash = "preserve"']


def test_the_cli_refuses_the_xen_backend_without_xl(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    result = CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path / "dev"), "--backend", "xen",
                                      "--xl", str(tmp_path / "no-such-xl"), "--duration", "0"])
    assert result.exit_code == 2 and "needs Xen's xl" in result.output


def test_an_xl_call_cut_short_by_the_agent_stopping_leaves_no_process(tmp_path: Path) -> None:
    slow, pid_file = tmp_path / "slow-xl", tmp_path / "xl.pid"
    slow.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 30\n")
    slow.chmod(0o755)
    xl = Xl(str(slow), tmp_path)

    async def cut_short() -> None:
        call = asyncio.create_task(xl.state("web"))
        await asyncio.sleep(0.2)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    asyncio.run(cut_short())
    assert not Path(f"/proc/{pid_file.read_text().strip()}").exists()


def test_the_cli_checks_the_reboot_command_before_starting(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    base = ["agent", "--state-dir", str(tmp_path / "dev"), "--duration", "0"]
    xen = [*base, "--backend", "xen", "--xl", str(FAKE_XL)]
    env = {**os.environ, "FAKE_XL_STATE": str(tmp_path / "xl.json")}
    host = CliRunner().invoke(app, [*base, "--reboot-command", "true"])
    assert host.exit_code == 2 and "--reboot-command needs --backend xen" in host.output
    missing = CliRunner().invoke(app, [*xen, "--reboot-command", "/no/such/reboot -f"], env=env)
    assert missing.exit_code == 2 and "'/no/such/reboot' is not an executable" in missing.output
    empty = CliRunner().invoke(app, [*xen, "--reboot-command", " "], env=env)
    assert empty.exit_code == 2 and "--reboot-command is empty" in empty.output
    unclosed = CliRunner().invoke(app, [*xen, "--reboot-command", "reboot 'now"], env=env)
    assert unclosed.exit_code == 2 and "No closing quotation" in unclosed.output
    assert CliRunner().invoke(app, [*xen, "--reboot-command", "true"], env=env).exit_code == 0
    assert CliRunner().invoke(app, [*xen, "--no-reboot"], env=env).exit_code == 0
