"""domainmgr against a scripted device: volumes, domains, halts, crashes, restarts, purges."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import pytest

from evesim.agent import domainmgr, topics
from evesim.agent import effects as fx
from evesim.agent.configitems import GlobalConfig
from evesim.agent.domainmgr import VOLUMES, Apps, Instance, Volume
from evesim.agent.topics import App, GlobalConfigStatus, Vault
from evesim.api import pb
from evesim.hw.xen import Hypervisor, XenError

from .harness import Script

INFO = pb.info
UUID = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
SHA = "ab" * 32
WEB = App(uuid=UUID, name="web", version="1", activate=True, memory_kb=512 * 1024, vcpus=1,
          image_url="https://ds/web.qcow2", image_sha256=SHA, image_size=1000)
DOMAIN = f"web.{UUID[:8]}"
SHUTDOWN_S = 8.0


@dataclass
class FakeXen:
    """``fx.Domain`` answered by the hw Xen model; a guest asked to stop halts ``SHUTDOWN_S`` later."""

    script: Script
    hypervisor: Hypervisor = field(default_factory=lambda: Hypervisor(4096, 4))
    stopping: dict[str, float] = field(default_factory=dict)
    refuse_create: str | None = None
    shutdown_s: float = SHUTDOWN_S
    blind_start: bool = False
    """A start that cannot say which domain it started (a failed ``xl list`` after ``xl unpause``)."""
    ops: list[str] = field(default_factory=list)

    def __call__(self, eff: fx.Domain) -> fx.DomainState:
        self.ops.append(eff.op + (" force" if eff.force else ""))
        self._settle(eff.name)
        try:
            if eff.op == "create":
                if self.refuse_create:
                    raise XenError(self.refuse_create)
                self.hypervisor.create(eff.name, eff.memory_kb, eff.vcpus)
            elif eff.op == "start":
                self.hypervisor.unpause(eff.name)
                if self.blind_start:
                    return fx.DomainState(eff.name, "absent")
            elif eff.op == "stop" and eff.force:
                self.hypervisor.stopped(eff.name)
            elif eff.op == "stop":
                self.hypervisor.shutdown(eff.name)
                self.stopping[eff.name] = self.script.now + self.shutdown_s
            elif eff.op == "destroy":
                self.hypervisor.destroy(eff.name)
        except XenError as exc:
            return self._state(eff.name, str(exc))
        return self._state(eff.name)

    def _settle(self, name: str) -> None:
        due = self.stopping.get(name)
        domain = self.hypervisor.info(name)
        if due is not None and self.script.now >= due and domain is not None and domain.state == "shutdown":
            self.hypervisor.stopped(name)
            del self.stopping[name]

    def _state(self, name: str, error: str | None = None) -> fx.DomainState:
        domain = self.hypervisor.info(name)
        if domain is None:
            return fx.DomainState(name, "absent", None, error)
        return fx.DomainState(name, domain.state, domain.domid, error)


def device(*, unlocked: bool = True, items: dict[str, int] | None = None,
           fail_downloads: int = 0) -> tuple[Script, FakeXen, list[fx.Download]]:
    """A script with the app in config, the vault as asked, and downloads that succeed (after failures)."""
    script = Script(hardware=replace(Script().hardware, memory_mb=4096), run_spawned=True)
    xen = FakeXen(script)
    script.hypervisor = xen
    fetched: list[fx.Download] = []

    def download(eff: fx.Download) -> fx.DownloadResult:
        fetched.append(eff)
        if len(fetched) <= fail_downloads:
            return fx.DownloadResult(None, "datastore unreachable")
        return fx.DownloadResult(f"blob:{eff.sha256[:8]}")

    script.downloads = download
    script.bus.publish(topics.APP_CONFIG, (WEB,))
    script.bus.publish(topics.VAULT, Vault(unlocked=unlocked))
    if items:
        script.bus.publish(topics.GLOBAL_CONFIG, GlobalConfigStatus(GlobalConfig(items)))
    return script, xen, fetched


def instance(memory_mb: int = 4096) -> Instance:
    return Instance(Apps(total_kb=(memory_mb - domainmgr.EVE_MEMORY_MB) * 1024), WEB)


def states(script: Script) -> list[str]:
    """The app's published states, with errors, in order (repeats collapsed)."""
    seen: list[str] = []
    for value in script.published(topics.APP_STATUS):
        app = next((a for a in value if a.uuid == UUID), None)
        label = "gone" if app is None else INFO.ZSwState.Name(app.state) + (f": {app.error}" if app.error else "")
        if not seen or seen[-1] != label:
            seen.append(label)
    return seen


