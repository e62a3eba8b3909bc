"""The real-time runner: one asyncio loop drives every agent of the device as a task.

Boot = empty ``/run``, start ``device-steps`` (``evesim.agent.device_steps.boot``) and a link poller.
An agent that raises is logged with its traceback and, like EVE's watchdog after a fatal
error, the device's agents are restarted with boot reason ``Fatal`` recorded. ``Reboot``
restarts the agents without rebooting the host, or, given a reboot command (the xen backend's board),
stops them and runs it; ``PowerOff`` and SIGINT/SIGTERM stop cleanly.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from evesim.agent import device_steps, paths
from evesim.agent import effects as fx
from evesim.agent.bootreason import BootReason
from evesim.agent.device_steps import Settings
from evesim.backends import machine, tpm_effects
from evesim.backends.host import AGENT, Clock, HostDevice, drive
from evesim.backends.logsink import LogSink
from evesim.backends.statedir import StateDir
from evesim.backends.vocab import Backend
from evesim.backends.watchdog import KICK_S, DeviceWatchdog
from evesim.backends.xen import XenDevice

WATCHDOG_RESTART_S = 10.0
"""Delay between a fatal agent error and the restart of the agents (EVE's watchdog is not instant)."""
LINK_POLL_S = 5.0
REBOOT_TIMEOUT_S = 60.0
"""How long the reboot command may take to return (``reboot -f`` does not: the kernel restarts the board)."""


Boot = Callable[[Settings], Generator[Any, Any, Any]]


@dataclass(frozen=True)
class Options:
    """How the runner behaves; tests shorten the delays, capture the output or boot other processes."""

    quiet: bool = False
    stream: TextIO | None = None
    clock: Clock = Clock()
    seed: int | None = None
    system: Path = Path("/")
    restart_delay_s: float = WATCHDOG_RESTART_S
    link_poll_s: float = LINK_POLL_S
    boot: Boot = device_steps.boot
    backend: Backend = "host"
    xl_path: str = "xl"
    """The ``xl`` the ``xen`` backend runs."""
    disk: Path | None = None
    """The ``xen`` backend's GPT boot disk with IMGA/IMGB (a block device, or an image file in tests)."""
    watchdog: Path | None = None
    """A watchdog device to open and keep alive (``/dev/watchdog`` on a board), or none."""
    watchdog_kick_s: float = KICK_S
    tpm: str | None = None
    """The TCTI of the board's TPM (``device:/dev/tpmrm0``, ``swtpm:host=H,port=P``), or none."""
    reboot_command: tuple[str, ...] | None = None
    """What reboots the board (zboot's ``reboot -n -f`` on Xen); none: the agents restart in place."""
    ports: tuple[tuple[str, str], ...] = ()
    """The device's ports, each with the local address its traffic leaves from; none: one port, ``eth0``."""


class Runner:
    """Runs the agents of the device whose state lives in ``state_dir`` until stopped."""

    def __init__(self, state_dir: Path, settings: Settings = Settings(), options: Options = Options()) -> None:
        self.state = StateDir(state_dir)
        self.settings = settings
        self.options = options
        stream = options.stream if options.stream is not None else sys.stdout
        seed = options.seed if options.seed is not None else secrets.randbits(64)
        sink = LogSink(stream, options.clock.wall, options.quiet)
        self.tpm = open_tpm(options.tpm)
        if options.backend == "xen":
            self.device: HostDevice = XenDevice(self.state, self, sink, clock=options.clock, seed=seed,
                                                system=options.system, tpm=self.tpm, xl_path=options.xl_path,
                                                disk=options.disk, ports=dict(options.ports))
        else:
            self.device = HostDevice(self.state, self, sink, clock=options.clock, seed=seed, system=options.system,
                                     tpm=self.tpm, ports=dict(options.ports))
        self.boots = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self._restart: asyncio.Handle | None = None
        self._stopped: asyncio.Event | None = None
        self._bad_server: bytes | None = None
        self._rebooting = False
        self.watchdog = DeviceWatchdog(options.watchdog) if options.watchdog is not None else None

    # -------------------------------------------------------------- Lifecycle (called by effects)

    def start_agent(self, name: str, process: Generator[Any, Any, Any]) -> None:
        """Run an agent generator of the current boot as a task."""
        self._task(self._agent(self.boots, name, process), name)

    def reboot(self, reason: str) -> None:
        """``zboot reset``: with a reboot command, stop and reboot the board; else the agents start over in place."""
        self.device.record(AGENT, "reboot", {"reason": reason}, "warning")
        if self.options.reboot_command is None:
            self._schedule_restart(0.0, f"reboot: {reason}")
            return
        self._rebooting = True
        self.stop()

    def power_off(self, reason: str) -> None:
        """``zboot poweroff``: stop the runner cleanly."""
        self.device.record(AGENT, "poweroff", {"reason": reason}, "warning")
        self.stop()

    def stop(self) -> None:
        """Ask ``run`` to shut down (signal handlers, power off, the duration limit)."""
        if self._stopped is not None:
            self._stopped.set()

    # -------------------------------------------------------------- running

    async def run(self, duration: float | None = None) -> int:
        """Boot and run until stopped or ``duration`` seconds passed; returns the exit code (0: clean stop)."""
        loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        signals = [s for s in (signal.SIGINT, signal.SIGTERM) if _add_handler(loop, s, self.stop)]
        kicker = self._start_watchdog()
        try:
            self._boot()
            try:
                await asyncio.wait_for(self._stopped.wait(), duration)
            except TimeoutError:
                pass
            await self._shutdown()
            if self._rebooting:  # the watchdog stays armed: it resets a board that does not reboot
                return await self._reboot_board()
            await self._stop_watchdog(kicker, disarm=True)
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            await self._stop_watchdog(kicker, disarm=False)
            if self.tpm is not None:
                self.tpm.close()
        return 0

    async def _reboot_board(self) -> int:
        """Run the reboot command (EVE's ``zboot reset``: ``reboot -n -f``, no sync, no init); 0 once it ran.

        If it fails, EVE's ``zboot.Reset`` is fatal (pkg/pillar/zboot/zboot.go): the error is logged, the command
        exits 1 and the armed watchdog resets the board."""
        command = self.options.reboot_command or ()
        try:
            done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True,
                                           timeout=REBOOT_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            error = str(exc)
        else:
            if done.returncode == 0:
                self.device.record(AGENT, "rebooting", {"command": list(command)}, "warning")
                return 0
            error = f"exit {done.returncode}: {done.stderr.strip()[-500:]}"
        self.device.record(AGENT, "reboot_failed", {"command": list(command), "error": error}, "error")
        return 1

    async def _stop_watchdog(self, kicker: asyncio.Task[None] | None, disarm: bool) -> None:
        """Stop kicking; a clean stop disarms the watchdog, anything else leaves it to reset the board."""
        if kicker is not None:
            kicker.cancel()
            await asyncio.gather(kicker, return_exceptions=True)
        if self.watchdog is not None:
            self.watchdog.close(disarm)

    def _start_watchdog(self) -> asyncio.Task[None] | None:
        """Open the watchdog device and keep it alive from this loop, across agent restarts (OSError if it can't)."""
        if self.watchdog is None:
            return None
        self.watchdog.open()
        return asyncio.get_running_loop().create_task(self.watchdog.keep_alive(self.options.watchdog_kick_s),
                                                      name="watchdog")

    def _boot(self) -> None:
        self.boots += 1
        self.state.ensure()
        self.state.reset_run()
        self.device.new_boot()
        self.device.record(AGENT, "boot", {"boot": self.boots, "state_dir": str(self.state.root)})
        self._task(self._poll_link(self.boots), "link")
        self.start_agent("device-steps", self.options.boot(self.settings))

    async def _shutdown(self) -> None:
        if self._restart is not None:
            self._restart.cancel()
        self.device.record(AGENT, "shutdown", {})
        await self._cancel_all()
        await self.device.client.aclose()

    async def _cancel_all(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _task(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _agent(self, boot: int, name: str, process: Generator[Any, Any, Any]) -> None:
        try:
            await drive(self.device, process, name)
        except Exception as exc:  # noqa: BLE001 - any agent error is a fatal error of that agent
            if boot == self.boots:
                self._fatal(name, exc)

    def _fatal(self, name: str, exc: Exception) -> None:
        """EVE's fatal-error path: record the reason, let the watchdog restart everything (even when the
        reason cannot be saved: a read-only or full ``/persist`` must not stop the restart)."""
        text = f"fatal: agent {name} crashed: {type(exc).__name__}: {exc}"
        fields = {"agent": name, "error": f"{type(exc).__name__}: {exc}",
                  "traceback": "".join(traceback.format_exception(exc))}
        try:
            self.state.write(paths.BOOT_REASON, str(int(BootReason.FATAL)).encode())
            self.state.write(paths.REBOOT_REASON, text.encode())
        except OSError as error:
            fields["reason_not_saved"] = f"{type(error).__name__}: {error}"
        self.device.record(AGENT, "agent_crashed", fields, "error")
        self._schedule_restart(self.options.restart_delay_s, text)

    def _schedule_restart(self, delay: float, why: str) -> None:
        if self._restart is None:
            self._restart = asyncio.get_running_loop().call_later(delay, self._restart_now, why)

    def _restart_now(self, why: str) -> None:
        """Stop every task of this boot and boot again."""
        self._restart = None
        for task in list(self.tasks):
            task.cancel()
        self.device.record(AGENT, "restart", {"why": why}, "warning")
        self._boot()

    async def _poll_link(self, boot: int) -> None:
        """Re-probe the ports' routes to the controller every few seconds; publish ``Link`` when they change."""
        while boot == self.boots:
            server = self.state.read(paths.SERVER)
            self._check_server(server)
            links = await asyncio.to_thread(self._probe, server)
            if boot == self.boots:
                self.device.set_links(links)
            await asyncio.sleep(self.options.link_poll_s)

    def _probe(self, server: bytes | None) -> tuple[fx.Link, ...]:
        """Each port's link: the configured ones by their addresses, else the one port that routes."""
        if not self.options.ports:
            return (machine.probe_link(server),)
        return tuple(machine.probe_link(server, name, address) for name, address in self.options.ports)

    def _check_server(self, server: bytes | None) -> None:
        """Say once per value when ``/config/server`` is not ``host[:port]`` (the link then shows down)."""
        if not server or server == self._bad_server:
            return
        try:
            machine.split_server(server.decode(errors="replace"))
        except ValueError as exc:
            self._bad_server = server
            self.device.record(AGENT, "server_malformed", {"file": paths.SERVER, "error": str(exc)}, "error")


def open_tpm(tcti: str | None) -> tpm_effects.Chip | None:
    """The board's TPM at ``tcti``, or None without one; ``TpmError`` if it cannot be opened."""
    if tcti is None:
        return None
    from evesim.backends.tpm import BoardTpm  # tpm2-pytss: the ``tpm`` extra, needed only with a TPM

    return BoardTpm(tcti)


def _add_handler(loop: asyncio.AbstractEventLoop, sig: signal.Signals, callback: Any) -> bool:
    """Install a signal handler if this thread may (the main thread of a Unix process)."""
    try:
        loop.add_signal_handler(sig, callback)
        return True
    except (NotImplementedError, RuntimeError, ValueError):
        return False


def run_agent(state_dir: Path, settings: Settings = Settings(), options: Options = Options(),
              duration: float | None = None) -> int:
    """Run the device of ``state_dir`` in a fresh event loop; the process exit code."""
    return asyncio.run(Runner(state_dir, settings, options).run(duration))
