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
    result = CliRunner().invoke(app, ["config", "set", "some-uuid", str(path), "--server", "https://127.0.0.1:1"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"error: cannot read {path}: ")
    assert "Traceback" not in result.output
