"""File semantics: fsync, directory fsync, rename, crash loss, EVE's write-rename and .bak healing."""

import copy
import posixpath
from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from evesim.hw.persist import FileSystem, FsError


def durable(fs: FileSystem, path: str, data: bytes) -> None:
    fs.write(path, data)
    fs.fsync(path)
    fs.fsync_dir(posixpath.dirname(path))


def test_unsynced_new_file_is_lost() -> None:
    fs = FileSystem()
    fs.write("/persist/a", b"1")
    assert fs.read("/persist/a") == b"1"
    fs.crash()
    assert fs.read("/persist/a") is None


def test_new_file_needs_both_fsyncs() -> None:
    only_file, only_dir, both = FileSystem(), FileSystem(), FileSystem()
    for fs in (only_file, only_dir, both):
        fs.write("/persist/a", b"data")
    only_file.fsync("/persist/a")
    only_dir.fsync_dir("/persist")
    durable(both, "/persist/a", b"data")
    for fs in (only_file, only_dir, both):
        fs.crash()
    assert only_file.read("/persist/a") is None  # content durable, name lost: orphan
    assert only_dir.read("/persist/a") == b""  # name durable, content never synced
    assert both.read("/persist/a") == b"data"


def test_synced_content_waits_for_its_name_across_other_directory_fsyncs() -> None:
    fs = FileSystem()
    fs.write("/persist/d/y", b"data")
    fs.fsync("/persist/d/y")
    fs.fsync_dir("/persist")
    fs.fsync_dir("/persist/d")
    fs.crash()
    assert fs.read("/persist/d/y") == b"data"


def test_overwrite_without_fsync_keeps_the_old_content() -> None:
    fs = FileSystem()
    durable(fs, "/persist/a", b"old")
    fs.write("/persist/a", b"new")
    fs.fsync_dir("/persist")
    fs.crash()
    assert fs.read("/persist/a") == b"old"


def test_rename_is_durable_only_after_the_directory_fsync() -> None:
    fs = FileSystem()
    durable(fs, "/persist/tmp", b"v2")
    durable(fs, "/persist/cfg", b"v1")
    fs.rename("/persist/tmp", "/persist/cfg")
    assert fs.read("/persist/cfg") == b"v2" and not fs.exists("/persist/tmp")
    fs.crash()
    assert fs.read("/persist/cfg") == b"v1" and fs.read("/persist/tmp") == b"v2"
    fs.rename("/persist/tmp", "/persist/cfg")
    fs.fsync_dir("/persist")
    fs.crash()
    assert fs.read("/persist/cfg") == b"v2" and not fs.exists("/persist/tmp")


def test_remove_is_durable_only_after_the_directory_fsync() -> None:
    fs = FileSystem()
    durable(fs, "/persist/a", b"x")
    fs.remove("/persist/a")
    fs.crash()
    assert fs.read("/persist/a") == b"x"
    fs.remove("/persist/a")
    fs.fsync_dir("/persist")
    fs.crash()
    assert not fs.exists("/persist/a")


def test_a_rename_across_directories_cut_short_leaves_two_names_on_one_file() -> None:
    fs = FileSystem()
    durable(fs, "/persist/d/y", b"v1")
    fs.rename("/persist/d/y", "/persist/x")
    fs.fsync_dir("/persist")
    fs.crash()
    assert fs.read("/persist/d/y") == fs.read("/persist/x") == b"v1"
    fs.write_rename("/persist/x", b"v2")
    fs.remove("/persist/x.bak")
    assert fs.read("/persist/d/y") == b"v1" and fs.read("/persist/x") == b"v2"


def test_directory_fsync_covers_only_its_own_entries() -> None:
    fs = FileSystem()
    fs.write("/persist/status/nodeagent/reboot", b"r")
    fs.fsync("/persist/status/nodeagent/reboot")
    fs.fsync_dir("/persist/status")
    fs.crash()
    assert not fs.exists("/persist/status/nodeagent/reboot")


def test_run_is_volatile_and_config_is_durable() -> None:
    fs = FileSystem()
    durable(fs, "/run/global/first-boot", b"")
    durable(fs, "/config/onboard.cert.pem", b"pem")
    fs.sync()
    fs.crash()
    assert fs.listdir("/run") == [] and fs.read("/config/onboard.cert.pem") == b"pem"


def test_sync_makes_everything_durable() -> None:
    fs = FileSystem()
    fs.write("/persist/a", b"1")
    fs.write("/persist/d/b", b"2")
    durable(fs, "/persist/gone", b"3")
    fs.remove("/persist/gone")
    fs.sync()
    fs.crash()
    assert (fs.read("/persist/a"), fs.read("/persist/d/b"), fs.exists("/persist/gone")) == (b"1", b"2", False)


