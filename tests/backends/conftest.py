"""Fixtures for the host backend tests: a state directory and local TLS servers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from evesim.backends.statedir import StateDir

from .tls import Answering, Pki, RawServer, serve_https


@pytest.fixture(scope="session", autouse=True)
def no_reboot_of_this_machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The xen backend reboots with ``reboot`` from PATH: in these tests that one fails, never reboots the machine."""
    guard = tmp_path_factory.mktemp("guard") / "reboot"
    guard.write_text("#!/bin/sh\necho 'the tests must not reboot this machine' >&2\nexit 1\n")
    guard.chmod(0o755)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{guard.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        yield


@pytest.fixture
def state(tmp_path: Path) -> StateDir:
    directory = StateDir(tmp_path / "dev")
    directory.ensure()
    return directory


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.make("host-tests")


@pytest.fixture
def https_server(pki: Pki, tmp_path: Path) -> Iterator[Answering]:
    answering, httpd = serve_https(pki.context(tmp_path))
    yield answering
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def raw_server(pki: Pki, tmp_path: Path) -> Iterator[Callable[[str], RawServer]]:
    servers: list[RawServer] = []

    def make(mode: str) -> RawServer:
        servers.append(RawServer(mode, pki.context(tmp_path)))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def bootstrap(state: StateDir, server: str, root_pem: bytes) -> None:
    """Write ``/config/server`` and ``/config/root-certificate.pem``."""
    state.write("/config/server", server.encode())
    state.write("/config/root-certificate.pem", root_pem)
