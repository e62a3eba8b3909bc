"""zedagent's reporting tasks: metrics (best effort, jittered) and device info."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.configitems import GlobalConfig
from evesim.agent.topics import NodeStatus
from evesim.agent.zedagent import deferred, tasks
from evesim.agent.zedagent.state import Zedagent
from evesim.api import envelope, pb
from evesim.api.envelope import CryptoMode

from .harness import EPOCH, HARDWARE, Script
from .support import UUID, conn


def _z(**items: int) -> Zedagent:
    z = Zedagent(conn=conn(CryptoMode.TRUSTED), uuid=UUID, hardware=HARDWARE)
    z.config = GlobalConfig(items)
    return z


def _metrics_run(answer: fx.Response | list[fx.Response], draws: list[float], requests: int, **items: int) -> Script:
    script = Script(responses={"metrics": answer}, random=draws)
    script.run(tasks.metrics(_z(**items)), until=lambda s: len(s.requests("metrics")) == requests)
    return script


def _gaps(script: Script) -> list[float]:
    times = [s.time for s in script.steps(fx.Request)]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


# -------------------------------------------------------------- metrics


def test_metrics_ticks_follow_the_jitter_draws() -> None:
    draws = [0.0, 0.5, 0.999]
    script = _metrics_run(fx.Response(201), draws, 4)
    assert _gaps(script) == pytest.approx([60 * (0.3 + 0.7 * d) for d in draws])
    assert {e.stream for e in script.effects(fx.Random)} == {"metrics"}


def test_metrics_message_names_the_device() -> None:
    script = _metrics_run(fx.Response(201), [0.0], 2)
    step = script.steps(fx.Request)[-1]
    assert step.effect.path == f"/api/v2/edgedevice/id/{UUID}/metrics"
    msg = pb.metrics.ZMetricMsg.FromString(envelope.open_envelope(step.effect.body).payload)
    assert msg.devID == UUID
    assert msg.atTimeStamp.seconds == int(EPOCH + step.time)
    # the backend's figures as they are now, not the boot-time hardware facts
    assert (msg.dm.memory.usedMem, msg.dm.memory.availMem) == (1024, 4096 - 1024)
    assert msg.dm.memory.usedPercentage == 25.0


@pytest.mark.parametrize("answer", [fx.Response(503), fx.Response(None, error="timeout"), fx.Response(400)])
def test_failed_metrics_are_not_retried(answer: fx.Response) -> None:
    script = _metrics_run(answer, [0.5], 4)
    assert _gaps(script) == pytest.approx([60 * 0.65] * 3)


def test_failed_metrics_are_counted_in_the_next_message() -> None:
    script = _metrics_run([fx.Response(503), fx.Response(None, error="timeout"), fx.Response(201)], [0.5], 3)
    last = pb.metrics.ZMetricMsg.FromString(envelope.open_envelope(script.requests()[-1].body).payload)
    assert last.dm.zedcloud[0].failures == 2


@settings(max_examples=40, deadline=None)
@given(interval=st.integers(5, 3600), draw=st.floats(0.0, 1.0, exclude_max=True))
def test_metrics_tick_is_within_0_3_and_1_0_of_the_interval(interval: int, draw: float) -> None:
    script = _metrics_run(fx.Response(201), [draw], 2, **{"timer.metric.interval": interval})
    (gap,) = _gaps(script)
    assert 0.3 * interval - 1e-9 <= gap < interval


def test_a_new_metric_interval_takes_effect_at_once() -> None:
    script = Script(responses={"metrics": fx.Response(201)}, random=0.999)
    z = _z()

    def shorten() -> None:
        z.config = GlobalConfig({"timer.metric.interval": 10})
        script.bus.publish(topics.GLOBAL_CONFIG, topics.GlobalConfigStatus(z.config))

    first = None
    agent = script.drive(tasks.metrics(z))
    agent.run(until=lambda s: len(s.requests("metrics")) == 1)
    first = script.now
    script.at(first + 5.0, shorten)
    agent.run(until=lambda s: len(s.requests("metrics")) == 4)
    times = [s.time for s in script.steps(fx.Request)]
    assert times[1] == first + 5.0
    assert _gaps(script)[1:] == pytest.approx([10 * (0.3 + 0.7 * 0.999)] * 2)


# -------------------------------------------------------------- device info


def _info_run(max_time: float, draws: list[float] | float = 0.5) -> tuple[Script, deferred.Queue]:
    script = Script(random=draws)
    queue = deferred.Queue()
    script.run(tasks.device_info(_z(), queue), max_time=max_time)
    return script, queue


def _sends(script: Script) -> list[float]:
    return [s.time for s in script.steps(fx.Publish) if s.effect.topic == deferred.TOPIC]


def test_device_info_is_queued_at_start_and_every_interval_plus_minus_20_percent() -> None:
    script, queue = _info_run(2000.0, [0.0, 1.0 - 1e-9, 0.5])
    assert _sends(script) == pytest.approx([0.0, 480.0, 480.0 + 720.0, 1200.0 + 600.0])
    msg = pb.info.ZInfoMsg.FromString(queue.items["device"].payload)
    assert msg.ztype == pb.info.ZiDevice and msg.devId == UUID
    assert queue.items["device"].path == f"/api/v2/edgedevice/id/{UUID}/info"


def test_device_info_is_queued_when_what_it_reports_changes() -> None:
    script = Script()
    queue = deferred.Queue()
    script.publish_at(100.0, topics.NODE, NodeStatus(1, "first boot", 0, EPOCH))
    script.publish_at(200.0, topics.INFO_TRIGGER, ("epoch", 1))
    script.run(tasks.device_info(_z(), queue), max_time=300.0)
    assert _sends(script)[:2] == [0.0, 100.0]
    msg = pb.info.ZInfoMsg.FromString(queue.items["device"].payload)
    assert msg.dinfo.lastRebootReason == "first boot"


def test_device_info_reports_zedagents_merged_maintenance_mode_at_once() -> None:
    script = Script()
    queue = deferred.Queue()
    z = _z()
    off = topics.Maintenance(False, (pb.info.MAINTENANCE_MODE_REASON_NONE,))

    def force_off() -> None:
        z.maintenance = off
        script.bus.publish(topics.MAINTENANCE, off)

    script.at(100.0, force_off)
    script.run(tasks.device_info(z, queue), max_time=200.0)
    assert _sends(script) == [0.0, 100.0]
    info = pb.info.ZInfoMsg.FromString(queue.items["device"].payload).dinfo
    assert not info.maintenance_mode and list(info.maintenance_mode_reasons) == [pb.info.MAINTENANCE_MODE_REASON_NONE]


def test_unchanged_device_info_is_not_queued_again_before_the_interval() -> None:
    script = Script()
    script.publish_at(100.0, topics.NETWORK, None)
    script.publish_at(200.0, topics.ATTEST, None)
    script.run(tasks.device_info(_z(), deferred.Queue()), max_time=300.0)
    assert _sends(script) == [0.0]


def test_a_new_controller_epoch_resends_device_info() -> None:
    script = Script()
    script.publish_at(200.0, topics.INFO_TRIGGER, ("epoch", 1))
    script.publish_at(250.0, topics.INFO_TRIGGER, ("epoch", 2))
    script.run(tasks.device_info(_z(), deferred.Queue()), max_time=300.0)
    assert _sends(script) == [0.0, 200.0, 250.0]


APPS = (topics.AppStatus("app-1", "web", "1", pb.info.RUNNING), topics.AppStatus("app-2", "db", "1", pb.info.RUNNING))


def test_app_info_is_queued_per_changed_app() -> None:
    script = Script()
    queue = deferred.Queue()
    script.publish_at(10.0, topics.APP_STATUS, APPS)
    script.publish_at(20.0, topics.APP_STATUS, (APPS[0], topics.AppStatus("app-2", "db", "1", pb.info.HALTED)))
    script.run(tasks.object_info(_z(), queue), max_time=100.0)
    assert set(queue.items) == {"app:app-1", "app:app-2"}
    assert [(s.time, s.effect.value) for s in script.steps(fx.Publish)] == [(10.0, 1), (10.0, 2), (20.0, 2)]
    msg = pb.info.ZInfoMsg.FromString(queue.items["app:app-2"].payload)
    assert msg.ztype == pb.info.ZiApp and msg.ainfo.state == pb.info.HALTED


def test_a_new_controller_epoch_resends_every_app_info() -> None:
    script = Script()
    queue = deferred.Queue()
    script.publish_at(10.0, topics.APP_STATUS, APPS)
    script.publish_at(50.0, topics.INFO_TRIGGER, ("epoch", 1))
    script.run(tasks.object_info(_z(), queue), max_time=100.0)
    assert [s.time for s in script.steps(fx.Publish)] == [10.0, 10.0, 50.0, 50.0]


def test_an_app_that_is_gone_is_reported_with_only_its_app_id() -> None:
    script = Script()
    queue = deferred.Queue()
    script.publish_at(10.0, topics.APP_STATUS, APPS)
    script.publish_at(20.0, topics.APP_STATUS, APPS[:1])
    script.publish_at(30.0, topics.APP_STATUS, APPS[:1])
    script.run(tasks.object_info(_z(), queue), max_time=100.0)
    assert [s.time for s in script.steps(fx.Publish)] == [10.0, 10.0, 20.0], "one delete, sent once"
    gone = pb.info.ZInfoMsg.FromString(queue.items["app:app-2"].payload)
    assert gone.ztype == pb.info.ZiApp and gone.ainfo.AppID == "app-2"
    assert gone.ainfo.AppName == "" and gone.ainfo.state == 0 and gone.HasField("atTimeStamp")
