"""Host facts: hardware from /sys and /proc, the partition view, the server name, the link probe."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.agent import effects as fx
from evesim.backends import machine
from evesim.backends.statedir import StateDir


def _system(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "system"
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    root.mkdir(exist_ok=True)
    return root


FULL = {
    "sys/class/dmi/id/product_serial": "DMI-123\n",
    "sys/class/dmi/id/sys_vendor": "Acme\n",
    "sys/class/dmi/id/product_name": "Box 9\n",
    "proc/meminfo": "MemTotal:       16384000 kB\nMemFree:  1 kB\n",
    "etc/machine-id": "0123456789abcdef\n",
    "dev/watchdog": "",
}


def test_hardware_from_a_full_system(state: StateDir, tmp_path: Path) -> None:
    hw = machine.hardware(state, _system(tmp_path, FULL))
    assert (hw.serial, hw.manufacturer, hw.product_name) == ("DMI-123", "Acme", "Box 9")
    assert hw.memory_mb == 16000 and hw.ncpu >= 1 and hw.storage_mb > 0
    assert (hw.has_tpm, hw.has_hw_watchdog, hw.power_cycles, hw.watchdog_cardreset) == (False, True, -1, False)


def test_memory_in_use_is_what_memavailable_leaves(tmp_path: Path) -> None:
    system = _system(tmp_path, {"proc/meminfo": "MemTotal: 2048000 kB\nMemFree: 1 kB\nMemAvailable: 1024000 kB\n"})
    assert machine.memory_usage(system) == fx.Memory(2000, 1000)
    assert machine.memory_usage(tmp_path / "no-such-system") == fx.Memory(0, 0)


def test_configured_serial_wins(state: StateDir, tmp_path: Path) -> None:
    state.write("/config/serial", b" SER-7 \n")
    assert machine.hardware(state, _system(tmp_path, FULL)).serial == "SER-7"


def test_fallbacks_on_a_bare_system(state: StateDir, tmp_path: Path) -> None:
    hw = machine.hardware(state, _system(tmp_path, {"etc/machine-id": "0123456789abcdef\n"}))
    assert hw.serial == "host-" + hashlib.sha256(b"0123456789abcdef").hexdigest()[:16]
    assert (hw.manufacturer, hw.product_name, hw.memory_mb, hw.has_hw_watchdog) == ("unknown", "host", 0, False)
    assert machine.hardware(state, _system(tmp_path, {"etc/machine-id": "0123456789abcdef\n"})).serial == hw.serial


def test_persist_usage_is_the_state_directorys_file_system(state: StateDir) -> None:
    usage = machine.persist_usage(state)
    disk = shutil.disk_usage(state.root)
    assert usage.total == disk.total and 0 < usage.used <= usage.total


def test_partitions_of_the_host(state: StateDir) -> None:
    view = machine.partitions(state)
    assert view == fx.PartitionView("IMGA", {"IMGA": "active", "IMGB": "unused"}, {"IMGA": "0.0.0-host", "IMGB": None})
    state.write("/config/eve-release", b"14.5.1-host\n")
    assert machine.partitions(state).versions["IMGA"] == "14.5.1-host"


@pytest.mark.parametrize(("server", "parsed"), [
    ("ctl.example.com:8443", ("ctl.example.com", 8443)),
    ("ctl.example.com", ("ctl.example.com", 443)),
    ("127.0.0.1:41000\n", ("127.0.0.1", 41000)),
    ("[::1]:8443", ("::1", 8443)),
    ("[fe80::1]", ("fe80::1", 443)),
])
def test_split_server(server: str, parsed: tuple[str, int]) -> None:
    assert machine.split_server(server) == parsed


@pytest.mark.parametrize("server", ["", ":443", "host:0", "host:70000", "host:http", "https://host", "a b:1", "[::1",
                                    "[::1]x", "[::1]:", "host:", "host:²"])
def test_split_server_refuses_malformed(server: str) -> None:
    with pytest.raises(ValueError):
        machine.split_server(server)


@given(st.text(max_size=40))
def test_split_server_never_crashes_otherwise(server: str) -> None:
    try:
        host, port = machine.split_server(server)
    except ValueError:
        return
    assert host and 0 < port < 65536


def test_link_probe() -> None:
    assert machine.probe_link(b"127.0.0.1:443") == fx.Link("eth0", True, "127.0.0.1")
    assert machine.probe_link(None) == fx.Link("eth0", False, None)
    assert machine.probe_link(b"not a server") == fx.Link("eth0", False, None)


def test_a_port_given_its_address_is_up_only_while_the_host_has_it() -> None:
    assert machine.probe_link(b"127.0.0.1:443", "eth1", "127.0.0.7") == fx.Link("eth1", True, "127.0.0.7")
    assert machine.probe_link(b"127.0.0.1:443", "eth1", "192.0.2.77") == fx.Link("eth1", False, None)


@pytest.mark.parametrize("text, error", [
    ("eth1", "expected NAME=ADDRESS"), ("=10.0.0.1", "expected NAME=ADDRESS"), ("eth 1=10.0.0.1", "expected"),
    ("eth1=not-an-ip", "port eth1: 'not-an-ip' is not an IP address"),
])
def test_a_malformed_port_is_refused_naming_it(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        machine.parse_port(text)
    assert machine.parse_port("wwan0=::1") == ("wwan0", "::1")
