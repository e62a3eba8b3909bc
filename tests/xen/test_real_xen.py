"""End to end on a real Xen: ``evesim agent --backend xen`` in a dom0 booted under QEMU (software emulation).

The host serves the controller (``evesim controller serve --name 10.0.2.2``) and a datastore with the guest
disk; dom0 reaches both through QEMU's user-mode gateway. The device onboards, gets an app, downloads its
disk, ``xl create``s it and reports it RUNNING; removing the app stops and deletes the domain. Everything
is checked through the controller's admin API and dom0's ``xl list`` (printed on the serial console).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from evesim.controller.client import AdminClient
from tests.datastore import serving
from tests.xen import image

pytestmark = pytest.mark.xen

CLI = [sys.executable, "-c", "from evesim.cli import main; main()"]
GATEWAY = "10.0.2.2"
"""The host as dom0 sees it through QEMU's user-mode network."""
BOOTSTRAP = ("root-certificate.pem", "onboard.cert.pem", "onboard.key.pem")
PROJECT = Path(__file__).resolve().parents[2]
QEMU = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max,-smap", "-m", "3072", "-smp", "2", "-display", "none",
        "-monitor", "none", "-no-reboot", "-nic", "user,model=e1000"]
XEN_ARGS = "console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M loglvl=all guest_loglvl=all"
DOM0_ARGS = "console=hvc0 earlyprintk=xen"
APP = "guest"
GUEST_MEMORY_KB = 128 * 1024
START = f"""#!/bin/sh
# the run's agent: the device's state in a tmpfs, its events on the console
mkdir -p /run/device
cp -r /evesim/config /run/device/config
export PYTHONPATH=/{image.OPT}
exec python3 -c 'from evesim.cli import main; main()' agent --state-dir /run/device --backend xen \\
    --no-watchdog --no-reboot
"""
XL_LINE = re.compile(r"^xl-list: (\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+([\d.]+)\s*$")
T = TypeVar("T")


class Machine:
    """QEMU running Xen, dom0 and the agent, with its serial console in a file."""

    def __init__(self, img: image.Image, initrd: Path, console: Path) -> None:
        self.console = console
        self._out = (console.parent / "qemu.log").open("w")
        self.popen = subprocess.Popen(
            [*QEMU, "-serial", f"file:{console}", "-kernel", str(img.xen), "-append", XEN_ARGS,
             "-initrd", f"{img.kernel} {DOM0_ARGS},{initrd}"], stdout=self._out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.console.read_text(errors="replace") if self.console.exists() else ""

    def events(self) -> list[dict[str, Any]]:
        """The agent's JSON event lines (the console may cut a few)."""
        return [event for line in self.text().splitlines() if line.startswith("{") and (event := _json(line))]

    def domains(self) -> dict[str, tuple[str, float]]:
        """The last ``xl list`` dom0 printed: name -> (state flags, CPU seconds)."""
        blocks = self.text().split("xl-list: Name")
        last = blocks[-2] if len(blocks) > 2 else blocks[-1]  # the last one may still be printing
        return {m[1]: (m[5], float(m[6])) for line in last.splitlines() if (m := XL_LINE.match(line))}

    def report(self) -> str:
        """The console's tail and the agent's last events, for failure messages."""
        events = "\n".join(json.dumps(e) for e in self.events()[-25:])
        return f"\n--- console ({self.console}, tail) ---\n{self.text()[-4000:]}\n--- agent events (last) ---\n{events}"

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=20)
        self._out.close()


