"""The names a served controller's TLS certificate covers: --host, localhost, the machine's names, --name."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evesim.cli import app
from evesim.controller.datadir import name_problem, open_controller, served_names


def test_a_wildcard_listener_is_reached_by_the_machines_names_too() -> None:
    names = served_names("0.0.0.0", ["10.0.2.2", "ctl.example"])
    assert names[:2] == ["127.0.0.1", "localhost"] and socket.gethostname() in names
    assert names[-2:] == ["10.0.2.2", "ctl.example"]
    assert served_names("192.0.2.7") == ["192.0.2.7", "localhost", "127.0.0.1"]


@pytest.mark.parametrize("bad", ["a b", "-x", "ctl..example", "x" * 300, ""])
def test_a_name_that_cannot_be_in_a_certificate_is_refused(bad: str) -> None:
    assert name_problem(bad)
    with pytest.raises(ValueError, match="neither an IP address nor a DNS name"):
        served_names("127.0.0.1", [bad])


def test_a_new_name_reissues_the_server_certificate_from_the_same_root(tmp_path: Path) -> None:
    first, _ = open_controller(tmp_path / "ctl")
    root = first.identity.root_pem
    assert "10.0.2.2" not in first.identity.server_hosts
    again, _ = open_controller(tmp_path / "ctl")
    assert again.identity.server_hosts == first.identity.server_hosts
    named, _ = open_controller(tmp_path / "ctl", names=["10.0.2.2", "ctl.example"])
    assert {"10.0.2.2", "ctl.example", "localhost"} <= set(named.identity.server_hosts)
    assert named.identity.root_pem == root
    for ctl in (first, again, named):
        ctl.store.close()


def test_serve_refuses_a_bad_name_before_starting(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["controller", "serve", "--data", str(tmp_path / "ctl"), "--name", "a b"])
    assert result.exit_code == 2 and "--name" in result.output and "neither an IP address" in result.output
    assert not (tmp_path / "ctl").exists()
