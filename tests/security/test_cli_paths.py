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


@pytest.mark.parametrize("verb", ["remove", "restart", "purge"])
@pytest.mark.parametrize("name", ["..", ".", "%2e%2E"])
def test_an_app_named_by_a_dot_segment_is_a_usage_error(ctl: Controller, device, live: str, verb: str,
                                                       name: str) -> None:
    device.register()
    result = _cli(live, "app", verb, device.uuid, name)
    assert result.exit_code == 2 and "is not a app name or UUID" in result.output
    assert ctl.device_uuids() == [device.uuid], "the device is still there"


def test_an_app_name_with_a_slash_stays_one_segment(ctl: Controller, device, live: str) -> None:
    device.register()
    result = _cli(live, "app", "remove", device.uuid, "../..")
    assert result.exit_code == 1 and "..%2F..: 40" in result.output, result.output
    assert ctl.device_uuids() == [device.uuid]


@pytest.mark.parametrize("verb", ["status", "halt", "pause", "resume"])
def test_a_campaign_id_cannot_climb_to_another_route(ctl: Controller, live: str, verb: str) -> None:
    result = _cli(live, "rollout", verb, "..")
    assert result.exit_code == 2 and "is not a campaign id" in result.output


@pytest.mark.parametrize("path", ["/device/{uuid}/apps/..", "/device/{uuid}/apps/%2E%2e", "/device/{uuid}/./."])
def test_a_raw_call_with_a_dot_segment_is_refused_before_it_is_sent(ctl: Controller, device, live: str,
                                                                   path: str) -> None:
    device.register()
    result = _cli(live, "call", "DELETE", path.format(uuid=device.uuid))
    assert result.exit_code == 1 and "segment would reach another route" in result.output
    assert ctl.device_uuids() == [device.uuid]
