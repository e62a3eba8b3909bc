"""``evesim controller`` commands that fail before reaching a server: a clean error and exit code 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from evesim.controller.cli import app


@pytest.mark.parametrize("name", ["missing.json", "a-directory", "binary.json"])
def test_config_set_with_an_unreadable_file_is_a_clean_error(tmp_path: Path, name: str) -> None:
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00{")
    path = tmp_path / name
    uuid = "0b6b2b6e-0f6e-4a39-9d7e-5c3c9f7e2a11"
    result = CliRunner().invoke(app, ["config", "set", uuid, str(path), "--server", "https://127.0.0.1:1"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"error: cannot read {path}: ")
    assert "Traceback" not in result.output


def test_serve_policy_flag(monkeypatch, tmp_path) -> None:
    from evesim.controller import datadir
    from evesim.controller.policy import ADAM

    served: list[object] = []
    monkeypatch.setattr(datadir, "serve", lambda data, host, port, policy, names, *_: served.append(policy))
    assert CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--policy", "adam"]).exit_code == 0
    result = CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--unknown-device-status", "401"])
    assert result.exit_code == 0
    assert served[0] == ADAM and served[1].unknown_device_status == 401 and served[1].initial_config
    bad = CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--policy", "zedcloud"])
    assert bad.exit_code == 2 and "known: evesim, adam" in " ".join(bad.output.replace("│", " ").split())
    bad = CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--unknown-device-status", "404"])
    assert bad.exit_code == 2 and "400, 401" in " ".join(bad.output.replace("│", " ").split())


def test_serve_maps_byte_limits_and_adams_size_flags_onto_retention(monkeypatch, tmp_path) -> None:
    from evesim.controller import datadir
    from evesim.controller.stores.base import UNBOUNDED

    served: list[datadir.Options] = []
    monkeypatch.setattr(datadir, "serve", lambda data, host, port, policy, names, options: served.append(options))
    args = ["serve", "--data", str(tmp_path), "--max-info-bytes", "1000", "--max-app-logs-size", "5",
            "--max-info-objects", "9", "--conf-dir", str(tmp_path / "conf")]
    assert CliRunner().invoke(app, args).exit_code == 0
    limits = served[0].limits
    assert limits.bytes_of("info") == 1000 and limits.bytes_of("applogs") == 5
    assert limits.bytes_of("metrics") == datadir.SERIES_BYTES == 100 << 20, "Adam's default for the others"
    assert limits.info == limits.metrics == UNBOUNDED and limits.max_objects == 9
    assert served[0].conf_dir == tmp_path / "conf"
    assert CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--max-log-size", "0"]).exit_code == 0
    assert served[1].limits == datadir.served_limits() and served[1].conf_dir is None
    bad = CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--max-logs-bytes", "-1"])
    assert bad.exit_code == 2