def status(script: Script) -> topics.AppStatus | None:
    return next((a for a in script.bus.get(topics.APP_STATUS) or () if a.uuid == UUID), None)


def set_config(script: Script, at: float, **change: object) -> None:
    script.publish_at(at, topics.APP_CONFIG, (replace(WEB, **change),))


def test_an_activated_app_is_downloaded_into_a_volume_and_boots() -> None:
    script, xen, fetched = device()
    script.run(instance().run(), max_time=100.0)
    assert states(script) == ["DOWNLOAD_STARTED", "BOOTING", "RUNNING"]
    assert [(d.url, d.sha256, d.size_bytes) for d in fetched] == [(WEB.image_url, SHA, 1000)]
    assert json.loads(script.files[VOLUMES + UUID]) == {"blob": "blob:abababab", "purge": 0, "sha256": SHA}
    assert xen.ops[:2] == ["create", "start"] and set(xen.ops[2:]) == {"info"}
    running = status(script)
    assert running.domid == 1 and running.boot_time > 0
    assert xen.hypervisor.info(DOMAIN).memory_kb == 512 * 1024


def test_the_domain_keeps_the_id_its_create_gave_whatever_start_says() -> None:
    script, xen, _ = device()
    xen.blind_start = True
    script.run(instance().run(), max_time=100.0)
    assert states(script) == ["DOWNLOAD_STARTED", "BOOTING", "RUNNING"]
    assert xen.ops.count("create") == 1 and status(script).domid == 1


def test_the_domain_is_checked_every_9_to_30_seconds() -> None:
    script, xen, _ = device()
    script.random = 0.0
    script.run(instance().run(), max_time=100.0)
    infos = [s.time for s in script.steps(fx.Domain) if s.effect.op == "info"]
    assert infos == [9.0, 18.0, 27.0, 36.0, 45.0, 54.0, 63.0, 72.0, 81.0, 90.0, 99.0]


def test_nothing_happens_until_the_vault_is_unlocked() -> None:
    script, xen, fetched = device(unlocked=False)
    script.publish_at(50.0, topics.VAULT, Vault(unlocked=True))
    script.run(instance().run(), max_time=60.0)
    assert states(script) == ["INITIAL", "DOWNLOAD_STARTED", "BOOTING", "RUNNING"]
    assert [s.time for s in script.steps(fx.Download)] == [50.0]


def test_a_volume_kept_from_an_earlier_boot_is_not_downloaded_again() -> None:
    script, xen, fetched = device()
    script.files[VOLUMES + UUID] = json.dumps({"blob": "blob:kept", "purge": 0, "sha256": SHA}).encode()
    script.run(instance().run(), max_time=20.0)
    assert fetched == [] and states(script) == ["BOOTING", "RUNNING"]
    assert [e.blob for e in script.effects(fx.Domain) if e.op == "create"] == ["blob:kept"]


def test_a_failed_download_is_retried_after_timer_download_retry() -> None:
    script, xen, fetched = device(fail_downloads=1, items={"timer.download.retry": 120})
    script.run(instance().run(), max_time=200.0)
    assert [s.time for s in script.steps(fx.Download)] == [0.0, 120.0]
    assert states(script) == [
        "DOWNLOAD_STARTED",
        "DOWNLOAD_STARTED: download of https://ds/web.qcow2 failed: datastore unreachable",
        "DOWNLOAD_STARTED", "BOOTING", "RUNNING",
    ]


def test_deactivating_shuts_the_guest_down_then_destroys_it() -> None:
    script, xen, _ = device()
    set_config(script, 40.0, activate=False)
    script.run(instance().run(), max_time=100.0)
    assert states(script) == ["DOWNLOAD_STARTED", "BOOTING", "RUNNING", "HALTING", "HALTED"]
    stop_to_destroy = [(s.time, s.effect.op) for s in script.steps(fx.Domain) if s.time >= 40.0]
    assert stop_to_destroy == [(40.0, "stop"), (41.0, "info"), (43.0, "info"), (47.0, "info"), (55.0, "info"),
                               (55.0, "destroy")]
    assert xen.hypervisor.domains == [] and status(script).domid is None


