"""Facts about the host machine, as the effects ``HardwareInfo``, ``Partitions`` and ``LinkStatus`` report them.

``system`` is the root of the host's ``/sys``, ``/proc``, ``/etc`` and ``/dev`` (``/`` in production,
a fake tree in tests).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import socket
from pathlib import Path

from evesim.agent import effects as fx
from evesim.backends.statedir import StateDir

DEFAULT_RELEASE = "0.0.0-host"
DEFAULT_PORT = 443
MIB = 1 << 20


def _text(path: Path) -> str:
    """Stripped content of a small text file, or "" if it is missing or unreadable."""
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""


def serial(state: StateDir, system: Path) -> str:
    """``DIR/config/serial``, else the DMI product serial, else a stable id derived from the machine id."""
    configured = (state.read("/config/serial") or b"").decode(errors="replace").strip()
    if configured:
        return configured
    dmi = _text(system / "sys/class/dmi/id/product_serial")
    if dmi:
        return dmi
    machine = _text(system / "etc/machine-id") or socket.gethostname()
    return "host-" + hashlib.sha256(machine.encode()).hexdigest()[:16]


def _meminfo(system: Path) -> dict[str, int]:
    """``/proc/meminfo``'s figures in MiB (lines without a number left out)."""
    values = {}
    for line in _text(system / "proc/meminfo").splitlines():
        key, _, value = line.partition(":")
        fields = value.split()
        if fields and fields[0].isdigit():
            values[key] = int(fields[0]) // 1024
    return values


def memory_mb(system: Path) -> int:
    """MemTotal from ``/proc/meminfo`` in MiB (0 if unknown)."""
    return _meminfo(system).get("MemTotal", 0)


def memory_usage(system: Path) -> fx.Memory:
    """``/proc/meminfo``: MemTotal, and in use what MemAvailable leaves (MiB; zeros if unknown)."""
    values = _meminfo(system)
    total = values.get("MemTotal", 0)
    return fx.Memory(total, max(total - values.get("MemAvailable", total), 0))


def persist_usage(state: StateDir) -> fx.DiskUsage:
    """statfs of the file system holding the state directory's ``/persist``."""
    usage = shutil.disk_usage(state.root)
    return fx.DiskUsage(usage.total, usage.used)


def hardware(state: StateDir, system: Path = Path("/")) -> fx.Hardware:
    """The host as a board: no TPM, a hardware watchdog if ``/dev/watchdog`` exists, unknown power cycles."""
    dmi = system / "sys/class/dmi/id"
    return fx.Hardware(
        serial=serial(state, system),
        manufacturer=_text(dmi / "sys_vendor") or "unknown",
        product_name=_text(dmi / "product_name") or "host",
        ncpu=os.cpu_count() or 1,
        memory_mb=memory_mb(system),
        storage_mb=shutil.disk_usage(state.root).total // MIB,
        has_tpm=False,
        has_hw_watchdog=(system / "dev/watchdog").exists(),
        power_cycles=-1,
        watchdog_cardreset=False,
    )


def partitions(state: StateDir) -> fx.PartitionView:
    """Simplification: the host has no A/B disk; IMGA runs ``DIR/config/eve-release``, IMGB is empty."""
    release = (state.read("/config/eve-release") or b"").decode(errors="replace").strip() or DEFAULT_RELEASE
    return fx.PartitionView("IMGA", {"IMGA": "active", "IMGB": "unused"}, {"IMGA": release, "IMGB": None})


def split_server(server: str) -> tuple[str, int]:
    """``host[:port]`` (IPv6 in brackets) as (host, port); ValueError if malformed."""
    server = server.strip()
    if not server or any(c.isspace() or c in "/?#@" for c in server):
        raise ValueError(f"malformed server {server!r}")
    if server.startswith("["):
        host, bracket, rest = server[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"malformed server {server!r}")
        port = rest[1:] if rest else None
    elif server.count(":") == 1:
        host, _, port = server.partition(":")
    else:
        host, port = server, None
    number = DEFAULT_PORT if port is None else int(port) if port.isascii() and port.isdigit() else -1
    if not host or not 0 < number < 65536:
        raise ValueError(f"malformed server {server!r}")
    return host, number


PORT = "eth0"
"""The port the host backend models when given none: whatever interface routes to the controller."""


def probe_link(server: bytes | None, name: str = PORT, address: str | None = None) -> fx.Link:
    """Port ``name`` up with the local address that routes to the server (UDP connect: no packet sent), else down.

    With ``address`` the port is that local address: up only while the host has it and it reaches the server.
    """
    try:
        host, port = split_server((server or b"").decode(errors="replace"))
        family, kind, proto, _, target = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, kind, proto) as probe:
            if address is not None:
                probe.bind((address, 0))
            probe.connect(target)
            return fx.Link(name, True, str(probe.getsockname()[0]))
    except (OSError, ValueError, IndexError):
        return fx.Link(name, False, None)


def parse_port(text: str) -> tuple[str, str]:
    """``NAME=ADDRESS`` (a port and the local IP address its traffic leaves from); ValueError if malformed."""
    name, equals, address = text.partition("=")
    if not equals or not name or not name.isascii() or not name.replace("-", "").replace(".", "").isalnum():
        raise ValueError(f"expected NAME=ADDRESS (eth1=192.168.1.10), got {text!r}")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"port {name}: {address!r} is not an IP address") from None
    return name, address
