"""The machine the real-Xen test boots under QEMU, built from Debian packages and cached.

``build()`` makes, once per cache key, in ``~/.cache/evesim/xen/<key>`` (or ``$XDG_CACHE_HOME``):
``xen`` (Debian's hypervisor, gunzipped for QEMU's multiboot loader), ``vmlinuz`` (Debian's kernel, dom0's
and the guest's), ``dom0.cpio`` (an ``mmdebstrap`` root with Xen's tools, python3 and the kernel's Xen,
block and network modules, whose ``/init`` starts Xen's daemons and the network, runs ``/evesim/start``
from the run's layer, then prints ``xl list`` and the guests' marker lines every 4 s) and ``guest.img``
(an ext2 disk ``pygrub`` boots: the kernel and a busybox initramfs that prints a marker and waits). The
key is the hash of this file and the versions of the packages used, so a change to either builds anew.

``initrd()`` adds, on every run, a small cpio layer holding evesim and its device-only dependencies
installed from this checkout (``pip install --target``) and the run's files, so dom0 never runs stale code.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
XEN_PACKAGE = "xen-hypervisor-4.17-amd64"
KERNEL_META = "linux-image-amd64"
DOM0_PACKAGES = ("xen-utils-4.17", "python3", "busybox-static", "kmod", "iproute2", "mount", "bash",
                 "procps", "ca-certificates")
MODULES = ("kernel/drivers/xen", "kernel/drivers/block", "kernel/drivers/net/xen-netback",
           "kernel/drivers/net/ethernet/intel/e1000", "kernel/drivers/watchdog/xen_wdt.ko")
"""The parts of the kernel's modules dom0 needs: Xen's drivers, loop and blkback, QEMU's e1000 NIC."""
TRIM = ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info", "var/cache/apt",
        "var/lib/apt/lists", "usr/lib/udev/hwdb.bin", "usr/lib/udev/hwdb.d", "usr/share/perl")
XEN_ROOT = "/usr/lib/xen-4.17"
OPT = "opt/evesim"
"""Where the run's layer puts evesim and its dependencies in dom0 (on ``PYTHONPATH``)."""
SOURCE_FILES = ("pyproject.toml", "README.md")
"""Besides ``evesim/``, what building evesim's wheel reads."""
GUEST_MARKER = "evesim-xen-guest-up"

DOM0_INIT = f"""#!/bin/sh
# dom0's /init: mounts, Xen's daemons, QEMU's user-mode network, then the run's /evesim/start.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:{XEN_ROOT}/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
ln -s /proc/self/fd /dev/fd  # Xen's hotplug scripts lock through /dev/stdin
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
exec >/dev/hvc0 2>&1 </dev/null
echo "dom0-init: modules"
modprobe -a xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-blkback loop e1000
mount -t xenfs xenfs /proc/xen
mkdir -p /run/xen /run/xenstored /run/lock /var/log/xen /var/lib/xen /var/run/xen
echo "dom0-init: xenstored"
XENSTORED_ROOTDIR=/run/xenstored {XEN_ROOT}/bin/oxenstored --pid-file /run/xenstore.pid
{XEN_ROOT}/bin/xen-init-dom0
mkdir -p /var/log/xen/console
{XEN_ROOT}/bin/xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
echo "dom0-init: network"
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
xl info | grep -E '^(xen_version|total_memory|free_memory|nr_cpus)'
echo "dom0-init: ready"
[ -x /evesim/start ] && /evesim/start &
while true; do
  xl list | sed 's/^/xl-list: /'
  for log in /var/log/xen/console/guest-*.log; do
    [ -f "$log" ] && grep -h "{GUEST_MARKER}" "$log" | sed "s|^|guest-console: ${{log##*/}}: |"
  done
  sleep 4
done
"""