def test_a_guest_that_will_not_stop_is_forced_after_60_seconds() -> None:
    script, xen, _ = device()
    xen.shutdown_s = 1e9
    set_config(script, 40.0, activate=False)
    script.run(instance().run(), max_time=200.0)
    forced = [s.time for s in script.steps(fx.Domain) if s.effect.force]
    assert forced == [40.0 + 63.0] and xen.hypervisor.domains == []


def test_halt_apps_stops_every_domain_for_nodeagent() -> None:
    script, xen, _ = device()
    script.publish_at(30.0, topics.HALT_APPS, "REBOOT_CMD")
    script.run(instance().run(), max_time=100.0)
    assert states(script)[-2:] == ["HALTING", "HALTED"]
    assert status(script).domid is None and xen.hypervisor.domains == []


def test_a_crashed_guest_is_broken_until_the_app_is_restarted() -> None:
    script, xen, _ = device()
    script.random = 1.0
    script.at(40.0, lambda: xen.hypervisor.crash(DOMAIN))
    set_config(script, 500.0, restart_counter=1)
    script.run(instance().run(), max_time=520.0)
    broken = f"HALTING: {domainmgr.BROKEN}"
    assert states(script) == ["DOWNLOAD_STARTED", "BOOTING", "RUNNING", broken, "HALTING", "HALTED", "BOOTING",
                              "RUNNING"], "EVE never reports RESTARTING"
    assert [s.time for s in script.steps(fx.Domain) if s.effect.op == "create"] == [0.0, 500.0]
    infos = [s.time for s in script.steps(fx.Domain) if s.effect.op == "info" and s.time < 500.0]
    assert infos == [30.0, 60.0], "a broken domain is not checked again"


def test_a_guest_that_halts_by_itself_is_booted_again_after_timer_boot_retry() -> None:
    script, xen, _ = device(items={"timer.boot.retry": 100})
    script.random = 1.0
    script.at(40.0, lambda: xen.hypervisor.stopped(DOMAIN))
    script.run(instance().run(), max_time=200.0)
    assert states(script) == ["DOWNLOAD_STARTED", "BOOTING", "RUNNING",
                              "HALTED: unexpected state HALTED; will retry in 100 s", "BOOTING", "RUNNING"]
    assert [s.time for s in script.steps(fx.Domain) if s.effect.op == "create"] == [0.0, 160.0]


def test_a_refused_create_is_tried_three_times_then_retried_after_timer_boot_retry() -> None:
    script, xen, _ = device()
    xen.refuse_create = "xl create failed"
    script.at(100.0, lambda: setattr(xen, "refuse_create", None))
    script.run(instance().run(), max_time=700.0)
    assert [s.time for s in script.steps(fx.Domain) if s.effect.op == "create"] == [0.0, 5.0, 10.0, 610.0]
    assert "HALTED: xl create failed; will retry in 600 s" in states(script)
    assert states(script)[-1] == "RUNNING"


def test_an_app_bigger_than_the_free_memory_waits_without_creating_a_domain() -> None:
    script, xen, _ = device()
    script.run(instance(memory_mb=domainmgr.EVE_MEMORY_MB + 256).run(), max_time=50.0)
    free, need = 256 * 1024 * 1024, 512 * 1024 * 1024
    assert states(script)[-1] == f"INSTALLED: Remaining memory bytes {free} app instance needs {need}"
    assert not [e for e in script.effects(fx.Domain) if e.op == "create"]


def test_apps_share_the_memory_and_the_second_waits_for_the_first() -> None:
    apps = Apps(total_kb=768 * 1024)
    other = replace(WEB, uuid="7" * 36, name="db", image_url="https://ds/db.qcow2")
    apps.held_kb[other.uuid] = other.memory_kb
    script, xen, _ = device()
    script.at(60.0, lambda: (apps.held_kb.clear(), script.bus.publish(topics.APP_STATUS, ())))
    script.run(Instance(apps, WEB).run(), max_time=100.0)
    assert states(script) == ["DOWNLOAD_STARTED",
                              "INSTALLED: Remaining memory bytes 268435456 app instance needs 536870912",
                              "BOOTING", "RUNNING"]
    assert [s.time for s in script.steps(fx.Domain) if s.effect.op == "create"] == [60.0]


