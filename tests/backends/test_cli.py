"""``evesim agent``: options, the clear errors, and waiting for the bootstrap files as EVE does."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from evesim.api import certs
from evesim.cli import app


def _agent(state_dir: Path, *options: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(app, ["agent", "--state-dir", str(state_dir), *options])
    lines = result.output.splitlines() if result.exit_code == 0 else []
    return result.exit_code, [json.loads(line) for line in lines]


def test_missing_state_dir_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_bad_crypto_mode_exits_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path), "--crypto", "none"]).exit_code == 2


def test_waits_for_the_bootstrap_files_and_stops_after_duration(tmp_path: Path) -> None:
    identity = certs.issue("SER-CLI", certs.Usage.DEVICE, seed=b"cli")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "device.cert.pem").write_bytes(identity.cert_pem)
    (tmp_path / "config" / "device.key.pem").write_bytes(identity.key_pem)
    code, events = _agent(tmp_path, "--duration", "0.3", "--crypto", "trusted")
    assert code == 0
    assert [e["kind"] for e in events if e["agent"] != "host"] == ["waiting_for_bootstrap"]
    assert [e["kind"] for e in events if e["agent"] == "host"][0] == "boot" and events[-1]["kind"] == "shutdown"
    assert (tmp_path / "persist").is_dir() and (tmp_path / "run").is_dir()


def test_an_unreadable_device_cert_is_replaced_quietly(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "device.cert.pem").write_bytes(b"not a cert")
    code, events = _agent(tmp_path, "--duration", "0.3", "--quiet")
    assert code == 0 and [e["kind"] for e in events] == ["device_cert_unreadable"]
    assert certs.load_cert((tmp_path / "config" / "device.cert.pem").read_bytes())


def test_an_unusable_state_dir_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "run").write_text("a file where the run directory belongs")
    result = CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path), "--duration", "0.1"])
    assert result.exit_code == 2 and "cannot use state directory" in result.output


def test_an_empty_state_dir_is_refused_and_nothing_is_touched(tmp_path: Path, monkeypatch) -> None:
    precious = tmp_path / "run" / "important" / "file"
    precious.parent.mkdir(parents=True)
    precious.write_text("data")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["agent", "--state-dir", "", "--duration", "0.1"])
    assert result.exit_code == 2 and "--state-dir is empty" in result.output
    assert precious.read_text() == "data" and not (tmp_path / "config").exists()


def test_a_state_dir_that_is_a_file_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "dir").write_text("a file")
    result = CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path / "dir"), "--duration", "0.1"])
    assert result.exit_code == 2 and "is not a directory" in result.output


def test_a_malformed_or_repeated_port_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    for options, error in ((["--port", "eth0"], "--port: expected NAME=ADDRESS"),
                           (["--port", "eth0=10.0.0.300"], "--port: port eth0: '10.0.0.300' is not an IP address"),
                           (["--port", "eth0=127.0.0.2", "--port", "eth0=127.0.0.3"], "--port: eth0 is given twice")):
        result = CliRunner().invoke(app, ["agent", "--state-dir", str(tmp_path), *options])
        assert result.exit_code == 2 and error in result.output, result.output