def test_listdir_is_sorted_with_implicit_directories() -> None:
    fs = FileSystem()
    for path in ("/persist/z", "/persist/status/a", "/persist/b", "/persist/status/c/d"):
        fs.write(path, b"")
    assert fs.listdir("/persist") == ["b", "status", "z"]
    assert fs.listdir("/persist/status") == ["a", "c"]
    assert fs.listdir("/persist/nothing") == []


def test_write_rename_keeps_the_previous_content_as_bak() -> None:
    fs = FileSystem()
    fs.write_rename("/persist/checkpoint/lastconfig", b"c1")
    assert fs.read("/persist/checkpoint/lastconfig.bak") == b"c1"  # created on first save
    fs.write_rename("/persist/checkpoint/lastconfig", b"c2")
    fs.crash()
    assert fs.read("/persist/checkpoint/lastconfig") == b"c2"
    assert fs.read("/persist/checkpoint/lastconfig.bak") == b"c1"
    assert fs.listdir("/persist/checkpoint") == ["lastconfig", "lastconfig.bak"]


def test_read_healing_restores_a_corrupt_primary_from_bak() -> None:
    fs = FileSystem()
    valid = lambda b: b.startswith(b"cfg")  # noqa: E731
    fs.write_rename("/persist/checkpoint/lastconfig", b"cfg1")
    fs.write_rename("/persist/checkpoint/lastconfig", b"cfg2")
    fs.corrupt("/persist/checkpoint/lastconfig")
    fs.crash()
    assert not valid(fs.read("/persist/checkpoint/lastconfig") or b"")  # bit rot is durable
    assert fs.read_healing("/persist/checkpoint/lastconfig", valid=valid) == b"cfg1"
    fs.crash()
    assert fs.read("/persist/checkpoint/lastconfig") == b"cfg1"  # the heal was durable
    assert fs.read_healing("/persist/checkpoint/lastconfig", valid=valid) == b"cfg1"


def test_read_healing_gives_up_when_both_copies_are_bad() -> None:
    fs = FileSystem()
    fs.write_rename("/persist/x", b"good")
    fs.corrupt("/persist/x")
    fs.corrupt("/persist/x.bak")
    assert fs.read_healing("/persist/x", valid=lambda b: b == b"good") is None
    assert fs.read_healing("/persist/missing") is None


def test_corrupt_flips_bits() -> None:
    fs = FileSystem()
    fs.write("/persist/e", b"")
    fs.corrupt("/persist/e")
    fs.write("/persist/f", b"\x0f")
    fs.corrupt("/persist/f")
    assert (fs.read("/persist/e"), fs.read("/persist/f")) == (b"\xff", b"\xf0")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda fs: fs.write("persist/a", b""), FsError, "absolute"),
        (lambda fs: fs.write("/persist/../run/a", b""), FsError, "normalised"),
        (lambda fs: fs.write("/tmp/a", b""), FsError, "not on a mount"),
        (lambda fs: fs.write("/persist", b""), FsError, "mount point"),
        (lambda fs: fs.write("/persist/a", "text"), FsError, "bytes"),
        (lambda fs: fs.write("/persist/f/x", b""), FsError, "is a file"),
        (lambda fs: fs.write("/persist/d", b""), FsError, "is a directory"),
        (lambda fs: fs.rename("/persist/f", "/config/f"), FsError, "across mounts"),
        (lambda fs: fs.rename("/persist/f", "/persist/d"), FsError, "is a directory"),
        (lambda fs: fs.fsync("/persist/nope"), FileNotFoundError, "no such file"),
        (lambda fs: fs.remove("/persist/nope"), FileNotFoundError, "no such file"),
        (lambda fs: fs.corrupt("/persist/nope"), FileNotFoundError, "no such file"),
        (lambda fs: fs.listdir("relative"), FsError, "absolute"),
    ],
)
def test_bad_input_is_a_clear_error(call, error: type[Exception], message: str) -> None:
    fs = FileSystem()
    fs.write("/persist/f", b"f")
    fs.write("/persist/d/x", b"x")
    with pytest.raises(error, match=message):
        call(fs)


# -- stateful test against a reference model ----------------------------------


@dataclass
class RefFile:
    live: bytes
    synced: bytes | None = None


class Reference:
    """Files as objects: names point at them in a live and a durable namespace."""

    def __init__(self) -> None:
        self.live: dict[str, RefFile] = {}
        self.durable: dict[str, RefFile] = {}

    @staticmethod
    def volatile(path: str) -> bool:
        return path.startswith("/run/")

    def write(self, path: str, data: bytes) -> None:
        if path in self.live:
            self.live[path].live = data
        else:
            self.live[path] = RefFile(data)

    def fsync(self, path: str) -> None:
        if not self.volatile(path):
            self.live[path].synced = self.live[path].live

    def fsync_dir(self, d: str) -> None:
        if d.startswith("/run"):
            return
        self.durable = {p: f for p, f in self.durable.items() if posixpath.dirname(p) != d}
        self.durable.update({p: f for p, f in self.live.items() if posixpath.dirname(p) == d})

    def sync(self) -> None:
        self.durable = {p: f for p, f in self.live.items() if not self.volatile(p)}
        for f in self.durable.values():
            f.synced = f.live

    def crash(self) -> None:
        self.live = dict(self.durable)
        for f in self.live.values():
            f.live = b"" if f.synced is None else f.synced

    def install(self, path: str, data: bytes) -> None:
        """A fresh file whose content is durable, renamed into place (name not yet durable)."""
        self.live[path] = RefFile(data, None if self.volatile(path) else data)