def test_maintenance_mode_neither_holds_nor_stops_an_app() -> None:
    # EVE's zedmanager and domainmgr never look at maintenance mode; only zedagent's config parsing does.
    script, xen, _ = device()
    script.bus.publish(topics.MAINTENANCE, topics.Maintenance(True, (pb.info.MAINTENANCE_MODE_REASON_USER_REQUESTED,)))
    script.run(instance().run(), max_time=40.0)
    assert states(script)[-1] == "RUNNING"
    assert [s.time for s in script.steps(fx.Domain) if s.effect.op == "create"] == [0.0]


def test_a_purge_rebuilds_the_volume_and_restarts_the_app() -> None:
    script, xen, fetched = device()
    set_config(script, 40.0, purge_counter=1)
    script.run(instance().run(), max_time=100.0)
    assert states(script)[2:] == ["RUNNING", "HALTING", "INSTALLED", "BOOTING", "RUNNING"], "EVE never reports PURGING"
    assert len(fetched) == 1, "the verified image is reused"
    assert json.loads(script.files[VOLUMES + UUID])["purge"] == 1
    assert [s.time for s in script.steps(fx.Domain) if s.effect.op == "create"] == [0.0, 55.0]


def test_a_new_image_is_downloaded_while_the_old_one_runs() -> None:
    script, xen, fetched = device()
    set_config(script, 40.0, image_sha256="cd" * 32, version="2")
    script.run(instance().run(), max_time=100.0)
    assert [d.sha256 for d in fetched] == [SHA, "cd" * 32]
    assert states(script)[2:] == ["RUNNING", "HALTING", "INSTALLED", "BOOTING", "RUNNING"]
    halted = [s.time for s in script.steps(fx.Domain) if s.effect.op == "stop"]
    assert halted == [40.0], "the old domain runs until the new image is there"


def test_a_removed_app_is_halted_its_volume_dropped_and_its_process_ends() -> None:
    script, xen, _ = device()
    script.publish_at(40.0, topics.APP_CONFIG, ())
    outcome = script.run(instance().run(), max_time=100.0)
    assert outcome.stop == "returned"
    assert states(script)[-1] == "gone" and VOLUMES + UUID not in script.files
    assert xen.hypervisor.domains == []


def test_run_starts_one_process_per_app_and_the_disk_scan() -> None:
    script, _, _ = device()
    script.run_spawned = False
    other = replace(WEB, uuid="7" * 36, name="db")
    script.publish_at(10.0, topics.APP_CONFIG, (WEB, other))
    script.run(domainmgr.run(), max_time=20.0)
    assert sorted(script.spawned) == [f"domainmgr.{UUID}", f"domainmgr.{other.uuid}", "domainmgr.diskmetrics"]


def test_a_running_domain_is_still_halted_while_a_new_image_downloads() -> None:
    script, xen, fetched = device()
    script.at(39.0, lambda: setattr(script, "run_spawned", False))  # the next download never ends
    set_config(script, 40.0, image_sha256="cd" * 32, version="2")
    script.publish_at(60.0, topics.HALT_APPS, "REBOOT_CMD")
    script.run(instance().run(), max_time=100.0)
    assert [s.time for s in script.steps(fx.Spawn)] == [0.0, 40.0] and len(fetched) == 1
    assert states(script)[-2:] == ["HALTING", "HALTED"]
    assert [s.time for s in script.steps(fx.Domain) if s.effect.op == "stop"] == [60.0]
    assert xen.hypervisor.domains == []


def test_a_crash_is_noticed_while_a_new_image_cannot_be_downloaded() -> None:
    script, xen, fetched = device()
    script.random = 1.0
    script.at(39.0, lambda: setattr(script, "downloads", lambda eff: fx.DownloadResult(None, "404")))
    set_config(script, 40.0, image_sha256="cd" * 32, version="2")
    script.at(45.0, lambda: xen.hypervisor.crash(DOMAIN))
    script.run(instance().run(), max_time=100.0)
    assert states(script)[-2:] == ["RUNNING: download of https://ds/web.qcow2 failed: 404",
                                   f"HALTING: {domainmgr.BROKEN}"]


def test_deactivating_during_the_first_download_does_not_boot_it_afterwards() -> None:
    script, xen, _ = device()
    script.run_spawned = False
    set_config(script, 30.0, activate=False)
    script.at(60.0, lambda: script.bus.publish(domainmgr.DOWNLOADS + UUID, domainmgr.Fetched(1, SHA, "blob:x", None)))
    script.run(instance().run(), max_time=100.0)
    assert states(script) == ["DOWNLOAD_STARTED", "HALTED"]
    assert not [e for e in script.effects(fx.Domain) if e.op == "create"]
    assert json.loads(script.files[VOLUMES + UUID])["blob"] == "blob:x"


