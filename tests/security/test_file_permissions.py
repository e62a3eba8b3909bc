"""A served controller's data directory: only its user can read keys, token and store (issue: finding 9)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from evesim.controller.datadir import open_controller
from evesim.controller.private_files import write_private
from evesim.controller.stores import Item


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o000)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_token_and_store_are_private_under_any_umask(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "ctrl"
    ctl, _ = open_controller(data)
    ctl.store.append("info", "u", Item(0.0, "k", b"x"))
    assert _mode(data) == 0o700
    private = [p for p in data.iterdir() if p.name.endswith(".key.pem") or p.name.startswith(("admin-token",
                                                                                              "controller.sqlite"))]
    assert {p.name for p in private} >= {"root.key.pem", "onboard.key.pem", "admin-token", "controller.sqlite",
                                         "controller.sqlite-wal"}
    assert {p.name: _mode(p) for p in private} == {p.name: 0o600 for p in private}
    ctl.store.close()


def test_an_existing_directory_and_file_are_narrowed(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "ctrl"
    data.mkdir(mode=0o777)
    (data / "admin-token").write_text("old")
    (data / "admin-token").chmod(0o666)
    ctl, _ = open_controller(data)
    assert _mode(data) == 0o700 and _mode(data / "admin-token") == 0o600
    assert (data / "admin-token").read_text() == "old"
    ctl.store.close()


def test_write_private_never_exposes_the_content(tmp_path: Path, loose_umask: None) -> None:
    target = tmp_path / "k.pem"
    target.write_bytes(b"public")
    target.chmod(0o644)
    write_private(target, b"secret")
    assert _mode(target) == 0o600 and target.read_bytes() == b"secret"


def test_an_agents_state_directory_and_secrets_are_private_under_any_umask(tmp_path: Path, loose_umask: None) -> None:
    from evesim.agent import paths
    from evesim.backends.statedir import StateDir

    (tmp_path / "dev/config").mkdir(parents=True)  # as a user prepares it, with the bootstrap files
    state = StateDir(tmp_path / "dev")
    state.ensure()
    for secret in (paths.DEVICE_KEY, paths.ONBOARD_KEY, paths.VAULT_KEY):
        state.write(secret, b"secret", keep_bak=secret == paths.VAULT_KEY)
    state.write(paths.LASTCONFIG, b"config")
    assert _mode(tmp_path / "dev") == 0o700
    secrets = [state.host_path(p) for p in (paths.DEVICE_KEY, paths.ONBOARD_KEY, paths.VAULT_KEY)]
    secrets.append(secrets[-1].with_name(secrets[-1].name + ".bak"))
    assert {p.name: _mode(p) for p in secrets} == {p.name: 0o600 for p in secrets}
    assert _mode(state.host_path(paths.LASTCONFIG)) == 0o644
