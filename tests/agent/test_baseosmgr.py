"""baseosmgr's update rules as EVE's ``pkg/pillar/cmd/baseosmgr`` by default, and with each named fix.

``Device`` answers ``BaseOsMgr.reconcile``'s effects directly: partitions as a dict, downloads and
writes succeed at once (the write puts the configured version on the partition).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any

from evesim.agent import baseosmgr, topics
from evesim.agent import effects as fx
from evesim.agent.baseosmgr import BaseOsMgr, Saved
from evesim.agent.configitems import GlobalConfig
from evesim.agent.fixes import Fix
from evesim.api import pb

GOOD = topics.BaseOs(content_tree_uuid="ct-1", version="14.6.0", activate=True, retry_counter=0,
                     url="https://ds/eve/14.6.0", sha256="ab" * 32, size_bytes=300_000_000)
GIB = 1 << 30


@dataclass
class Device:
    """The device around one BaseOsMgr: partitions, the base-OS config, what it did."""

    current: str = "IMGA"
    states: dict[str, str] = field(default_factory=lambda: {"IMGA": "active", "IMGB": "unused"})
    versions: dict[str, str | None] = field(default_factory=lambda: {"IMGA": "14.5.1", "IMGB": None})
    config: topics.BaseOs | None = GOOD
    size: int = GIB
    fallback_counter: int = 0
    done: list[Any] = field(default_factory=list)

    def view(self) -> fx.PartitionView:
        return fx.PartitionView(self.current, dict(self.states), dict(self.versions),  # type: ignore[arg-type]
                                {"IMGA": self.size, "IMGB": self.size})

    def answer(self, eff: Any) -> Any:
        self.done.append(eff)
        match eff:
            case fx.Partitions():
                return self.view()
            case fx.Read(topic=topics.BASEOS_CONFIG):
                return self.config
            case fx.Read(topic=topics.GLOBAL_CONFIG):
                return topics.GlobalConfigStatus(GlobalConfig({"force.fallback.counter": self.fallback_counter}))
            case fx.Read():
                return None
            case fx.SetPartitionState():
                self.states[eff.label] = eff.state
            case fx.Download():
                return fx.DownloadResult("blob-1")
            case fx.WritePartition():
                assert self.config is not None
                self.versions[eff.label] = self.config.version
            case fx.WallClock():
                return 1.0
        return None

    def reconcile(self, mgr: BaseOsMgr) -> None:
        gen: Generator[Any, Any, Any] = mgr.reconcile()
        try:
            eff = next(gen)
            while True:
                eff = gen.send(self.answer(eff))
        except StopIteration:
            pass

    def states_set(self) -> list[tuple[str, str]]:
        return [(e.label, e.state) for e in self.done if isinstance(e, fx.SetPartitionState)]

    def downloads(self) -> int:
        return sum(isinstance(e, fx.Download) for e in self.done)

    def logged(self, kind: str) -> list[dict]:
        return [dict(e.fields) for e in self.done if isinstance(e, fx.Log) and e.kind == kind]


def failed_device(**kw: Any) -> Device:
    """Fell back from 14.6.0: running IMGA active, IMGB inprogress with 14.6.0."""
    return Device(states={"IMGA": "active", "IMGB": "inprogress"}, versions={"IMGA": "14.5.1", "IMGB": "14.6.0"},
                  **kw)


def mgr(*fixes: Fix, counter: int | None = 0) -> BaseOsMgr:
    return BaseOsMgr(Saved(retry_counter=counter), fixes=frozenset(fixes))


# ---------------------------------------------------------------- force fallback (handleForceFallback)

def _committed(**kw: Any) -> Device:
    """Runs 14.6.0 on IMGB, committed; IMGA unused with 14.5.1."""
    return Device(current="IMGB", states={"IMGA": "unused", "IMGB": "active"},
                  versions={"IMGA": "14.5.1", "IMGB": "14.6.0"}, config=None, **kw)


def _fallback_mgr(saved: int | None) -> BaseOsMgr:
    return BaseOsMgr(Saved(retry_counter=0, force_fallback=saved))


def test_the_first_force_fallback_counter_seen_is_only_recorded() -> None:
    dev, m = _committed(fallback_counter=3), _fallback_mgr(None)
    dev.reconcile(m)
    assert m.saved.force_fallback == 3 and dev.states_set() == []


def test_as_eve_any_change_of_the_force_fallback_counter_acts() -> None:
    for counter in (2, 4):
        dev, m = _committed(fallback_counter=counter), _fallback_mgr(3)
        dev.reconcile(m)
        assert dev.states_set() == [("IMGA", "updating")] and m.saved.force_fallback == counter
        assert dev.logged("force_fallback") == [{"partition": "IMGA", "version": "14.5.1"}]


def test_a_force_fallback_the_partitions_do_not_allow_yet_waits_unsaved_and_acts_later() -> None:
    dev, m = _committed(fallback_counter=4), _fallback_mgr(3)
    dev.states["IMGA"] = "inprogress"
    dev.reconcile(m)
    assert dev.states_set() == [] and m.saved.force_fallback == 3
    dev.states["IMGA"] = "unused"
    dev.reconcile(m)
    assert dev.states_set() == [("IMGA", "updating")] and m.saved.force_fallback == 4


# ---------------------------------------------------------------- retry counter (handleUpdateRetryCounter)

def test_a_failed_image_is_not_downloaded_again_without_a_retry() -> None:
    dev, m = failed_device(), mgr()
    dev.reconcile(m)
    assert dev.downloads() == 0 and dev.states_set() == []


def test_as_eve_a_lower_counter_retries_the_failed_image_in_place() -> None:
    dev, m = failed_device(config=replace(GOOD, retry_counter=2)), mgr(counter=3)
    dev.reconcile(m)
    assert dev.states_set() == [("IMGB", "updating")] and dev.downloads() == 0
    assert m.saved.retry_counter == 2
    assert dev.logged("retry_update") == [{"version": "14.6.0", "counter": 2}]


def test_with_retry_on_increase_a_lower_counter_does_nothing() -> None:
    dev, m = failed_device(config=replace(GOOD, retry_counter=2)), mgr("retry-on-increase", counter=3)
    dev.reconcile(m)
    assert dev.states_set() == [] and dev.downloads() == 0 and m.saved.retry_counter == 3


def test_a_higher_counter_retries_in_place_both_ways() -> None:
    for fixes in ((), ("retry-on-increase",)):
        dev, m = failed_device(config=replace(GOOD, retry_counter=4)), mgr(*fixes, counter=3)
        dev.reconcile(m)
        assert dev.states_set() == [("IMGB", "updating")] and dev.downloads() == 0, fixes


def test_with_nothing_failed_a_change_is_saved_without_acting() -> None:
    dev = Device(versions={"IMGA": "14.6.0", "IMGB": None}, config=replace(GOOD, retry_counter=5))
    m = mgr(counter=3)
    dev.reconcile(m)
    assert m.saved.retry_counter == 5 and m.saved.update_counter == 5
    assert dev.states_set() == [] and dev.downloads() == 0 and dev.logged("retry_update") == []


def test_while_the_running_image_is_under_test_a_change_is_ignored_and_not_saved() -> None:
    dev = Device(current="IMGB", states={"IMGA": "active", "IMGB": "inprogress"},
                 versions={"IMGA": "14.5.1", "IMGB": "14.6.0"}, config=replace(GOOD, retry_counter=5))
    m = mgr(counter=3)
    dev.reconcile(m)
    assert m.saved.retry_counter == 3 and dev.states_set() == []
    assert dev.logged("refused") == [{"what": "retry_update", "counter": 5, "current": "inprogress"}]


def test_the_counter_is_looked_at_only_when_the_config_changes() -> None:
    # EVE: pkg/pillar/cmd/baseosmgr/baseosmgr.go calls handleUpdateRetryCounter on config create/modify only
    dev, m = failed_device(config=replace(GOOD, retry_counter=1)), mgr()
    dev.reconcile(m)
    dev.states["IMGB"] = "inprogress"  # the retried image failed again; same config
    dev.done.clear()
    dev.reconcile(m)
    assert dev.states_set() == [] and dev.downloads() == 0


# ---------------------------------------------------------------- failed versions (validatePartition)

def test_as_eve_a_failed_version_written_over_is_forgotten() -> None:
    dev = Device(states={"IMGA": "active", "IMGB": "inprogress"}, versions={"IMGA": "14.5.1", "IMGB": "14.6.1"})
    m = mgr()
    m.saved.failed.add("14.6.0")  # a memory EVE does not have: ignored by default
    dev.reconcile(m)
    assert dev.downloads() == 1 and ("IMGB", "updating") in dev.states_set()


def test_with_failed_version_memory_it_is_refused() -> None:
    dev = Device(states={"IMGA": "active", "IMGB": "inprogress"}, versions={"IMGA": "14.5.1", "IMGB": "14.6.1"})
    m = mgr("failed-version-memory")
    m.saved.failed.add("14.6.0")
    dev.reconcile(m)
    assert dev.downloads() == 0 and dev.states_set() == []


def test_with_failed_version_memory_a_failure_seen_is_remembered() -> None:
    dev, m = failed_device(), mgr("failed-version-memory")
    dev.reconcile(m)
    assert m.saved.failed == {"14.6.0"}
    dev2, m2 = failed_device(), mgr()
    dev2.reconcile(m2)
    assert m2.saved.failed == set()


def test_a_deleted_config_frees_the_failed_partition_while_the_running_one_is_active() -> None:
    dev, m = failed_device(), mgr()
    dev.reconcile(m)
    dev.config = None
    dev.reconcile(m)
    assert dev.states_set() == [("IMGB", "unused")]


def test_a_deleted_config_frees_nothing_while_the_running_image_is_under_test() -> None:
    # EVE: pkg/pillar/cmd/baseosmgr/handlebaseos.go doBaseOsUninstall needs the current partition active
    dev = Device(current="IMGB", states={"IMGA": "updating", "IMGB": "inprogress"},
                 versions={"IMGA": "14.6.0", "IMGB": "14.5.9"})
    m = mgr()
    dev.reconcile(m)
    dev.config = None
    dev.done.clear()
    dev.reconcile(m)
    assert dev.states_set() == [] and dev.logged("refused")[0]["what"] == "uninstall"


# ---------------------------------------------------------------- writing (doBaseOsActivate)

def updating_device() -> Device:
    """14.6.0 written and marked updating; the controller now wants 14.6.1."""
    return Device(states={"IMGA": "active", "IMGB": "updating"}, versions={"IMGA": "14.5.1", "IMGB": "14.6.0"},
                  config=replace(GOOD, version="14.6.1", content_tree_uuid="ct-2"))


def test_as_eve_a_newer_image_is_written_over_updating_in_place() -> None:
    dev, m = updating_device(), mgr()
    dev.reconcile(m)
    assert dev.states_set() == [("IMGB", "updating")]
    assert dev.versions["IMGB"] == "14.6.1"


def test_with_unused_before_write_the_partition_is_unused_during_the_write() -> None:
    dev, m = updating_device(), mgr("unused-before-write")
    dev.reconcile(m)
    assert dev.states_set() == [("IMGB", "unused"), ("IMGB", "updating")]


def test_an_image_bigger_than_the_partition_is_an_error_and_leaves_the_partition_alone() -> None:
    for dev in (Device(size=GOOD.size_bytes - 1), updating_device()):
        dev.size = GOOD.size_bytes - 1
        m = mgr()
        dev.reconcile(m)
        assert dev.states_set() == [] and not any(isinstance(e, fx.WritePartition) for e in dev.done)
        assert m.install is not None and m.install.phase == "error"
        assert "greater than partition size" in m.install.error


def test_run_takes_the_fixes() -> None:
    gen = baseosmgr.run(frozenset({"unused-before-write"}))
    assert isinstance(next(gen), fx.ReadFile)


# ---------------------------------------------------------------- swList during a download (getSwInfo)

def test_during_a_download_the_running_partition_stays_updated_and_the_download_has_no_label() -> None:
    dev = Device()
    report = baseosmgr.build_report(dev.view(), GOOD, baseosmgr.Install("14.6.0", phase="downloading", progress=40),
                                    0, "")
    running, unused, download = report.sw
    assert (running.partition, running.user_status, running.activated) == ("IMGA", pb.info.UPDATED, True)
    assert (unused.partition, unused.status, unused.user_status) == ("IMGB", pb.info.INITIAL, pb.info.NONE)
    assert (download.partition, download.partition_state, download.version) == ("", "", "14.6.0")
    assert (download.status, download.user_status, download.download_progress) == (
        pb.info.DOWNLOAD_STARTED, pb.info.DOWNLOADING, 40)


def test_while_writing_the_download_is_on_the_other_partition() -> None:
    report = baseosmgr.build_report(Device().view(), GOOD, baseosmgr.Install("14.6.0", phase="writing"), 0, "")
    assert [sw.partition for sw in report.sw] == ["IMGA", "IMGB"]
