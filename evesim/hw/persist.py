"""Files with fsync and rename semantics: what was not made durable is lost on a crash.

Jepsen's lose-unfsynced-writes model: a file's content survives only once ``fsync``-ed, and a
name (create, rename, remove) only once its directory is ``fsync_dir``-ed; a durable name whose
content was never synced comes back empty. Volatile mounts (``/run``) are emptied by every boot.
Simplifications: whole-file writes; directories exist implicitly; vfat and ext4 follow the same
rules (EVE's DIRSYNC on /persist/vault is not modelled).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass


class FsError(ValueError):
    """A path or operation the file system refuses."""


@dataclass(frozen=True, slots=True)
class Mount:
    """A mounted file system."""

    path: str
    fstype: str
    volatile: bool


EVE_MOUNTS = (Mount("/config", "vfat", False), Mount("/persist", "ext4", False), Mount("/run", "tmpfs", True))
"""The mounts of an EVE device: /config (CONFIG partition), /persist (P3), /run (tmpfs)."""


class FileSystem:
    """The files of one device across its mounts, with a live view and a durable view."""

    __slots__ = ("mounts", "_names", "_data", "_durable_names", "_durable_data", "_next_inode")

    def __init__(self, mounts: tuple[Mount, ...] = EVE_MOUNTS) -> None:
        self.mounts = mounts
        self._names: dict[str, int] = {}
        self._data: dict[int, bytes] = {}
        self._durable_names: dict[str, int] = {}
        self._durable_data: dict[int, bytes] = {}
        self._next_inode = 1

    # -- reading -----------------------------------------------------------

    def read(self, path: str) -> bytes | None:
        """The content of ``path``, or None if it does not exist."""
        inode = self._names.get(self._file_path(path))
        return None if inode is None else self._data[inode]

    def exists(self, path: str) -> bool:
        """True if ``path`` names a file."""
        return self._file_path(path) in self._names

    def listdir(self, dirpath: str) -> list[str]:
        """Sorted names of the files and (implicit) subdirectories directly in ``dirpath``."""
        prefix = self._dir_path(dirpath).rstrip("/") + "/"
        return sorted({p[len(prefix) :].split("/", 1)[0] for p in self._names if p.startswith(prefix)})

    # -- writing -----------------------------------------------------------

    def write(self, path: str, data: bytes) -> None:
        """Replace the content of ``path`` (creating it); not durable until synced."""
        path = self._file_path(path)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise FsError(f"file content must be bytes, got {type(data).__name__}")
        inode = self._names.get(path)
        if inode is None:
            self._check_free(path)
            inode, self._next_inode = self._next_inode, self._next_inode + 1
            self._names[path] = inode
        self._data[inode] = bytes(data)

    def fsync(self, path: str) -> None:
        """Make the content of ``path`` durable (its name still needs ``fsync_dir``)."""
        inode = self._inode(path)
        if not self._mount(path).volatile:
            self._durable_data[inode] = self._data[inode]

    def fsync_dir(self, dirpath: str) -> None:
        """Make the names directly in ``dirpath`` (creates, renames, removes) durable."""
        dirpath = self._dir_path(dirpath)
        if self._mount(dirpath).volatile:
            return
        names = {p: i for p, i in self._durable_names.items() if _parent(p) != dirpath}
        names.update((p, i) for p, i in self._names.items() if _parent(p) == dirpath)
        self._durable_names = names
        self._prune()

    def rename(self, src: str, dst: str) -> None:
        """Atomically move ``src`` to ``dst`` (replacing it); durable after ``fsync_dir``."""
        inode = self._inode(src)
        dst = self._file_path(dst)
        if self._mount(src) != self._mount(dst):
            raise FsError(f"cannot rename across mounts: {src} -> {dst}")
        if src == dst:
            return
        if dst not in self._names:
            self._check_free(dst)
        del self._names[src]
        replaced = self._names.pop(dst, None)
        self._names[dst] = inode
        if replaced is not None:
            self._unlinked(replaced)

    def remove(self, path: str) -> None:
        """Unlink ``path``; durable after ``fsync_dir``."""
        inode = self._inode(path)
        del self._names[self._file_path(path)]
        self._unlinked(inode)

    def sync(self) -> None:
        """``sync(2)``: every file's content and every name on durable mounts becomes durable."""
        self._durable_names = {p: i for p, i in self._names.items() if not self._mount(p).volatile}
        for inode in self._durable_names.values():
            self._durable_data[inode] = self._data[inode]
        self._prune()

    def crash(self) -> None:
        """Power loss or reset without sync: the live view becomes the durable one; volatile mounts empty."""
        self._names = dict(self._durable_names)
        self._data = {inode: self._durable_data.get(inode, b"") for inode in self._names.values()}
        self._prune()

    # -- EVE's durable-write patterns -----------------------------------------

    def write_rename(self, path: str, data: bytes) -> None:
        """EVE's durable write: tmp + fsync + rename + dir fsync, previous content kept as ``.bak``.

        On the first save ``.bak`` gets the new content (EVE creates it on first save).
        """
        path = self._file_path(path)
        previous = self.read(path)
        self._replace(path + ".bak", data if previous is None else previous)
        self._replace(path, data)
        self.fsync_dir(posixpath.dirname(path))

    def replace_durably(self, path: str, data: bytes) -> None:
        """Atomic durable replace without a ``.bak``: tmp + fsync + rename + dir fsync."""
        path = self._file_path(path)
        self._replace(path, data)
        self.fsync_dir(_parent(path))

    def remove_durably(self, path: str) -> None:
        """Unlink ``path`` (no error if absent) and make that durable."""
        if self.exists(path):
            self.remove(path)
            self.fsync_dir(_parent(self._file_path(path)))

    def read_healing(self, path: str, valid: Callable[[bytes], bool] = lambda _: True) -> bytes | None:
        """``path`` if present and ``valid``, else a valid ``.bak`` (which then durably heals ``path``)."""
        primary = self.read(path)
        if primary is not None and valid(primary):
            return primary
        backup = self.read(path + ".bak")
        if backup is None or not valid(backup):
            return None
        self._replace(path, backup)
        self.fsync_dir(posixpath.dirname(path))
        return backup

    def corrupt(self, path: str) -> None:
        """Fault hook: bit rot flips every bit of ``path``'s content, durable copy included."""
        inode = self._inode(path)
        self._data[inode] = _flip(self._data[inode])
        if inode in self._durable_data:
            self._durable_data[inode] = _flip(self._durable_data[inode])

    def _replace(self, path: str, data: bytes) -> None:
        tmp = path + ".tmp"
        self.write(tmp, data)
        self.fsync(tmp)
        self.rename(tmp, path)

    # -- helpers -----------------------------------------------------------

    def _unlinked(self, inode: int) -> None:
        """Drop ``inode``'s content once no name links it (a crash can leave two names on one inode)."""
        if inode not in self._names.values():
            del self._data[inode]

    def _prune(self) -> None:
        keep = set(self._names.values()) | set(self._durable_names.values())
        self._durable_data = {i: d for i, d in self._durable_data.items() if i in keep}

    def _check_free(self, path: str) -> None:
        """A new file name must not be a directory, nor lie under a file."""
        if any(p.startswith(path + "/") for p in self._names):
            raise FsError(f"{path} is a directory")
        parent = posixpath.dirname(path)
        while parent != "/":
            if parent in self._names:
                raise FsError(f"{parent} is a file, not a directory")
            parent = posixpath.dirname(parent)

    def _inode(self, path: str) -> int:
        inode = self._names.get(self._file_path(path))
        if inode is None:
            raise FileNotFoundError(f"no such file: {path}")
        return inode

    def _mount(self, path: str) -> Mount:
        for mount in self.mounts:
            if path == mount.path or path.startswith(mount.path + "/"):
                return mount
        raise FsError(f"{path} is not on a mount ({', '.join(m.path for m in self.mounts)})")

    def _dir_path(self, path: str) -> str:
        if not isinstance(path, str) or not path.startswith("/") or posixpath.normpath(path) != path:
            raise FsError(f"expected a normalised absolute path, got {path!r}")
        self._mount(path)
        return path

    def _file_path(self, path: str) -> str:
        path = self._dir_path(path)
        if any(path == m.path for m in self.mounts):
            raise FsError(f"{path} is a mount point, not a file")
        return path


def _flip(data: bytes) -> bytes:
    return bytes(b ^ 0xFF for b in data) if data else b"\xff"


def _parent(path: str) -> str:
    """``posixpath.dirname`` for normalised absolute paths, without its overhead."""
    return path.rpartition("/")[0] or "/"