GUEST_INIT = f"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "{GUEST_MARKER}"
while true; do /bin/busybox sleep 3600; done
"""
GUEST_POWEROFF = "#!/bin/busybox sh\nexec /bin/busybox poweroff -f\n"
GUEST_GRUB = """set timeout=0
menuentry 'evesim guest' {
    linux /boot/vmlinuz console=hvc0 quiet
    initrd /boot/initrd.img
}
"""


@dataclass(frozen=True)
class Image:
    """The cached parts QEMU boots."""

    xen: Path
    kernel: Path
    dom0: Path
    guest: Path


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/evesim/xen`` (``~/.cache`` without it)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "evesim" / "xen"


def build(log: Path | None = None) -> Image:
    """The image for the current packages and builder, built unless cached."""
    kernel_package = _kernel_package()
    packages = (XEN_PACKAGE, kernel_package, *DOM0_PACKAGES)
    key = hashlib.sha256(Path(__file__).read_bytes())
    for package in packages:
        key.update(f"{package}={_candidate(package)}\n".encode())
    where = cache_root() / key.hexdigest()[:16]
    image = Image(where / "xen", where / "vmlinuz", where / "dom0.cpio", where / "guest.img")
    if not (where / "done").exists():
        log = log or where.with_suffix(".log")
        try:
            _build(where, kernel_package, log)
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"building the Xen image failed: {exc}\n{log.read_text()[-3000:]}") from exc
    return image


def _build(where: Path, kernel_package: str, log: Path) -> None:
    work = where.with_suffix(".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with log.open("w") as out:
        debs = work / "debs"
        debs.mkdir()
        _run(["apt-get", "download", XEN_PACKAGE, kernel_package], out, cwd=debs)
        unpacked = work / "unpacked"
        for deb in debs.glob("*.deb"):
            _run(["dpkg-deb", "-x", str(deb), str(unpacked)], out)
        xen_gz = next((unpacked / "boot").glob("xen-*-amd64.gz"))
        with (work / "xen").open("wb") as xen:
            _run(["gzip", "-dc", str(xen_gz)], xen)
        vmlinuz = next((unpacked / "boot").glob("vmlinuz-*"))
        shutil.copy(vmlinuz, work / "vmlinuz")
        version = vmlinuz.name.removeprefix("vmlinuz-")
        root = work / "root"
        _dom0_root(root, unpacked / "lib/modules" / version, version, out)
        _cpio(root, work / "dom0.cpio", out)
        _guest_disk(work, root / "usr/bin/busybox", out)
        shutil.rmtree(root)
        shutil.rmtree(debs)
        shutil.rmtree(unpacked)
    for old in where.parent.iterdir():  # one image at a time: earlier keys' images and logs go
        if old != work and old.name.split(".")[0] != where.name:
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
    work.rename(where)
    (where / "done").write_text("")


def _dom0_root(root: Path, modules: Path, version: str, out: object) -> None:
    """``mmdebstrap`` dom0's root, add the kernel's modules it needs and ``/init``, trim what it does not."""
    excludes = [f"--dpkgopt=path-exclude=/{path}/*" for path in ("usr/share/doc", "usr/share/man", "usr/share/locale")]
    _run(["mmdebstrap", "--variant=essential", f"--include={','.join(DOM0_PACKAGES)}", *excludes,
          SUITE, str(root), MIRROR], out)
    target = root / "lib/modules" / version
    target.mkdir(parents=True, exist_ok=True)
    for name in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        shutil.copy(modules / name, target / name)
    for part in MODULES:
        source, dest = modules / part, target / part
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copy(source, dest)
    _run(["chroot", str(root), "depmod", "-a", version], out)
    for path in TRIM:
        if (root / path).is_dir():
            shutil.rmtree(root / path)
        else:
            (root / path).unlink(missing_ok=True)
    init = root / "init"
    init.write_text(DOM0_INIT)
    init.chmod(0o755)


def _guest_disk(work: Path, busybox: Path, out: object) -> None:
    """An ext2 disk for ``pygrub``: ``/boot/vmlinuz``, a busybox ``/boot/initrd.img``, ``/boot/grub/grub.cfg``."""
    initrd = work / "guest-initrd"
    for name in ("bin", "sbin", "proc", "dev"):
        (initrd / name).mkdir(parents=True)
    shutil.copy(busybox, initrd / "bin/busybox")
    for path, text in (("init", GUEST_INIT), ("sbin/poweroff", GUEST_POWEROFF)):
        (initrd / path).write_text(text)
        (initrd / path).chmod(0o755)
    disk = work / "guest-disk"
    (disk / "boot/grub").mkdir(parents=True)
    _cpio(initrd, disk / "boot/initrd.img", out)
    shutil.copy(work / "vmlinuz", disk / "boot/vmlinuz")
    (disk / "boot/grub/grub.cfg").write_text(GUEST_GRUB)
    _run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", str(disk), str(work / "guest.img"), "16M"], out)
    shutil.rmtree(initrd)
    shutil.rmtree(disk)


def initrd(image: Image, layer: Path, files: dict[str, bytes], project: Path, out: Path, log: Path) -> Path:
    """dom0's initramfs for one run: the cached root, then a layer with evesim from ``project`` and ``files``."""
    shutil.rmtree(layer, ignore_errors=True)
    source = layer.with_name(layer.name + "-src")
    _sources(project, source)
    with log.open("a") as sink:
        _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-warn-script-location", "--target",
              str(layer / OPT), str(source)], sink)
        for path, data in files.items():
            target = layer / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o755 if data.startswith(b"#!") else 0o644)
        _cpio(layer, layer.with_suffix(".cpio"), sink)
    with out.open("wb") as whole:
        for part in (image.dom0, layer.with_suffix(".cpio")):
            with part.open("rb") as src:
                shutil.copyfileobj(src, whole, 1 << 20)
    for done in (layer, source):
        shutil.rmtree(done)
    layer.with_suffix(".cpio").unlink()
    return out