def _json(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@pytest.fixture(scope="session")
def xen_image(tmp_path_factory: pytest.TempPathFactory) -> image.Image:
    return image.build(tmp_path_factory.mktemp("xen-build") / "build.log")


@pytest.fixture
def controller(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """``evesim controller serve`` on a free port, its certificate valid for the gateway address."""
    data = tmp_path / "ctrl"
    log = (tmp_path / "controller.log").open("w")
    served = subprocess.Popen([*CLI, "controller", "serve", "--data", str(data), "--port", "0", "--name", GATEWAY],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        server = _wait(lambda: (data / "server").exists() and (data / "server").read_text().strip(), 60,
                       lambda: f"controller did not start: {(tmp_path / 'controller.log').read_text()[-3000:]}")
        yield data, int(server.rsplit(":", 1)[1])
    finally:
        served.kill()
        served.wait(timeout=10)
        log.close()


@pytest.fixture
def datastore(xen_image: image.Image) -> Iterator[int]:
    """An HTTP datastore on the host serving the guest disk as ``/guest.img``; yields its port."""
    with serving(xen_image.guest.parent) as port:
        yield port


@pytest.fixture
def machine(xen_image: image.Image, controller: tuple[Path, int], tmp_path: Path) -> Iterator[Machine]:
    """Xen booted with dom0 running the agent for a device bootstrapped with the controller's files."""
    data, port = controller
    files = {f"/evesim/config/{name}": (data / name).read_bytes() for name in BOOTSTRAP}
    files |= {"/evesim/config/server": f"{GATEWAY}:{port}\n".encode(), "/evesim/config/serial": b"XEN-1\n",
              "/evesim/config/soft_serial": b"xen-soft-1\n", "/evesim/start": START.encode()}
    initrd = image.initrd(xen_image, tmp_path / "layer", files, PROJECT, tmp_path / "initrd", tmp_path / "layer.log")
    running = Machine(xen_image, initrd, tmp_path / "console.log")
    try:
        yield running
    finally:
        running.stop()
        initrd.unlink()  # 200 MB a run; the console log stays


def _wait(probe: Callable[[], T], timeout: float, why: Callable[[], str], alive: Machine | None = None) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and alive.popen.poll() is not None:
            raise AssertionError(f"QEMU exited ({alive.popen.returncode}): {why()}")
        value = probe()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:g} s: {why()}")


def _apps(admin: AdminClient, uuid: str) -> dict[str, dict[str, Any]]:
    """The latest app info per app ID the device reported."""
    lines = admin.call("GET", f"/device/{uuid}/info/latest").text.splitlines()
    infos = [json.loads(line).get("ainfo") for line in lines if line.strip()]
    return {info["AppID"]: info for info in infos if info}


def test_the_xen_agent_runs_and_removes_an_app_domain(xen_image: image.Image, controller: tuple[Path, int],
                                                      datastore: int, machine: Machine) -> None:
    data, _ = controller
    admin = AdminClient.resolve(None, data, None, None)
    uuid = _wait(lambda: admin.call("GET", "/device").text.split(), 300,
                 lambda: f"the device did not onboard{machine.report()}", machine)[0]
    assert admin.call("GET", f"/device/{uuid}").json()["Serial"] == "XEN-1"
    admin.call("PUT", f"/device/{uuid}/configitems", json={"items": {"timer.config.interval": "5"}})
    digest = hashlib.sha256(xen_image.guest.read_bytes()).hexdigest()
    admin.call("PUT", f"/device/{uuid}/apps/{APP}", json={
        "image_url": f"http://{GATEWAY}:{datastore}/{xen_image.guest.name}", "sha256": digest,
        "size_bytes": xen_image.guest.stat().st_size, "memory_kb": GUEST_MEMORY_KB, "vcpus": 1})
    app_id = next(app["uuid"] for app in admin.call("GET", f"/device/{uuid}/apps").json() if app["name"] == APP)

    _wait(lambda: _apps(admin, uuid).get(app_id, {}).get("state") == "RUNNING", 420,
          lambda: f"app not reported RUNNING: {_apps(admin, uuid)}{machine.report()}", machine)
    domain = _wait(lambda: _running_guest(machine), 60,
                   lambda: f"no running guest in dom0's xl list: {machine.domains()}{machine.report()}", machine)

    marker = f"guest-{domain}.log: {image.GUEST_MARKER}"
    _wait(lambda: marker in machine.text(), 120,
          lambda: f"the guest's console never said {image.GUEST_MARKER}{machine.report()}", machine)

    admin.call("DELETE", f"/device/{uuid}/apps/{APP}")
    _wait(lambda: domain not in machine.domains() and "Domain-0" in machine.domains(), 300,
          lambda: f"domain {domain} still in xl list: {machine.domains()}{machine.report()}", machine)
    _wait(lambda: _apps(admin, uuid).get(app_id, {}).get("state") != "RUNNING", 120,
          lambda: f"app still reported: {_apps(admin, uuid).get(app_id)}{machine.report()}", machine)
    kinds = {event.get("kind") for event in machine.events()}
    assert {"onboarded", "config_applied"} <= kinds, machine.report()
    admin.close()


def _running_guest(machine: Machine) -> str | None:
    """The guest domain if dom0's ``xl list`` shows it running (or blocked) with CPU time spent."""
    for name, (flags, seconds) in machine.domains().items():
        if name != "Domain-0" and ("r" in flags or "b" in flags) and seconds > 0:
            return name
    return None