def test_a_purge_after_a_failed_boot_does_not_wait_for_the_boot_retry() -> None:
    script, xen, _ = device()
    xen.refuse_create = "xl create failed"
    script.at(100.0, lambda: setattr(xen, "refuse_create", None))
    set_config(script, 100.0, purge_counter=1)
    script.run(instance().run(), max_time=200.0)
    assert [s.time for s in script.steps(fx.Domain) if s.effect.op == "create"] == [0.0, 5.0, 10.0, 100.0]
    assert states(script)[-1] == "RUNNING"


@pytest.mark.parametrize("record", [
    b'{"blob": "b", "sha256": "s", "purge": 1e400}', b"[" * 100_000, b'{"blob": null, "sha256": "s", "purge": 0}',
    b'{"blob": "b", "sha256": "s", "purge": true}', b'["b", "s", 0]', b"\xff\xfe", b"",
])
def test_an_unreadable_volume_record_means_no_volume(record: bytes) -> None:
    assert domainmgr.Volume.parse(record) is None
    script, _, fetched = device()
    script.files[VOLUMES + UUID] = record
    script.run(instance().run(), max_time=50.0)
    assert states(script)[-1] == "RUNNING" and len(fetched) == 1


def test_volumes_of_apps_no_longer_configured_are_swept_after_timer_gc_vdisk() -> None:
    script, _, _ = device(items={"timer.gc.vdisk": 120})
    script.run_spawned = False
    orphan = "7" * 36
    script.files[VOLUMES + orphan] = Volume("blob:o", SHA, 0).dump()
    script.files[VOLUMES + UUID] = Volume("blob:w", SHA, 0).dump()
    script.run(domainmgr.run(), max_time=119.0)
    assert VOLUMES + orphan in script.files
    script.run(domainmgr.run(), max_time=300.0)
    assert sorted(script.files) == [VOLUMES + UUID]
    assert [log.fields for log in script.logs("app_volume_gc")] == [{"uuid": orphan}]


def test_a_restart_while_a_new_image_downloads_boots_the_old_volume_again() -> None:
    script, xen, fetched = device()
    script.at(39.0, lambda: setattr(script, "run_spawned", False))
    set_config(script, 40.0, image_sha256="cd" * 32, version="2")
    set_config(script, 60.0, image_sha256="cd" * 32, version="2", restart_counter=1)
    script.run(instance().run(), max_time=100.0)
    creates = [s for s in script.steps(fx.Domain) if s.effect.op == "create"]
    assert [c.time for c in creates] == [0.0, 75.0], "after the guest's 8 s shutdown, seen at the 1-2-4-8 s polls"
    assert creates[1].effect.blob == f"blob:{SHA[:8]}", "the old image runs until the new one is there"
    assert states(script)[-1] == "RUNNING"


def test_a_download_of_an_image_no_longer_wanted_is_ignored() -> None:
    script, xen, fetched = device()
    script.run_spawned = False
    set_config(script, 40.0, image_sha256="cd" * 32, version="2")
    script.publish_at(50.0, domainmgr.DOWNLOADS + UUID, domainmgr.Fetched(1, SHA, None, "sha256 mismatch"))
    script.publish_at(60.0, domainmgr.DOWNLOADS + UUID, domainmgr.Fetched(2, "cd" * 32, "blob:new", None))
    script.run(instance().run(), max_time=100.0)
    assert [s.time for s in script.steps(fx.Spawn)] == [0.0, 50.0], "the wanted image at once, no retry wait"
    assert not [label for label in states(script) if "failed" in label]
    assert states(script)[-1] == "RUNNING"
    assert json.loads(script.files[VOLUMES + UUID])["blob"] == "blob:new"


def test_a_fixed_image_url_is_downloaded_without_waiting_for_the_retry() -> None:
    script, xen, fetched = device(fail_downloads=1)
    set_config(script, 100.0, image_url="https://ds/web-fixed.qcow2")
    script.run(instance().run(), max_time=200.0)
    assert [(s.time, s.effect.url) for s in script.steps(fx.Download)] == [
        (0.0, "https://ds/web.qcow2"), (100.0, "https://ds/web-fixed.qcow2")]


