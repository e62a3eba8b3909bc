"""The xen backend's watchdog device: kicked every second from the agents' loop, disarmed with ``V`` on a clean stop."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from evesim.agent import effects as fx
from evesim.agent.device_steps import Settings
from evesim.backends.runner import Options, Runner
from evesim.backends.watchdog import DeviceWatchdog
from evesim.cli import app

FAKE_XL = Path(__file__).with_name("fake_xl.py")


def test_kicks_then_the_magic_close(tmp_path: Path) -> None:
    device = tmp_path / "watchdog"
    device.touch()
    dog = DeviceWatchdog(device)
    dog.open()
    dog.kick()
    dog.kick()
    dog.close()
    dog.close()
    assert device.read_bytes() == b"\0\0V"


def test_the_runner_keeps_the_watchdog_alive_across_agent_restarts_and_disarms_it(tmp_path: Path) -> None:
    device = tmp_path / "watchdog"
    device.touch()

    def boot(settings: Settings) -> Generator[Any, Any, None]:
        yield fx.Sleep(0.05)
        raise RuntimeError("agent bug")  # the agents restart; the watchdog task goes on

    options = Options(stream=io.StringIO(), seed=1, system=tmp_path / "no-system", restart_delay_s=0.01,
                      link_poll_s=0.05, boot=boot, watchdog=device, watchdog_kick_s=0.02)
    runner = Runner(tmp_path / "dev", Settings(), options)
    assert asyncio.run(runner.run(duration=0.3)) == 0
    written = device.read_bytes()
    assert written.endswith(b"V") and written.count(b"\0") >= 5 and runner.boots >= 2


def test_a_runner_that_fails_leaves_the_watchdog_armed(tmp_path: Path) -> None:
    device = tmp_path / "watchdog"
    device.touch()

    def boot(settings: Settings) -> Generator[Any, Any, None]:
        yield fx.Sleep(10.0)

    options = Options(stream=io.StringIO(), seed=1, system=tmp_path / "no-system", boot=boot, watchdog=device,
                      watchdog_kick_s=0.02)
    runner = Runner(tmp_path / "dev", Settings(), options)

    async def broken() -> None:
        raise RuntimeError("shutdown failed")

    runner._shutdown = broken  # type: ignore[method-assign]
    try:
        asyncio.run(runner.run(duration=0.1))
    except RuntimeError:
        pass
    written = device.read_bytes()
    assert written and set(written) == {0}  # kicks, and no magic close: the board's watchdog will reset it


def test_no_watchdog_leaves_the_device_alone(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    env = {"FAKE_XL_STATE": str(tmp_path / "xl.json")}
    result = CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path / "dev"), "--backend", "xen", "--xl",
                                      str(FAKE_XL), "--watchdog", str(tmp_path / "no" / "watchdog"), "--no-watchdog",
                                      "--duration", "0"], env={**os.environ, **env})
    assert result.exit_code == 0, result.output


def test_a_watchdog_that_cannot_be_opened_stops_the_agent_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    env = {"FAKE_XL_STATE": str(tmp_path / "xl.json")}
    result = CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path / "dev"), "--backend", "xen", "--xl",
                                      str(FAKE_XL), "--watchdog", str(tmp_path / "no" / "watchdog"),
                                      "--duration", "0"], env={**os.environ, **env})
    assert result.exit_code == 2 and "or the watchdog: [Errno 2] No such file or directory" in result.output


def test_the_host_backend_leaves_the_watchdog_alone(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    result = CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path / "dev"), "--watchdog",
                                      str(tmp_path / "wd"), "--duration", "0"])
    assert result.exit_code == 2 and "--watchdog needs --backend xen" in result.output
