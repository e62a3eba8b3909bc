"""A base OS update on a GPT disk, end to end: the xen backend's agents against ``evesim controller serve``.

The device downloads the new image, streams it onto IMGB, marks IMGB ``updating`` and reboots. The reboot command
is the test's firmware: it reads the GPT with ``sgdisk`` and picks the partition to boot as EVE's GRUB does
(``gptprio.next``: highest priority with tries left or successful; an unproven pick spends a try). The next boot
runs from IMGB, tests it and commits it; ``sgdisk`` reads the result.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evesim.agent.device_steps import Settings
from evesim.backends.runner import Options, Runner
from evesim.controller.client import AdminClient
from tests.datastore import serving

from .test_e2e import _device_dir, _fetches, _ndjson, controller  # noqa: F401 - controller is a fixture
from .test_gptdisk import FAKE_XL, _flags, _sgdisk, image, sgdisk, template  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

IMGA, IMGB = 2, 3
"""The partitions' numbers in the disk ``test_gptdisk`` lays out as EVE's."""
ACTIVE, UNUSED = 0x102, 0x0
"""zboot's attribute bits (48-63) for a committed partition and a retired one."""
ITEMS = {"timer.config.interval": "5", "timer.test.baseimage.update": "30"}
"""The next config comes within 5 s; an update is tested for EVE's shortest window."""
FIRMWARE = f'''
import re, subprocess, sys
disk, cmdline, log = sys.argv[1:]
def attributes(n):
    out = subprocess.run(["sgdisk", "-i", str(n), disk], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Attribute flags: ([0-9A-F]{{16}})", out)[1], 16), re.search(r"unique GUID: (\\S+)", out)[1]
parts = {{n: attributes(n) for n in ({IMGA}, {IMGB})}}
bootable = [n for n, (a, _) in parts.items() if a >> 56 & 1 or a >> 52 & 0xF]
pick = max(bootable, key=lambda n: (parts[n][0] >> 48 & 0xF, -n))
flags, guid = parts[pick]
if not flags >> 56 & 1:
    flags -= 1 << 52
    subprocess.run(["sgdisk", "-A", f"{{pick}}:=:{{flags:016X}}", disk], capture_output=True, check=True)
open(cmdline, "w").write(f"console=hvc0 root=PARTUUID={{guid.lower()}}\\n")
open(log, "a").write(f"{{pick}}\\n")
'''


class Agent:
    """``Runner`` (the Python API of ``evesim agent``) in a thread, its events in a buffer."""

    def __init__(self, dev: Path, options: Options) -> None:
        self.out = io.StringIO()
        self.runner = Runner(dev, Settings(), replace(options, stream=self.out))
        self.loop = asyncio.new_event_loop()
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.code = self.loop.run_until_complete(self.runner.run())

    def kinds(self) -> list[str]:
        return [json.loads(line)["kind"] for line in self.out.getvalue().splitlines() if line.startswith("{")]

    def wait(self, probe: Callable[[], Any], what: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := probe():
                return value
            assert self.thread.is_alive(), f"{what}: the agent stopped\n{self.out.getvalue()[-3000:]}"
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}\n{self.out.getvalue()[-3000:]}")

    def stop(self) -> int | None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.runner.stop)
        self.thread.join(timeout=30)
        self.loop.close()
        return self.code


@pytest.fixture
def datastore(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    """An HTTP datastore serving a 1 MiB base OS image; yields its URL and the image."""
    blob = hashlib.shake_256(b"EVE 2.0.0").digest(1 << 20)
    (tmp_path / "store").mkdir()
    (tmp_path / "store/rootfs.img").write_bytes(blob)
    with serving(tmp_path / "store") as port:
        yield f"http://127.0.0.1:{port}/rootfs.img", blob


def test_a_base_os_update_is_written_to_imgb_booted_tested_and_committed(
        tmp_path: Path, controller: Path, image: Path, datastore: tuple[str, bytes],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, blob = datastore
    dev, system, booted = _device_dir(tmp_path, controller), tmp_path / "system", tmp_path / "booted"
    (system / "proc").mkdir(parents=True)
    (tmp_path / "firmware.py").write_text(FIRMWARE)
    firmware = (sys.executable, str(tmp_path / "firmware.py"), str(image), str(system / "proc/cmdline"), str(booted))
    options = Options(system=system, backend="xen", xl_path=str(FAKE_XL), disk=image, reboot_command=firmware)
    admin = AdminClient.resolve(None, controller, None, None)
    monkeypatch.setenv("FAKE_XL_STATE", str(tmp_path / "xl.json"))
    first = Agent(dev, options)
    uuid = first.wait(lambda: admin.call("GET", "/device").text.split(), "onboarding")[0]
    admin.call("PUT", f"/device/{uuid}/configitems", json={"items": ITEMS})
    admin.call("PUT", f"/device/{uuid}/baseos", json={
        "version": "2.0.0", "url": url, "sha256": hashlib.sha256(blob).hexdigest(), "size_bytes": len(blob)})
    first.wait(lambda: first.code is not None, "the update and the reboot", timeout=150)
    assert first.stop() == 0 and "rebooting" in first.kinds()
    assert booted.read_text() == f"{IMGB}\n"  # the firmware picked IMGB and spent its one try
    assert image.read_bytes()[_offset(image, IMGB):][:len(blob)] == blob

    second = Agent(dev, options)
    try:
        second.wait(lambda: "update_committed" in second.kinds(), "the commit of IMGB", timeout=120)
        # the commit is reported with the next device info, which may still be on its way
        second.wait(lambda: _reported(admin, uuid).get("IMGB", {}).get("partitionState") == "active",
                    "the commit reported", timeout=60)
    finally:
        assert second.stop() == 0
    assert (_flags(image, IMGB) >> 48, _flags(image, IMGA) >> 48) == (ACTIVE, UNUSED)
    assert _fetches(admin, uuid) >= 2
    reported = _reported(admin, uuid)
    assert (reported["IMGB"]["partitionState"], reported["IMGB"].get("shortVersion")) == ("active", "2.0.0")
    assert reported["IMGB"].get("activated") and reported["IMGA"]["partitionState"] == "unused"
    admin.close()


def _reported(admin: AdminClient, uuid: str) -> dict[str, dict[str, Any]]:
    """The partitions of the device's last info (``swList``), by label."""
    infos = [info["dinfo"] for info in _ndjson(admin, f"/device/{uuid}/info/latest") if "dinfo" in info]
    return {sw["partitionLabel"]: sw for sw in infos[-1].get("swList", [])}


def _offset(disk: Path, number: int) -> int:
    """The byte where partition ``number`` starts, as sgdisk reads it."""
    info = _sgdisk("-i", str(number), str(disk))
    return int(info.split("First sector: ")[1].split()[0]) * 512
