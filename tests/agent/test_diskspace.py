"""volumemgr's remaining-space report and the maintenance-mode reason nodeagent takes from it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from evesim.agent import diskspace, nodeagent, topics
from evesim.agent import effects as fx
from evesim.agent.configitems import DEFAULTS, GlobalConfig
from evesim.agent.topics import App
from evesim.api import pb

from .harness import Script
from .test_nodeagent import _node, _onboarded_script

GIB = 1024**3
NEWLOG = 2048
"""``newlog.gzipfiles.ondisk.maxmegabytes`` as EVE adds it: bytes, not megabytes."""


def test_eve_keeps_its_static_maximum_while_its_own_use_is_below_it() -> None:
    # 64 GiB: 20 % is 12.8 GiB, more than the 2 GiB maximum, so 2 GiB (and the log's 2048 bytes) are kept
    assert diskspace.remaining(DEFAULTS, fx.DiskUsage(64 * GIB, GIB), 0) == 62 * GIB - NEWLOG


def test_a_small_disk_keeps_its_percentage() -> None:
    # 8 GiB: 20 % is 1.6 GiB, under the 2 GiB maximum
    assert diskspace.remaining(DEFAULTS, fx.DiskUsage(8 * GIB, GIB), 0) == 8 * GIB - int(8 * GIB * 0.2) - NEWLOG


def test_eve_use_above_the_maximum_is_kept_and_apps_come_off_what_is_left() -> None:
    usage = fx.DiskUsage(64 * GIB, 10 * GIB)
    assert diskspace.remaining(DEFAULTS, usage, 3 * GIB) == 64 * GIB - 7 * GIB - NEWLOG - 3 * GIB


def test_a_configured_maximum_counts() -> None:
    config = GlobalConfig({"storage.dom0.disk.maxusagebytes": 4 * GIB})
    assert diskspace.remaining(config, fx.DiskUsage(64 * GIB, GIB), 0) == 60 * GIB - NEWLOG


def test_a_disk_full_of_eves_own_files_is_an_error_not_zero() -> None:
    # EVE's getRemainingDiskSpace fails when the reserve alone (EVE's use plus the log's 2048 bytes) exceeds the
    # disk; nothing is published, so no LOW_DISK_SPACE
    assert diskspace.remaining(DEFAULTS, fx.DiskUsage(64 * GIB, 64 * GIB), 0) is None
    assert diskspace.remaining(DEFAULTS, fx.DiskUsage(64 * GIB, 64 * GIB), GIB) == 0


@given(total=st.integers(GIB, 2**44), used=st.integers(0, 2**44), apps=st.integers(0, 2**40),
       more=st.integers(1, 2**40))
def test_more_app_volumes_never_leave_more_room(total: int, used: int, apps: int, more: int) -> None:
    # with the disk's used bytes fixed, app volumes come off EVE's own use and off what is left alike
    usage = fx.DiskUsage(total, min(used, total))
    before, after = (diskspace.remaining(DEFAULTS, usage, a) for a in (apps, apps + more))
    if before is not None and after is not None:
        assert 0 <= after <= before <= total


def test_a_full_persist_is_reported_as_zero_at_the_next_scan() -> None:
    script = Script(random=0.0)
    script.files[diskspace.VOLUMES + "app-1"] = b"{}"
    app = App(uuid="app-1", name="web", version="1", activate=True, memory_kb=1024, vcpus=1, image_size=GIB)
    script.bus.publish(topics.APP_CONFIG, (app,))

    def fill() -> None:
        script.persist = fx.DiskUsage(64 * GIB, 64 * GIB)

    script.at(100.0, fill)
    script.run(diskspace.run(), max_time=200.0)
    # one scan at start, the next 0.3 × 300 s later, then at 180 s: the full disk shows from 180 s
    assert script.published(topics.VOLUMEMGR_STATUS) == [61 * GIB - NEWLOG, 0]
    assert [s.time for s in script.steps(fx.PersistUsage)] == [0.0, 90.0, 180.0]


def test_no_space_left_is_nodeagents_low_disk_space_reason() -> None:
    script = _onboarded_script()
    script.publish_at(20.0, topics.VOLUMEMGR_STATUS, 0)
    script.publish_at(40.0, topics.VOLUMEMGR_STATUS, 5 * GIB)
    agent = script.drive(nodeagent.run())
    agent.run(max_time=30.0)
    assert _node(script).local_maintenance_reasons == (pb.info.MAINTENANCE_MODE_REASON_LOW_DISK_SPACE,)
    agent.run(max_time=50.0)
    assert _node(script).local_maintenance_reasons == ()
