"""The real-time runner: watchdog restarts after an agent error, reboots, power off, the link poller, shutdown."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.device_steps import Settings
from evesim.backends.runner import Options, Runner


def _runner(tmp_path: Path, boot: Any) -> tuple[Runner, io.StringIO]:
    out = io.StringIO()
    options = Options(stream=out, seed=1, system=tmp_path / "no-system", restart_delay_s=0.01, link_poll_s=0.05,
                      boot=boot)
    return Runner(tmp_path / "dev", Settings(), options), out


def _events(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _boot_number() -> Generator[Any, Any, int]:
    count = int((yield fx.ReadFile("/persist/boots")) or b"0") + 1
    yield fx.WriteFile("/persist/boots", str(count).encode())
    return count


def test_an_agent_error_is_logged_and_the_agents_restart_with_boot_reason_fatal(tmp_path: Path) -> None:
    seen: list[tuple[int, bytes | None, bytes | None, bytes | None]] = []

    def child() -> Generator[Any, Any, None]:
        yield fx.Sleep(0)
        raise RuntimeError("zedagent lost its mind")

    def boot(settings: Settings) -> Generator[Any, Any, None]:
        count = yield from _boot_number()
        seen.append((count, (yield fx.ReadFile("/persist/boot-reason")), (yield fx.ReadFile("/persist/reboot-reason")),
                     (yield fx.ReadFile("/run/marker"))))
        yield fx.WriteFile("/run/marker", b"1")
        if count == 1:
            yield fx.Spawn("zedagent", child())
            yield fx.Sleep(60)
        yield fx.PowerOff("test over")

    runner, out = _runner(tmp_path, boot)
    assert asyncio.run(runner.run(duration=10)) == 0
    assert seen[0] == (1, None, None, None)
    count, reason, text, marker = seen[1]
    assert (count, reason, marker) == (2, b"6", None)
    assert text == b"fatal: agent zedagent crashed: RuntimeError: zedagent lost its mind"
    crash = next(e for e in _events(out) if e["kind"] == "agent_crashed")
    assert crash["severity"] == "error" and crash["fields"]["agent"] == "zedagent"
    assert "RuntimeError: zedagent lost its mind" in crash["fields"]["traceback"]
    assert "Traceback" in crash["fields"]["traceback"]
    kinds = [e["kind"] for e in _events(out) if e["agent"] == "host" and e["kind"] != "link"]
    assert kinds == ["boot", "agent_crashed", "restart", "boot", "poweroff", "shutdown"]
    assert runner.tasks == set()


def test_reboot_starts_the_agents_again_with_an_empty_run(tmp_path: Path) -> None:
    runs: list[bytes | None] = []

    def boot(settings: Settings) -> Generator[Any, Any, None]:
        count = yield from _boot_number()
        runs.append((yield fx.ReadFile("/run/x")))
        yield fx.WriteFile("/run/x", b"1")
        if count == 1:
            yield fx.Reboot("REBOOT_CMD")
            raise AssertionError("Reboot returned")
        yield fx.PowerOff("done")

    runner, out = _runner(tmp_path, boot)
    assert asyncio.run(runner.run(duration=10)) == 0
    assert runs == [None, None] and runner.boots == 2
    reboot = next(e for e in _events(out) if e["kind"] == "reboot")
    assert reboot["fields"] == {"reason": "REBOOT_CMD"}
    assert not any(e["kind"] == "agent_crashed" for e in _events(out))


def _rebooting_boot(settings: Settings) -> Generator[Any, Any, None]:
    yield from _boot_number()
    yield fx.Reboot("REBOOT_CMD")
    raise AssertionError("Reboot returned")


def test_with_a_reboot_command_the_agents_stop_and_the_board_reboots(tmp_path: Path) -> None:
    ran, watchdog = tmp_path / "rebooted", tmp_path / "watchdog"
    watchdog.touch()
    out = io.StringIO()
    options = Options(stream=out, seed=1, system=tmp_path / "no-system", boot=_rebooting_boot, watchdog=watchdog,
                      reboot_command=("sh", "-c", f"echo now > {ran}"))
    runner = Runner(tmp_path / "dev", Settings(), options)
    assert asyncio.run(runner.run(duration=10)) == 0
    assert ran.read_text() == "now\n" and runner.boots == 1 and runner.tasks == set()
    kinds = [e["kind"] for e in _events(out) if e["agent"] == "host" and e["kind"] != "link"]
    assert kinds == ["boot", "reboot", "shutdown", "rebooting"]
    assert b"V" not in watchdog.read_bytes()  # left armed: a board that does not go down is reset


def test_a_failing_reboot_command_is_logged_and_exits_1(tmp_path: Path) -> None:
    out = io.StringIO()
    options = Options(stream=out, seed=1, system=tmp_path / "no-system", boot=_rebooting_boot,
                      reboot_command=("sh", "-c", "echo no permission >&2; exit 5"))
    assert asyncio.run(Runner(tmp_path / "dev", Settings(), options).run(duration=10)) == 1
    failed = next(e for e in _events(out) if e["kind"] == "reboot_failed")
    assert failed["severity"] == "error" and failed["fields"]["error"] == "exit 5: no permission"


def test_duration_stops_cleanly(tmp_path: Path) -> None:
    def boot(settings: Settings) -> Generator[Any, Any, None]:
        yield fx.Wait(("never",), 0)

    runner, out = _runner(tmp_path, boot)
    assert asyncio.run(runner.run(duration=0.1)) == 0
    assert _events(out)[-1]["kind"] == "shutdown" and runner.tasks == set()


def test_the_link_poller_publishes_the_route_to_the_server(tmp_path: Path) -> None:
    links: list[tuple[fx.Link, ...]] = []

    def boot(settings: Settings) -> Generator[Any, Any, None]:
        yield fx.WriteFile("/config/server", b"127.0.0.1:443")
        seen = 0
        while (yield fx.Read(topics.LINK)) is None:
            seen = yield fx.Wait((topics.LINK,), seen, 5.0)
        links.append((yield fx.LinkStatus()))
        yield fx.PowerOff("done")

    runner, _ = _runner(tmp_path, boot)
    assert asyncio.run(runner.run(duration=10)) == 0
    assert links == [(fx.Link("eth0", True, "127.0.0.1"),)]


def test_the_watchdog_restarts_the_agents_even_when_the_reason_cannot_be_saved(tmp_path: Path, monkeypatch) -> None:
    def child() -> Generator[Any, Any, None]:
        yield fx.Sleep(0)
        raise OSError(30, "Read-only file system")

    def boot(settings: Settings) -> Generator[Any, Any, None]:
        count = yield from _boot_number()
        if count == 1:
            yield fx.Spawn("nodeagent", child())
            yield fx.Sleep(60)
        yield fx.PowerOff("test over")

    runner, out = _runner(tmp_path, boot)
    write = runner.state.write

    def read_only_reasons(path: str, data: bytes, *args: Any, **kwargs: Any) -> None:
        if path.endswith("reboot-reason") or path.endswith("boot-reason"):
            raise OSError(30, "Read-only file system")
        write(path, data, *args, **kwargs)

    monkeypatch.setattr(runner.state, "write", read_only_reasons)
    assert asyncio.run(runner.run(duration=10)) == 0
    crash = next(e for e in _events(out) if e["kind"] == "agent_crashed")
    assert "Read-only file system" in crash["fields"]["reason_not_saved"]
    kinds = [e["kind"] for e in _events(out) if e["agent"] == "host" and e["kind"] != "link"]
    assert kinds == ["boot", "agent_crashed", "restart", "boot", "poweroff", "shutdown"]


def test_a_malformed_server_file_is_named_once(tmp_path: Path) -> None:
    def boot(settings: Settings) -> Generator[Any, Any, None]:
        yield fx.WriteFile("/config/server", b"127.0.0.1:99999")
        yield fx.Sleep(0.3)
        yield fx.PowerOff("done")

    runner, out = _runner(tmp_path, boot)
    assert asyncio.run(runner.run(duration=10)) == 0
    bad = [e for e in _events(out) if e["kind"] == "server_malformed"]
    assert len(bad) == 1 and bad[0]["fields"] == {"file": "/config/server",
                                                   "error": "malformed server '127.0.0.1:99999'"}
