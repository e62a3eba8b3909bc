"""The xen backend's boot disk: a GPT image made by sgdisk, changed by evesim's GPT model, checked by sgdisk."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evesim.agent import effects as fx
from evesim.backends.gptdisk import DiskError, GptDisk
from evesim.backends.logsink import LogSink
from evesim.backends.statedir import StateDir
from evesim.backends.xen import XenDevice

FAKE_XL = Path(__file__).with_name("fake_xl.py")
ROOTFS = "5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6"
LAYOUT = [("1", "2048", "+1M", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI"), ("2", "0", "+4M", ROOTFS, "IMGA"),
          ("3", "0", "+4M", ROOTFS, "IMGB"), ("4", "0", "+1M", "13307E62-CD9C-4920-8F9B-91B45828B798", "CONFIG"),
          ("9", "0", "0", "5F24425A-2DFA-11E8-A270-7B663FACCC2C", "P3")]


def _sgdisk(*args: str) -> str:
    done = subprocess.run(["sgdisk", *args], capture_output=True, text=True, check=False, timeout=30)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.fixture(scope="module", autouse=True)
def sgdisk() -> None:
    if shutil.which("sgdisk") is None:  # the test installs the independent tool it checks against
        subprocess.run(["apt-get", "update"], capture_output=True, check=False, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "gdisk"], capture_output=True,
                       check=True, timeout=600)


@pytest.fixture(scope="module")
def template(sgdisk: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """EVE's layout made by sgdisk alone, IMGA active (priority 2, successful: zboot's 0x102)."""
    path = tmp_path_factory.mktemp("gpt") / "disk.img"
    with open(path, "wb") as disk:
        disk.truncate(16 << 20)
    args = ["-o"]
    for number, start, end, type_guid, name in LAYOUT:
        args += ["-n", f"{number}:{start}:{end}", "-t", f"{number}:{type_guid}", "-c", f"{number}:{name}"]
    _sgdisk(*args, "-A", "2:set:49", "-A", "2:set:56", str(path))
    return path


@pytest.fixture
def image(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(template, tmp_path / "disk.img"))


def _flags(image: Path, number: int) -> int:
    return int(re.search(r"Attribute flags: ([0-9A-F]{16})", _sgdisk("-i", str(number), str(image))).group(1), 16)


def _disk(image: Path, tmp_path: Path, cmdline: str = "") -> GptDisk:
    (tmp_path / "cmdline").write_text(cmdline)
    return GptDisk(image, tmp_path / "versions.json", tmp_path / "cmdline")


def test_the_view_reads_sgdisks_table(image: Path, tmp_path: Path) -> None:
    view = _disk(image, tmp_path).view()
    assert view.current == "IMGA" and view.states == {"IMGA": "active", "IMGB": "unused"}
    assert view.sizes == {"IMGA": 4 << 20, "IMGB": 4 << 20} and view.versions == {"IMGA": None, "IMGB": None}


def test_the_running_partition_is_the_one_the_kernel_booted(image: Path, tmp_path: Path) -> None:
    guid = re.search(r"Partition unique GUID: (\S+)", _sgdisk("-i", "3", str(image))).group(1)
    assert _disk(image, tmp_path, f"console=ttyS0 root=PARTUUID={guid.lower()} ro").view().current == "IMGB"


@pytest.mark.parametrize(("state", "high"), [("updating", 0x13), ("unused", 0x0), ("active", 0x102)])
def test_a_state_change_sets_zboots_bits_as_sgdisk_reads_them(image: Path, tmp_path: Path, state: str,
                                                             high: int) -> None:
    disk = _disk(image, tmp_path)
    disk.set_state("IMGB", state)  # type: ignore[arg-type]
    assert _flags(image, 3) == high << 48 and _flags(image, 2) == 0x102 << 48
    assert disk.view().states["IMGB"] == state
    verify = subprocess.run(["sgdisk", "-v", str(image)], capture_output=True, text=True, check=False)
    assert "No problems found" in verify.stdout, verify.stdout


def test_a_broken_primary_is_read_from_the_backup_and_rewritten(image: Path, tmp_path: Path) -> None:
    with open(image, "r+b") as raw:
        raw.seek(512 + 20)
        raw.write(b"\xff\xff\xff\xff")  # the primary header's CRC
    disk = _disk(image, tmp_path)
    assert disk.view().states["IMGA"] == "active"
    disk.set_state("IMGB", "updating")
    assert "No problems found" in subprocess.run(["sgdisk", "-v", str(image)], capture_output=True,
                                                 text=True, check=False).stdout


def test_an_image_is_streamed_into_its_partition_and_its_version_kept(image: Path, tmp_path: Path) -> None:
    blob = tmp_path / "rootfs.img"
    blob.write_bytes(b"EVE-ROOTFS" * 1000)
    disk = _disk(image, tmp_path)
    assert disk.write_image("IMGB", blob, "14.6.0") is None
    start = int(re.search(r"First sector: (\d+)", _sgdisk("-i", "3", str(image))).group(1))
    with open(image, "rb") as raw:
        raw.seek(start * 512)
        assert raw.read(blob.stat().st_size) == blob.read_bytes()
    assert disk.view().versions == {"IMGA": None, "IMGB": "14.6.0"}
    too_big = tmp_path / "big.img"
    too_big.write_bytes(bytes(5 << 20))
    assert "does not fit IMGB" in (disk.write_image("IMGB", too_big, "14.7.0") or "")
    assert disk.view().versions["IMGB"] == "14.6.0"


def test_a_disk_without_eves_partitions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.img"
    with open(path, "wb") as raw:
        raw.truncate(8 << 20)
    _sgdisk("-o", "-n", "1:2048:0", "-c", "1:data", str(path))
    with pytest.raises(DiskError, match="no partition named IMGA, IMGB"):
        _disk(path, tmp_path).view()
    with pytest.raises(DiskError, match="neither GPT copy"):
        _disk(tmp_path / "cmdline", tmp_path).view()


def test_the_xen_backend_performs_zboots_effects_on_the_disk(image: Path, tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    state = StateDir(tmp_path / "dev")
    dev = XenDevice(state, None, LogSink(io.StringIO(), lambda: 0.0, False), xl_path=str(FAKE_XL),  # type: ignore[arg-type]
                    disk=image, system=tmp_path / "no-system")
    state.write("/persist/downloads/blob", b"rootfs")
    write, set_state, partitions = dev.timed(fx.WritePartition), dev.timed(fx.SetPartitionState), dev.instant(
        fx.Partitions)
    assert write is not None and set_state is not None and partitions is not None
    assert asyncio.run(write(dev, fx.WritePartition("IMGB", "/persist/downloads/blob", "14.6.0"))) is None
    asyncio.run(set_state(dev, fx.SetPartitionState("IMGB", "updating")))
    view = partitions(dev, fx.Partitions())
    assert view.states["IMGB"] == "updating" and view.versions["IMGB"] == "14.6.0"
    assert _flags(image, 3) == 0x13 << 48


def test_the_cli_checks_the_disk_before_starting(image: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from evesim.cli import app

    (tmp_path / "dev").mkdir()
    base = ["agent", "--state-dir", str(tmp_path / "dev"), "--duration", "0"]
    host = CliRunner().invoke(app, [*base, "--disk", str(image)])
    assert host.exit_code == 2 and "--disk needs --backend xen" in host.output
    xen = [*base, "--backend", "xen", "--xl", str(FAKE_XL)]
    missing = CliRunner().invoke(app, [*xen, "--disk", str(tmp_path / "none.img")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    (tmp_path / "blank.img").write_bytes(bytes(1 << 20))
    other = CliRunner().invoke(app, [*xen, "--disk", str(tmp_path / "blank.img")])
    assert other.exit_code == 2 and "is not EVE's" in other.output and "neither GPT copy" in other.output


def test_the_running_partition_is_never_written_and_an_unknown_root_is_refused(image: Path, tmp_path: Path) -> None:
    blob = tmp_path / "rootfs.img"
    blob.write_bytes(b"x" * 4096)
    assert "running partition" in (_disk(image, tmp_path).write_image("IMGA", blob, "14.6.0") or "")
    for root in ("root=/dev/sda2", "root=PARTUUID=00000000-0000-0000-0000-000000000000"):
        with pytest.raises(DiskError, match="neither IMGA nor IMGB"):
            _disk(image, tmp_path, f"console=ttyS0 {root}").view()


def test_a_disk_error_is_the_effects_error_not_an_agent_crash(image: Path, tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    dev = XenDevice(StateDir(tmp_path / "dev"), None, LogSink(io.StringIO(), lambda: 0.0, False),  # type: ignore[arg-type]
                    xl_path=str(FAKE_XL), disk=image, system=tmp_path / "no-system")
    write = dev.timed(fx.WritePartition)
    assert write is not None
    missing = asyncio.run(write(dev, fx.WritePartition("IMGB", "/persist/downloads/absent", "14.6.0")))
    assert missing is not None and "cannot write IMGB" in missing
    outside = asyncio.run(write(dev, fx.WritePartition("IMGB", "/config/device.key.pem", "14.6.0")))
    assert outside is not None and "not a downloaded blob" in outside
    with pytest.raises(DiskError, match="no partition named IMGB"):
        _sgdisk("-c", "3:OTHER", str(image))
        _disk(image, tmp_path).set_state("IMGB", "updating")
