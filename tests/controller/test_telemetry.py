"""Info, metrics, logs, newlogs, app logs, flow logs, hardware health and the request log."""

from __future__ import annotations

import gzip

import pytest
from google.protobuf import json_format

from evesim.api import pb
from evesim.controller import Controller, UnknownDevice
from evesim.controller.stores import Limits, MemoryStore, SqliteStore

from .conftest import API, Device


def _gzip(lines: list[str], comment: bytes | None = b'{"devID":"d","image":"IMGA","eveVersion":"1.0"}') -> bytes:
    """A gzip stream with a header comment, as EVE's newlogd writes it (the stdlib cannot write comments)."""
    body = gzip.compress("\n".join(lines).encode(), mtime=0)
    if comment is None:
        return body
    flags = body[3] | 16
    return body[:3] + bytes([flags]) + body[4:10] + comment + b"\0" + body[10:]


def _entry(content: str, msgid: int) -> str:
    entry = pb.logs.LogEntry(severity="info", source="zedagent", content=content, msgid=msgid)
    return json_format.MessageToJson(entry, indent=None)


def test_info_latest_per_object_and_history(device: Device) -> None:
    ctl, uuid = device.ctl, device.uuid
    dinfo = pb.info.ZInfoMsg(ztype=pb.info.ZiDevice, devId=uuid)
    dinfo.dinfo.ncpu = 2
    assert device.post("info", dinfo).status == 201
    dinfo.dinfo.ncpu = 4
    device.post("info", dinfo)
    app = pb.info.ZInfoMsg(ztype=pb.info.ZiApp, devId=uuid)
    app.ainfo.AppID = "app-1"
    device.post("info", app)
    assert ctl.latest_device_info(uuid).ncpu == 4
    keys = [item.key for item in ctl.store.latest_info(uuid)]
    assert keys == ["ZiApp/app-1", f"ZiDevice/{uuid}"]
    assert len(ctl.store.series("info", uuid)) == 3


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_latest_device_info_is_parsed_once_per_report(make_controller, onboard, tmp_path, kind: str) -> None:
    store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "store.sqlite")
    ctl = make_controller(store=store)
    device = Device(ctl, onboard, "cached")
    device.onboard_device()
    assert ctl.latest_device_info(device.uuid) is None
    msg = pb.info.ZInfoMsg(ztype=pb.info.ZiDevice, devId=device.uuid)
    msg.dinfo.ncpu = 2
    device.post("info", msg)
    first = ctl.latest_device_info(device.uuid)
    assert first.ncpu == 2 and ctl.latest_device_info(device.uuid) is first
    msg.dinfo.ncpu = 4
    device.post("info", msg)  # at the same instant of the controller's clock
    assert ctl.latest_device_info(device.uuid).ncpu == 4
    ctl.remove_device(device.uuid)
    with pytest.raises(UnknownDevice):
        ctl.latest_device_info(device.uuid)


def test_metrics_series(device: Device, clock) -> None:
    for used in (1, 2):
        clock.now += 60
        msg = pb.metrics.ZMetricMsg(devID=device.uuid)
        msg.dm.memory.usedMem = used
        assert device.post("metrics", msg).status == 201
    series = device.ctl.store.series("metrics", device.uuid)
    assert [pb.metrics.ZMetricMsg.FromString(i.data).dm.memory.usedMem for i in series] == [1, 2]
    assert series[1].at - series[0].at == 60


def test_newlogs_gzip_lines(device: Device) -> None:
    body = _gzip([_entry("hello", 1), "", _entry("world", 2)])
    assert device.post("newlogs", body).status == 201
    logs = [pb.logs.LogEntry.FromString(i.data) for i in device.ctl.store.series("logs", device.uuid)]
    assert [(e.content, e.msgid) for e in logs] == [("hello", 1), ("world", 2)]


@pytest.mark.parametrize(
    "body",
    [
        b"not gzip at all",
        _gzip(["{not json"]),
        _gzip([_entry("x", 1)], comment=b"not json"),
        _gzip([_entry("x", 1)])[:-12],
    ],
)
def test_bad_newlogs_are_400_and_store_nothing(device: Device, body: bytes) -> None:
    assert device.post("newlogs", body).status == 400
    assert device.ctl.store.series("logs", device.uuid) == []


def test_logs_bundle(device: Device) -> None:
    bundle = pb.logs.LogBundle(devID=device.uuid, image="IMGA")
    bundle.log.add(content="a")
    bundle.log.add(content="b")
    assert device.post("logs", bundle).status == 201
    assert len(device.ctl.store.series("logs", device.uuid)) == 2


@pytest.mark.parametrize("prefix", ["id/{dev}/apps", "apps"])
def test_app_logs_on_both_paths(device: Device, prefix: str) -> None:
    path = f"{API}/{prefix.format(dev=device.uuid)}/instanceid/app-9/newlogs"
    reply = device.ctl.handle("POST", path, device.seal(_gzip([_entry("from app", 1)], comment=None)))
    assert reply.status == 201
    (item,) = device.ctl.store.series("applogs", device.uuid, key="app-9")
    assert pb.logs.LogEntry.FromString(item.data).content == "from app"


def test_legacy_app_logs(device: Device) -> None:
    bundle = pb.logs.AppInstanceLogBundle()
    bundle.log.add(content="x")
    reply = device.ctl.handle("POST", f"{API}/apps/instanceid/app-3/logs", device.seal(bundle.SerializeToString()))
    assert reply.status == 201
    assert len(device.ctl.store.series("applogs", device.uuid, key="app-3")) == 1


def test_flowlog_and_hardwarehealth(device: Device) -> None:
    flow = pb.flowlog.FlowMessage(devId=device.uuid)
    flow.flows.add(txBytes=10)
    assert device.post("flowlog", flow).status == 201
    assert device.post("hardwarehealth", pb.hardwarehealth.ZHardwareHealth(dev_id=device.uuid)).status == 201
    assert len(device.ctl.store.series("flowlog", device.uuid)) == 1
    assert len(device.ctl.store.series("hardwarehealth", device.uuid)) == 1


def test_request_log_records_accepted_requests(device: Device) -> None:
    device.poll()
    device.poll(token=b"bad")
    requests = device.ctl.store.series("requests", device.uuid)
    assert (requests[-1].key, requests[-1].data) == (f"{API}/id/{device.uuid}/config", b"POST 200")
    assert all(not item.data.endswith(b"403") for item in requests)


def test_histories_are_bounded(make_controller, onboard) -> None:
    ctl: Controller = make_controller(store=MemoryStore(Limits(metrics=3, requests=2, info=2)))
    dev = Device(ctl, onboard, "a")
    dev.onboard_device()
    for used in range(10):
        msg = pb.metrics.ZMetricMsg(devID=dev.uuid)
        msg.dm.memory.usedMem = used
        dev.post("metrics", msg)
    kept = [pb.metrics.ZMetricMsg.FromString(i.data).dm.memory.usedMem for i in ctl.store.series("metrics", dev.uuid)]
    assert kept == [7, 8, 9]
    assert len(ctl.store.series("requests", dev.uuid)) == 2
