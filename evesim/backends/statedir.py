"""The device's filesystem on the host: ``/config``, ``/persist`` and ``/run`` under one state directory.

Every device path is checked before use: only absolute paths below those three roots are
mapped; anything else (another root, ``..`` escapes, NUL bytes) is refused with ``ValueError``.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from pathlib import Path

from evesim.agent import paths

ROOTS = ("config", "persist", "run")
"""Top-level device directories mapped onto ``DIR/<root>``."""


def fsync_dir(directory: Path) -> None:
    """fsync a directory so a rename or unlink in it is durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_write(target: Path, data: bytes, mode: int = 0o644) -> None:
    """Atomic durable replace: write ``target.tmp``, fsync, rename over ``target``, fsync the directory."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    fsync_dir(target.parent)


SECRETS = frozenset({paths.DEVICE_KEY, paths.ONBOARD_KEY, paths.VAULT_KEY})
"""Device paths whose files only the agent may read."""


class StateDir:
    """A state directory ``DIR`` holding ``DIR/config``, ``DIR/persist`` and ``DIR/run``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def host_path(self, device_path: str) -> Path:
        """The host file for ``device_path``; ValueError for anything outside the three roots."""
        if not isinstance(device_path, str) or "\0" in device_path or not device_path.startswith("/"):
            raise ValueError(f"refused device path {device_path!r}: not an absolute path")
        normal = posixpath.normpath(device_path)
        parts = normal.lstrip("/").split("/")
        if parts[0] not in ROOTS:
            raise ValueError(f"refused device path {device_path!r}: outside /config, /persist and /run")
        if len(parts) < 2:
            raise ValueError(f"refused device path {device_path!r}: names a root directory, not a file")
        return self.root.joinpath(*parts)

    def ensure(self) -> None:
        """Create the state directory and its three roots if missing; the directory is made (or narrowed to) 0700, as
        it holds the device's keys."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.chmod(0o700)
        for name in ROOTS:
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def reset_run(self) -> None:
        """Empty ``DIR/run`` (tmpfs on EVE: nothing there survives a boot)."""
        run = self.root / "run"
        shutil.rmtree(run, ignore_errors=True)
        run.mkdir(parents=True, exist_ok=True)

    def read(self, device_path: str) -> bytes | None:
        """The file's bytes, or None if it is missing or cannot be read."""
        path = self.host_path(device_path)
        try:
            return path.read_bytes()
        except OSError:
            return None

    def write(self, device_path: str, data: bytes, keep_bak: bool = False, mode: int = 0o644) -> None:
        """Durable atomic replace; with ``keep_bak`` the previous content (or, first time, the new) goes to ``.bak``.
        Secrets (``SECRETS``) are created 0600 whatever ``mode`` says."""
        path = self.host_path(device_path)
        if device_path in SECRETS:
            mode = 0o600
        if keep_bak:
            previous = self.read(device_path)
            durable_write(path.with_name(path.name + ".bak"), data if previous is None else previous, mode)
        durable_write(path, data, mode)

    def listdir(self, device_path: str) -> tuple[str, ...]:
        """Sorted names of the files in a directory (empty if it is missing or unreadable)."""
        try:
            return tuple(sorted(p.name for p in self.host_path(device_path.rstrip("/")).iterdir() if p.is_file()))
        except OSError:
            return ()

    def remove(self, device_path: str) -> None:
        """Remove a file durably; no error if it is absent."""
        path = self.host_path(device_path)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        fsync_dir(path.parent)