PATHS = ["/persist/x", "/persist/x.bak", "/persist/z", "/persist/d/y", "/config/c", "/run/r", "/run/r.bak"]
DIRS = ["/persist", "/persist/d", "/config", "/run"]
DATA = st.binary(max_size=4)


def _mount(path: str) -> str:
    return path.split("/")[1]


class FileSystemMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.fs = FileSystem()
        self.ref = Reference()

    @rule(path=st.sampled_from(PATHS), data=DATA)
    def write(self, path: str, data: bytes) -> None:
        self.fs.write(path, data)
        self.ref.write(path, data)

    @rule(path=st.sampled_from(PATHS))
    def fsync(self, path: str) -> None:
        if path not in self.ref.live:
            with pytest.raises(FileNotFoundError):
                self.fs.fsync(path)
            return
        self.fs.fsync(path)
        self.ref.fsync(path)

    @rule(d=st.sampled_from(DIRS))
    def fsync_dir(self, d: str) -> None:
        self.fs.fsync_dir(d)
        self.ref.fsync_dir(d)

    @rule(src=st.sampled_from(PATHS), dst=st.sampled_from(PATHS))
    def rename(self, src: str, dst: str) -> None:
        if src not in self.ref.live:
            with pytest.raises(FileNotFoundError):
                self.fs.rename(src, dst)
        elif _mount(src) != _mount(dst):
            with pytest.raises(FsError):
                self.fs.rename(src, dst)
        else:
            self.fs.rename(src, dst)
            self.ref.live[dst] = self.ref.live.pop(src)

    @rule(path=st.sampled_from(PATHS))
    def remove(self, path: str) -> None:
        if path not in self.ref.live:
            with pytest.raises(FileNotFoundError):
                self.fs.remove(path)
            return
        self.fs.remove(path)
        del self.ref.live[path]

    @rule(path=st.sampled_from(["/persist/x", "/persist/d/y", "/config/c", "/run/r"]), data=DATA)
    def write_rename(self, path: str, data: bytes) -> None:
        self.fs.write_rename(path, data)
        previous = self.ref.live.get(path)
        self.ref.install(path + ".bak", data if previous is None else previous.live)
        self.ref.install(path, data)
        self.ref.fsync_dir(posixpath.dirname(path))

    @rule(path=st.sampled_from(["/persist/x", "/run/r"]))
    def read_healing(self, path: str) -> None:
        valid = lambda b: not b.startswith(b"\xff")  # noqa: E731
        got = self.fs.read_healing(path, valid=valid)
        primary, backup = self.ref.live.get(path), self.ref.live.get(path + ".bak")
        if primary is not None and valid(primary.live):
            assert got == primary.live
        elif backup is not None and valid(backup.live):
            assert got == backup.live
            self.ref.install(path, backup.live)
            self.ref.fsync_dir(posixpath.dirname(path))
        else:
            assert got is None

    @rule(path=st.sampled_from(PATHS))
    def corrupt(self, path: str) -> None:
        f = self.ref.live.get(path)
        if f is None:
            with pytest.raises(FileNotFoundError):
                self.fs.corrupt(path)
            return
        self.fs.corrupt(path)
        flip = lambda b: bytes(x ^ 0xFF for x in b) if b else b"\xff"  # noqa: E731
        f.live = flip(f.live)
        if f.synced is not None:
            f.synced = flip(f.synced)

    @rule()
    def sync(self) -> None:
        self.fs.sync()
        self.ref.sync()

    @rule()
    def crash(self) -> None:
        self.fs.crash()
        self.ref.crash()

    @invariant()
    def reads_match(self) -> None:
        for path in PATHS:
            expected = self.ref.live.get(path)
            assert self.fs.read(path) == (None if expected is None else expected.live), path
        for d in DIRS:
            names = {p[len(d) + 1 :].split("/")[0] for p in self.ref.live if p.startswith(d + "/")}
            assert self.fs.listdir(d) == sorted(names)

    @invariant()
    def a_crash_now_leaves_the_durable_model(self) -> None:
        for path in PATHS:
            f = self.ref.durable.get(path)
            expected = None if f is None else (b"" if f.synced is None else f.synced)
            assert _after_crash(self.fs, path) == expected, path


def _after_crash(fs: FileSystem, path: str) -> bytes | None:
    """What ``path`` would read after a crash right now, without disturbing ``fs``."""
    twin = copy.deepcopy(fs)
    twin.crash()
    return twin.read(path)


FileSystemMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_file_system_matches_reference = FileSystemMachine.TestCase
