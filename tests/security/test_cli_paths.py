"""Identifiers the admin CLI puts into URLs cannot reach another route (finding 8: ``onboard remove ../device``
removed every device)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from evesim.api.certs import Usage, issue
from evesim.cli import app
from evesim.controller import Controller

TOKEN = "stream-token"


def _cli(live: str, *args: str) -> object:
    return CliRunner().invoke(app, ["controller", *args, "--server", live.removesuffix("/admin"), "--token", TOKEN])


@pytest.mark.parametrize("cn", ["../device", "../device/", "x/../../device", "%2e%2e/device", "a?b#c"])
def test_a_crafted_cn_removes_no_device(ctl: Controller, device, live: str, cn: str) -> None:
    device.register()
    before = ctl.device_uuids()
    result = _cli(live, "onboard", "remove", cn)
    assert result.exit_code == 1 and "404" in result.output
    assert ctl.device_uuids() == before and len(before) == 1
    assert ctl.onboard_list(), "the allow-list is untouched too"


@pytest.mark.parametrize("cn", ["..", ".", ""])
def test_dot_segments_are_a_usage_error(ctl: Controller, live: str, cn: str) -> None:
    result = _cli(live, "onboard", "remove", cn)
    assert result.exit_code == 2 and "is not a CN" in result.output


def test_a_cn_with_a_slash_is_still_reachable(ctl: Controller, live: str) -> None:
    ctl.onboard_add(issue("team/a", Usage.ONBOARDING).cert_pem)
    result = _cli(live, "onboard", "remove", "team/a")
    assert result.exit_code == 0, result.output
    assert "team/a" not in [e.cn for e in ctl.onboard_list()]


@pytest.mark.parametrize("args", [["device", "remove", "../onboard"], ["device", "get", "x/../../device"],
                                  ["config", "get", ".."], ["logs", "../../device"]])
def test_device_arguments_must_be_uuids(ctl: Controller, device, live: str, args: list[str]) -> None:
    device.register()
    result = _cli(live, *args)
    assert result.exit_code == 2 and "is not a UUID" in result.output
    assert len(ctl.device_uuids()) == 1
