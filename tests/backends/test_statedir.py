"""The device filesystem on the host: path mapping with refusals, durable writes, ``.bak`` copies."""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.backends.statedir import ROOTS, StateDir


@pytest.mark.parametrize(("device", "host"), [
    ("/config/server", "config/server"),
    ("/persist/status/uuid", "persist/status/uuid"),
    ("/run/zedagent/x.json", "run/zedagent/x.json"),
    ("/persist/a/../b", "persist/b"),
    ("//persist//checkpoint/./lastconfig", "persist/checkpoint/lastconfig"),
])
def test_device_paths_map_under_the_state_dir(tmp_path: Path, device: str, host: str) -> None:
    assert StateDir(tmp_path).host_path(device) == tmp_path / host


@pytest.mark.parametrize("device", [
    "/etc/passwd", "/persist/../etc/passwd", "/config/../../x", "relative/config", "config/server", "",
    "/persist", "/run/", "/", "/persist/x\0y", "/opt/config/server",
])
def test_paths_outside_the_three_roots_are_refused(tmp_path: Path, device: str) -> None:
    state = StateDir(tmp_path / "dev")
    with pytest.raises(ValueError, match="refused device path"):
        state.host_path(device)
    with pytest.raises(ValueError, match="refused device path"):
        state.write(device, b"x")
    assert not (tmp_path / "etc").exists() and not (tmp_path / "x").exists()


@given(st.text(alphabet=st.sampled_from("/.abc\0"), max_size=30))
def test_any_path_maps_inside_a_root_or_is_refused(device: str) -> None:
    root = Path("/state")
    try:
        host = StateDir(root).host_path(device)
    except ValueError:
        return
    relative = host.relative_to(root)
    assert relative.parts[0] in ROOTS and len(relative.parts) >= 2 and ".." not in relative.parts
    assert posixpath.normpath(device).lstrip("/") == str(relative)


def test_write_is_atomic_durable_and_leaves_no_tmp(state: StateDir) -> None:
    state.write("/persist/status/uuid", b"one")
    state.write("/persist/status/uuid", b"two")
    assert state.read("/persist/status/uuid") == b"two"
    assert sorted(p.name for p in (state.root / "persist/status").iterdir()) == ["uuid"]


def test_keep_bak_keeps_the_previous_copy(state: StateDir) -> None:
    path = "/persist/checkpoint/controllercerts"
    state.write(path, b"first", keep_bak=True)
    assert (state.read(path), state.read(path + ".bak")) == (b"first", b"first")
    state.write(path, b"second", keep_bak=True)
    assert (state.read(path), state.read(path + ".bak")) == (b"second", b"first")


def test_private_mode(state: StateDir) -> None:
    state.write("/config/device.key.pem", b"key", mode=0o600)
    assert stat.S_IMODE(os.stat(state.host_path("/config/device.key.pem")).st_mode) == 0o600


def test_read_missing_or_unreadable_is_none(state: StateDir) -> None:
    assert state.read("/persist/nothing") is None
    (state.root / "persist/adir").mkdir()
    assert state.read("/persist/adir") is None


def test_remove_is_quiet_when_absent(state: StateDir) -> None:
    state.write("/persist/boot-reason", b"6")
    state.remove("/persist/boot-reason")
    state.remove("/persist/boot-reason")
    assert state.read("/persist/boot-reason") is None


def test_reset_run_empties_run_only(state: StateDir) -> None:
    state.write("/run/agent/pid", b"1")
    state.write("/persist/keep", b"1")
    state.reset_run()
    assert list((state.root / "run").iterdir()) == [] and state.read("/persist/keep") == b"1"


def test_listdir_names_the_files_of_a_directory(state: StateDir) -> None:
    assert state.listdir("/persist/vault/volumes/") == ()
    state.write("/persist/vault/volumes/b", b"1")
    state.write("/persist/vault/volumes/a", b"2")
    state.write("/persist/vault/volumes/sub/c", b"3")
    assert state.listdir("/persist/vault/volumes/") == ("a", "b")
    assert state.listdir("/persist/vault/volumes") == ("a", "b")
