"""Live feeds: ``Controller.listen`` and the admin API's ``X-Stream: true`` (Adam's live NDJSON)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from evesim.api import pb
from evesim.controller import Controller
from evesim.controller.app import create_app

from .conftest import API, Device
from .served import in_thread

pytestmark = pytest.mark.e2e
TOKEN = "stream-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STREAM = {**AUTH, "X-Stream": "true"}


def _info(n: int) -> pb.info.ZInfoMsg:
    return pb.info.ZInfoMsg(ztype=pb.info.ZiDevice, dinfo=pb.info.ZInfoDevice(ncpu=n))


@pytest.fixture
def attested(device: Device) -> Device:
    device.attest_tpmless()
    return device


def test_a_listener_gets_each_new_item_once_its_request_commits(ctl: Controller, attested: Device) -> None:
    attested.post("info", _info(1))
    got: list[int] = []
    stop = ctl.listen("info", attested.uuid, lambda item: got.append(pb.info.ZInfoMsg.FromString(item.data).dinfo.ncpu))
    assert attested.post("info", _info(2)).status == 201
    assert attested.post("info", _info(3)).status == 201
    assert got == [2, 3], "only items stored after listen, in order"
    stop()
    attested.post("info", _info(4))
    assert got == [2, 3]


def test_refused_requests_and_other_devices_deliver_nothing(ctl: Controller, attested: Device, onboard) -> None:
    other = Device(ctl, onboard, "other")
    other.onboard_device()
    other.attest_tpmless()
    got: list[object] = []
    ctl.listen("metrics", attested.uuid, got.append)
    ctl.listen("requests", attested.uuid, got.append)
    other.post("metrics", pb.metrics.ZMetricMsg(devID=other.uuid))
    assert attested.post("metrics", b"\xff\xff not a message").status == 400
    assert got == [], "a refused request stores nothing, so it streams nothing"
    assert attested.post("metrics", pb.metrics.ZMetricMsg(devID=attested.uuid)).status == 201
    assert [item.key for item in got] == ["", f"{API}/id/{attested.uuid}/metrics"]


def test_unknown_kinds_are_refused(ctl: Controller) -> None:
    with pytest.raises(ValueError, match="unknown series kind 'infos'"):
        ctl.listen("infos", "x", print)


@pytest.fixture
def live(ctl: Controller) -> Iterator[str]:
    """The admin API served by uvicorn on a free port (plain HTTP), in a thread."""
    with in_thread(create_app(ctl, TOKEN)) as url:
        yield url + "/admin"


def test_x_stream_sends_new_items_live_and_stops_when_the_reader_leaves(
        ctl: Controller, attested: Device, live: str) -> None:
    attested.post("info", _info(1))
    plain = httpx.get(f"{live}/device/{attested.uuid}/info", headers=AUTH)
    assert [json.loads(line)["dinfo"]["ncpu"] for line in plain.text.splitlines()] == [1]
    with httpx.Client(timeout=10) as client, client.stream(
            "GET", f"{live}/device/{attested.uuid}/info", headers=STREAM) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
        attested.post("info", _info(2))
        attested.post("info", _info(3))
        lines = response.iter_lines()
        assert [json.loads(next(lines))["dinfo"]["ncpu"] for _ in range(2)] == [2, 3], "new items only"
    deadline = time.monotonic() + 10
    while ctl._listeners:
        assert time.monotonic() < deadline, "the feed outlived its reader"
        time.sleep(0.05)


APP_A, APP_B = "6f1c5f7e-3a52-4d0e-9a55-0c1b1d2e3f40", "6f1c5f7e-3a52-4d0e-9a55-0c1b1d2e3f41"


def test_x_stream_of_app_logs_carries_only_that_app(ctl: Controller, attested: Device, live: str) -> None:
    with httpx.Client(timeout=10) as client, client.stream(
            "GET", f"{live}/device/{attested.uuid}/app/{APP_B}/logs", headers=STREAM) as response:
        for app in (APP_A, APP_B):
            bundle = pb.logs.AppInstanceLogBundle(log=[pb.logs.LogEntry(content=f"from {app}", msgid=1)])
            path = f"{API}/apps/instanceid/{app}/logs"
            assert ctl.handle("POST", path, attested.seal(bundle.SerializeToString()),
                              {"Content-Type": "application/x-proto-binary"}).status == 201
        line = next(response.iter_lines())
        assert json.loads(line)["content"] == f"from {APP_B}"
    assert [i.key for i in ctl.store.series("applogs", attested.uuid)] == [APP_A, APP_B]


def test_x_stream_needs_the_token_and_a_known_device(live: str) -> None:
    assert httpx.get(f"{live}/device/nope/info", headers={"X-Stream": "true"}).status_code == 401
    assert httpx.get(f"{live}/device/nope/info", headers=STREAM).status_code == 400
    assert httpx.get(f"{live}/device/{APP_A}/info", headers=STREAM).status_code == 404


def _follow(live: str, *args: str) -> tuple[threading.Thread, dict]:
    """``evesim controller ARGS --server ... --token ...`` in a thread; its result lands in the dict."""
    from typer.testing import CliRunner

    from evesim.cli import app

    done: dict = {}
    server = live.removesuffix("/admin")

    def run() -> None:
        done["result"] = CliRunner().invoke(app, ["controller", *args, "--server", server, "--token", TOKEN])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def test_cli_follow_prints_new_items_and_stops_after_count(ctl: Controller, attested: Device, live: str) -> None:
    attested.post("metrics", pb.metrics.ZMetricMsg(devID="old"))
    thread, done = _follow(live, "metrics", attested.uuid, "--follow", "--count", "2")
    deadline = time.monotonic() + 10
    while ("metrics", attested.uuid) not in ctl._listeners:
        assert time.monotonic() < deadline, "the CLI never subscribed"
        time.sleep(0.02)
    for name in ("new-1", "new-2", "new-3"):
        attested.post("metrics", pb.metrics.ZMetricMsg(devID=name))
    thread.join(10)
    result = done["result"]
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["devID"] for line in result.output.splitlines()] == ["new-1", "new-2"]


def test_cli_follow_errors(live: str) -> None:
    thread, done = _follow(live, "logs", APP_A, "--follow")
    thread.join(10)
    assert done["result"].exit_code == 1 and "404" in done["result"].output
    thread, done = _follow(live, "info", APP_A, "--latest", "--follow")
    thread.join(10)
    assert done["result"].exit_code == 2 and "--latest and --follow do not go together" in done["result"].output
    thread, done = _follow(live, "metrics", APP_A, "--count", "3")
    thread.join(10)
    assert done["result"].exit_code == 2 and "--count needs --follow" in done["result"].output


def test_a_listener_that_fails_is_dropped_and_the_device_is_unaffected(ctl: Controller, attested: Device) -> None:
    calls: list[int] = []

    def broken(item: object) -> None:
        calls.append(1)
        raise RuntimeError("reader gone")

    ctl.listen("info", attested.uuid, broken)
    assert attested.post("info", _info(1)).status == 201
    assert attested.post("info", _info(2)).status == 201
    assert calls == [1] and not ctl._listeners


def test_a_stream_response_dropped_before_it_streamed_leaves_no_feed(ctl: Controller, attested: Device) -> None:
    import asyncio
    import gc

    from evesim.controller import admin

    async def open_and_drop() -> None:
        admin._live(ctl, admin.LiveStreams(), "info", attested.uuid, str, None)  # never iterated, then garbage

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(open_and_drop())
        gc.collect()
        assert ("info", attested.uuid) in ctl._listeners
        assert attested.post("info", _info(1)).status == 201
        assert not ctl._listeners, "the next item finds the reader gone (its loop still runs) and ends its feed"
    finally:
        loop.close()
