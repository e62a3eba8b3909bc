"""Xen's toolstack as the ``xen`` backend drives it: the ``xl`` command line, one call per operation.

Each app domain gets a config file (name, memory, vcpus, its volume as the boot disk through
``pygrub``, no network); ``xl create -p`` creates it paused, ``xl unpause`` starts it, ``xl shutdown``
asks the guest to stop (``xl destroy`` when forced), ``xl list`` tells its state. A failing ``xl``
(exit code, stderr) is the operation's error, never an exception.
"""

from __future__ import annotations

import asyncio
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from evesim.agent import effects as fx
from evesim.api.vocab import DomainStatus

XL_TIMEOUT_S = 120.0
"""How long one ``xl`` call may take before it counts as failed."""
LIST_TRIES = 3
LIST_RETRY_S = 0.5
"""A failing ``xl list`` (other than for an unknown domain) is asked again, three times in all, half a second apart."""
NO_SUCH_DOMAIN = "invalid domain identifier"
"""What ``xl`` says, whatever the case, of a domain name it does not know."""
FLAGS: tuple[tuple[str, DomainStatus], ...] = (
    ("c", "crashed"), ("s", "shutdown"), ("d", "shutdown"), ("p", "paused"), ("r", "running"), ("b", "running"),
)
"""``xl list``'s state flags, most telling first: crashed, shutting down or dying, paused, running or blocked."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_QUOTING = frozenset("\"'\\,\n\r")
"""Characters that would break out of a quoted value in an ``xl`` config file."""


class XlError(RuntimeError):
    """``xl`` failed: the message holds its command, exit code and stderr."""


@dataclass(frozen=True, slots=True)
class HostInfo:
    """What ``xl info`` says of the host."""

    total_memory_mb: int
    free_memory_mb: int
    nr_cpus: int
    xen_version: str


class Xl:
    """The ``xl`` binary at ``path``, with domain config files kept in ``config_dir``."""

    def __init__(self, path: str, config_dir: Path, timeout_s: float = XL_TIMEOUT_S) -> None:
        self.path = path
        self.config_dir = config_dir
        self.timeout_s = timeout_s

    # -------------------------------------------------------------- the Domain effect

    async def perform(self, eff: fx.Domain, disk: Path | None) -> fx.DomainState:
        """Do ``eff`` and say what Xen shows afterwards; a refused operation carries ``xl``'s error."""
        name = domain_name(eff.name)
        try:
            await self._operate(eff, name, disk)
        except (XlError, OSError) as exc:
            state = await self.state(name)
            return fx.DomainState(eff.name, state.state, state.domid, str(exc))
        state = await self.state(name)
        return fx.DomainState(eff.name, state.state, state.domid)

    async def _operate(self, eff: fx.Domain, name: str, disk: Path | None) -> None:
        if eff.op == "create":
            await self._run("create", "-p", str(self._write_config(eff, name, disk)))
        elif eff.op == "start":
            await self._run("unpause", name)
        elif eff.op == "stop":
            await self._run("destroy" if eff.force else "shutdown", name)
        elif eff.op == "destroy" and (await self.state(name)).state != "absent":
            await self._run("destroy", name)

    async def state(self, name: str) -> fx.DomainState:
        """``xl list NAME``: the domain's state and id, or absent.

        ``xl`` saying it knows no such domain means absent at once; any other failure is asked again
        (``LIST_TRIES`` in all), so a passing libxl error does not make a running domain look gone.
        """
        for attempt in range(1, LIST_TRIES + 1):
            try:
                return parse_list(name, await self._run("list", name))
            except XlError as exc:
                if NO_SUCH_DOMAIN in str(exc).lower() or attempt == LIST_TRIES:
                    break
            await asyncio.sleep(LIST_RETRY_S)
        return fx.DomainState(name, "absent")

    def _write_config(self, eff: fx.Domain, name: str, disk: Path | None) -> Path:
        if disk is None:
            raise XlError(f"no volume {eff.blob!r} to boot domain {eff.name}")
        if _QUOTING & set(str(disk)):
            raise XlError(f"volume path {str(disk)!r} cannot be quoted in an xl config")
        self.config_dir.mkdir(parents=True, exist_ok=True)
        path = self.config_dir / f"{name}.cfg"
        path.write_text(domain_config(eff, name, disk))
        return path

    # -------------------------------------------------------------- the host

    def info(self) -> HostInfo:
        """``xl info`` (blocking: read once per boot)."""
        try:
            done = subprocess.run([self.path, "info"], capture_output=True, text=True, timeout=self.timeout_s,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise XlError(f"{self.path} info: {exc}") from exc
        if done.returncode != 0:
            raise XlError(f"{self.path} info: exit {done.returncode}: {done.stderr.strip()}")
        return parse_info(done.stdout)

    async def read_info(self) -> HostInfo:
        """``xl info`` without blocking the agents' loop."""
        return parse_info(await self._run("info"))

    async def _run(self, *args: str) -> str:
        command = f"{self.path} {' '.join(args)}"
        try:
            proc = await asyncio.create_subprocess_exec(self.path, *args, stdout=asyncio.subprocess.PIPE,
                                                        stderr=asyncio.subprocess.PIPE)
        except OSError as exc:
            raise XlError(f"{command}: {exc}") from exc
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.timeout_s)
        except TimeoutError as exc:
            await _reap(proc)
            raise XlError(f"{command}: no answer in {self.timeout_s:g} s") from exc
        except asyncio.CancelledError:
            await _reap(proc)  # the agent stopped (a restart, a shutdown): leave no xl behind
            raise
        if proc.returncode != 0:
            raise XlError(f"{command}: exit {proc.returncode}: {err.decode(errors='replace').strip()}")
        return out.decode(errors="replace")


async def _reap(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


def domain_name(name: str) -> str:
    """The Xen domain name for an app domain: letters, digits, ``_.-`` only (others become ``-``), 64 at most."""
    return _UNSAFE.sub("-", name).strip("-.")[:64] or "app"


def domain_config(eff: fx.Domain, name: str, disk: Path) -> str:
    """The ``xl`` config of an app domain booting its volume (PV, through ``pygrub``)."""
    lines = {
        "name": f'"{name}"',
        "type": '"pv"',
        "memory": str(max(math.ceil(eff.memory_kb / 1024), 1)),
        "vcpus": str(max(eff.vcpus, 1)),
        "bootloader": '"pygrub"',
        "disk": f'[ "format=raw,vdev=xvda,access=rw,target={disk}" ]',
        "vif": "[ ]",
        "on_crash": '"preserve"',
    }
    return "".join(f"{key} = {value}\n" for key, value in lines.items())


def parse_list(name: str, out: str) -> fx.DomainState:
    """The state of ``name`` in ``xl list`` output (header line, then ``Name ID Mem VCPUs State Time``)."""
    for line in out.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5 and fields[0] == name:
            flags = fields[4]
            state: DomainStatus = next((status for flag, status in FLAGS if flag in flags), "running")
            return fx.DomainState(name, state, int(fields[1]) if fields[1].isdigit() else None)
    return fx.DomainState(name, "absent")


def parse_info(out: str) -> HostInfo:
    """``xl info``'s ``key : value`` lines."""
    values = {}
    for line in out.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    try:
        return HostInfo(int(values["total_memory"]), int(values["free_memory"]), int(values["nr_cpus"]),
                        f"{values.get('xen_major', '?')}.{values.get('xen_minor', '?')}")
    except (KeyError, ValueError) as exc:
        raise XlError(f"xl info: no usable {exc} in its output") from exc