def _sources(project: Path, source: Path) -> None:
    """The files ``pip`` builds evesim from, copied so no ``build/`` of an earlier run (or in the checkout) is used."""
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(project / "evesim", source / "evesim", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in SOURCE_FILES:
        shutil.copy(project / name, source / name)


def _cpio(root: Path, out: Path, log: object) -> None:
    """``root`` as a newc cpio archive (as the kernel unpacks an initramfs), owned by root."""
    with out.open("wb") as archive:
        listing = subprocess.run(["find", ".", "-mindepth", "1"], cwd=root, capture_output=True, check=True)
        names = b"\n".join(sorted(listing.stdout.split(b"\n")[:-1])) + b"\n"
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet", "-R", "0:0"], cwd=root, input=names, stdout=archive,
                       stderr=log, check=True)  # type: ignore[arg-type]


def _candidate(package: str) -> str:
    """The version apt would install of ``package`` (updating apt's lists once if it knows none)."""
    version = _policy(package)
    if version in ("", "(none)"):
        _run(["apt-get", "update", "-qq"], None)
        version = _policy(package)
    if version in ("", "(none)"):
        raise RuntimeError(f"apt has no candidate for {package}: is deb.debian.org {SUITE} main in apt's sources?")
    return version


def _policy(package: str) -> str:
    out = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True, check=False).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if "Candidate:" in line), "")


def _kernel_package() -> str:
    """The versioned kernel package ``linux-image-amd64`` depends on."""
    _candidate(KERNEL_META)
    out = subprocess.run(["apt-cache", "depends", KERNEL_META], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        name = line.split(":", 1)[-1].strip()
        if line.strip().startswith("Depends:") and name.startswith("linux-image-"):
            return name
    raise RuntimeError(f"{KERNEL_META} depends on no linux-image package:\n{out}")


def _run(command: list[str], out: object, cwd: Path | None = None) -> None:
    """Run ``command`` as root (``sudo`` when not; not the unprivileged steps), its output to ``out``."""
    prefix = [] if os.geteuid() == 0 or command[0] in (sys.executable, "gzip", "mke2fs") else ["sudo"]
    subprocess.run([*prefix, *command], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=True)  # type: ignore[arg-type]


if __name__ == "__main__":
    print(build())