def test_a_purge_clears_a_pending_download_retry() -> None:
    script, xen, fetched = device(fail_downloads=1)
    set_config(script, 100.0, purge_counter=1)
    script.run(instance().run(), max_time=200.0)
    assert [s.time for s in script.steps(fx.Download)] == [0.0, 100.0]
    assert states(script)[-1] == "RUNNING"


def test_a_result_from_an_earlier_instance_of_the_same_app_is_ignored() -> None:
    script, xen, _ = device()
    script.run_spawned = False
    apps = Apps(total_kb=3 * 1024 * 1024)
    script.publish_at(40.0, topics.APP_CONFIG, ())
    assert script.run(Instance(apps, WEB).run(), max_time=50.0).stop == "returned"
    script.bus.publish(topics.APP_CONFIG, (WEB,))
    script.publish_at(70.0, domainmgr.DOWNLOADS + UUID, domainmgr.Fetched(1, SHA, None, "404 from the old one"))
    script.publish_at(80.0, domainmgr.DOWNLOADS + UUID, domainmgr.Fetched(2, SHA, "blob:ok", None))
    script.run(Instance(apps, WEB).run(), max_time=100.0)
    assert not [label for label in states(script) if "404" in label]
    assert states(script)[-1] == "RUNNING"


def test_a_halt_asked_while_an_old_domain_is_replaced_keeps_the_new_one_down() -> None:
    script, xen, _ = device()
    set_config(script, 40.0, image_sha256="cd" * 32, version="2")
    script.publish_at(44.0, topics.HALT_APPS, "REBOOT_CMD")
    script.run(instance().run(), max_time=100.0)
    assert [s.time for s in script.steps(fx.Domain) if s.effect.op == "create"] == [0.0]
    assert status(script).domid is None and states(script)[-1] == "HALTED"


def test_no_sweep_before_this_boots_app_config_is_known() -> None:
    script = Script(run_spawned=False)
    script.bus.publish(topics.GLOBAL_CONFIG, GlobalConfigStatus(GlobalConfig({"timer.gc.vdisk": 120})))
    script.files[VOLUMES + UUID] = Volume("blob:w", SHA, 0).dump()
    script.publish_at(400.0, topics.APP_CONFIG, ())
    agent = script.drive(domainmgr.run())
    agent.run(max_time=399.0)
    assert VOLUMES + UUID in script.files, "no config yet: nothing is known to be unused"
    agent.run(max_time=500.0)
    assert VOLUMES + UUID not in script.files


def test_an_app_waits_for_its_network_instance_then_boots_with_its_interfaces() -> None:
    from evesim.agent.netinst import Adapter

    script, xen, _ = device()
    script.bus.publish(topics.APP_CONFIG, (replace(WEB, adapters=(Adapter("eth0", "ni-1"),)),))
    vif = fx.Vif(UUID, "web", "eth0", "ni-1", "local", ("eth0",), "nbu1x1", "bn1", "02:00:00:00:00:01",
                 "10.1.0.128", (), True)
    script.publish_at(50.0, topics.APP_NETWORK, (topics.AppNetwork(UUID, True, "", ()),))
    script.publish_at(80.0, topics.APP_NETWORK, (topics.AppNetwork(UUID, False, "", (vif,)),))
    script.run(instance().run(), max_time=150.0)
    assert states(script) == ["DOWNLOAD_STARTED", "AWAITNETWORKINSTANCE", "BOOTING", "RUNNING"]
    assert status(script).vifs == (vif,) and xen.ops[:2] == ["create", "start"]


def test_an_app_on_an_instance_in_error_or_with_a_bad_adapter_reports_it_and_never_boots() -> None:
    from evesim.agent.netinst import Adapter

    script, xen, _ = device()
    script.bus.publish(topics.APP_CONFIG, (replace(WEB, adapters=(Adapter("eth0", "ni-1"),)),))
    script.bus.publish(topics.APP_NETWORK, (topics.AppNetwork(UUID, True, "network instance ni-1 needed by app "
                                                                          "is in error state: boom", ()),))
    script.run(instance().run(), max_time=100.0)
    assert states(script)[-1] == "AWAITNETWORKINSTANCE: network instance ni-1 needed by app is in error state: boom"
    script2, xen2, _ = device()
    script2.bus.publish(topics.APP_CONFIG, (replace(WEB, net_error="App x: Can't find ni-9 in network instances.\n"),))
    script2.run(instance().run(), max_time=100.0)
    assert states(script2)[-1].startswith("INSTALLED: App x: Can't find ni-9")
    assert "create" not in xen.ops and "create" not in xen2.ops
