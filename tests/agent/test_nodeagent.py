"""nodeagent: the test window, reboots, boot reason, restart counter."""

from __future__ import annotations

import dataclasses

import pytest

from evesim.agent import effects as fx
from evesim.agent import nodeagent, paths, topics
from evesim.agent.bootreason import BootReason
from evesim.agent.configitems import GlobalConfig
from evesim.agent.topics import Attestation, ConfigGet, ConfigStatus, GlobalConfigStatus, OpsCommands
from evesim.api import pb

from .harness import HARDWARE, PARTITIONS, Script

INFO = pb.info
ONBOARDED = topics.Onboarding("6ba7b810-9dad-41d1-80b4-00c04fd430c8", "Acme.Box-1")
TESTING = fx.PartitionView("IMGB", {"IMGA": "active", "IMGB": "inprogress"}, {"IMGA": "14.5.1", "IMGB": "14.5.2"})


def _booted_before(**files: bytes) -> dict[str, bytes]:
    base = {paths.FIRST_BOOT_DONE: b"1", "/persist/status/powercycles": b"3", paths.RESTART_COUNTER: b"4"}
    base.update({k.replace("__", "/"): v for k, v in files.items()})
    return base


def _node(script: Script) -> topics.NodeStatus:
    return script.bus.get(topics.NODE)


def _boot(script: Script) -> topics.NodeStatus:
    agent = script.drive(nodeagent.run())
    agent.run(until=lambda s: s.bus.get(topics.NODE) is not None)
    return _node(script)


def _reboots(script: Script) -> list[tuple[float, str]]:
    return [(s.time, s.effect.reason) for s in script.steps(fx.Reboot)]


# -------------------------------------------------------------- boot reason


def test_first_boot() -> None:
    script = Script()
    status = _boot(script)
    assert status.boot_reason == BootReason.FIRST
    assert status.restart_counter == 0
    assert script.files[paths.RESTART_COUNTER] == b"1"
    assert script.files[paths.FIRST_BOOT_DONE]


@pytest.mark.parametrize("reason", [BootReason.REBOOT_CMD, BootReason.UPDATE, BootReason.FALLBACK,
                                    BootReason.DISCONNECT, BootReason.WATCHDOG_HUNG, BootReason.WATCHDOG_PID])
def test_persisted_reason_wins_and_is_consumed(reason: BootReason) -> None:
    files = _booted_before()
    files[paths.BOOT_REASON] = str(int(reason)).encode()
    files[paths.REBOOT_REASON] = b"why it rebooted"
    files[paths.REBOOT_IMAGE] = b"IMGA"
    script = Script(files=files, hardware=dataclasses.replace(HARDWARE, power_cycles=9, watchdog_cardreset=True))
    status = _boot(script)
    assert status.boot_reason == reason
    assert status.last_reboot_reason == "why it rebooted"
    for path in (paths.BOOT_REASON, paths.REBOOT_REASON, paths.REBOOT_IMAGE):
        assert path not in script.files


def test_unreadable_persisted_reason_is_parse_fail() -> None:
    files = _booted_before()
    files[paths.BOOT_REASON] = b"\xff\xfe garbage"
    script = Script(files=files)
    assert _boot(script).boot_reason == BootReason.PARSE_FAIL


def test_hardware_watchdog_cardreset() -> None:
    script = Script(files=_booted_before(), hardware=dataclasses.replace(HARDWARE, watchdog_cardreset=True))
    assert _boot(script).boot_reason == BootReason.HW_WATCHDOG


def test_a_risen_power_cycle_count_wins_over_the_card_reset_flag() -> None:
    hardware = dataclasses.replace(HARDWARE, power_cycles=4, watchdog_cardreset=True)
    assert _boot(Script(files=_booted_before(), hardware=hardware)).boot_reason == BootReason.POWER_FAIL


def test_card_reset_without_a_smart_record_is_hardware_watchdog() -> None:
    files = _booted_before()
    del files["/persist/status/powercycles"]
    hardware = dataclasses.replace(HARDWARE, watchdog_cardreset=True)
    assert _boot(Script(files=files, hardware=hardware)).boot_reason == BootReason.HW_WATCHDOG


def test_hardware_watchdog_goes_on_the_wire_as_16() -> None:
    assert BootReason.HW_WATCHDOG.to_proto() == 16 and BootReason.KUBE_TRANSITION == 15


def test_smart_power_cycle_count_rose_is_power_fail() -> None:
    script = Script(files=_booted_before(), hardware=dataclasses.replace(HARDWARE, power_cycles=4))
    assert _boot(script).boot_reason == BootReason.POWER_FAIL
    assert script.files["/persist/status/powercycles"] == b"4"


def test_otherwise_kernel() -> None:
    script = Script(files=_booted_before(), hardware=dataclasses.replace(HARDWARE, power_cycles=3))
    assert _boot(script).boot_reason == BootReason.KERNEL


def test_no_previous_smart_record_is_unknown() -> None:
    files = _booted_before()
    del files["/persist/status/powercycles"]
    script = Script(files=files)
    assert _boot(script).boot_reason == BootReason.UNKNOWN


def test_restart_counter_counts_boots() -> None:
    script = Script(files=_booted_before())
    assert _boot(script).restart_counter == 4
    assert script.files[paths.RESTART_COUNTER] == b"5"


@pytest.mark.parametrize("content", [b"\x00\xff", b"-5", b"4294967296", b"99999999999999999999999"])
def test_a_restart_counter_that_is_no_uint32_starts_again(content: bytes) -> None:
    files = _booted_before()
    files[paths.RESTART_COUNTER] = content
    files[paths.REBOOT_CONFIG_COUNTER] = content
    script = Script(files=files)
    status = _boot(script)
    assert status.restart_counter == 0 and status.reboot_config_counter == 0
    assert script.files[paths.RESTART_COUNTER] == b"1"


# -------------------------------------------------------------- reboot and shutdown commands


def _commanded(counter_file: bytes | None, *ops: tuple[float, OpsCommands], max_time: float = 500.0) -> Script:
    files = _booted_before()
    if counter_file is not None:
        files[paths.REBOOT_CONFIG_COUNTER] = counter_file
    script = Script(files=files)
    for time, value in ops:
        script.publish_at(time, topics.DEVICE_OPS, value)
    script.run(nodeagent.run(), max_time=max_time)
    return script


def test_first_config_seen_records_the_counter_without_rebooting() -> None:
    script = _commanded(None, (10.0, OpsCommands(reboot=7, shutdown=0)))
    assert _reboots(script) == []
    assert script.files[paths.REBOOT_CONFIG_COUNTER] == b"7"
    assert _node(script).reboot_config_counter == 7


def test_same_counter_as_saved_does_not_reboot() -> None:
    script = _commanded(b"7", (10.0, OpsCommands(reboot=7, shutdown=0)))
    assert _reboots(script) == []


def test_counter_bump_reboots_after_30s_halt_and_30s() -> None:
    script = _commanded(b"7", (10.0, OpsCommands(reboot=8, shutdown=0)))
    assert _reboots(script) == [(70.0, "REBOOT_CMD")]
    assert script.files[paths.BOOT_REASON] == str(int(BootReason.REBOOT_CMD)).encode()
    assert script.files[paths.REBOOT_REASON]
    assert script.files[paths.REBOOT_IMAGE] == b"IMGA"
    assert script.files[paths.REBOOT_CONFIG_COUNTER] == b"8"
    writes = [s.time for s in script.steps(fx.WriteFile) if s.effect.path == paths.BOOT_REASON]
    assert writes == [40.0]
    assert script.published(topics.HALT_APPS)
    assert _node(script).reboot_in_progress and _node(script).state == INFO.ZDEVICE_STATE_REBOOTING


def test_counters_from_a_saved_config_are_neither_acted_on_nor_recorded() -> None:
    # lastconfig.bak may lag behind: its older counter must not look like a command.
    script = _commanded(b"7", (10.0, OpsCommands(reboot=6, shutdown=0, saved=True)),
                        (100.0, OpsCommands(reboot=7, shutdown=0)))
    assert _reboots(script) == []
    assert script.files[paths.REBOOT_CONFIG_COUNTER] == b"7"


def test_bump_after_the_first_config_of_a_fresh_device_reboots() -> None:
    script = _commanded(None, (10.0, OpsCommands(reboot=0, shutdown=0)), (100.0, OpsCommands(reboot=1, shutdown=0)))
    assert _reboots(script) == [(160.0, "REBOOT_CMD")]


def test_reboot_waits_for_running_apps_to_halt() -> None:
    running = (topics.AppStatus("app-1", "web", "1", INFO.RUNNING, domid=3),)
    halted = (topics.AppStatus("app-1", "web", "1", INFO.HALTED),)
    files = _booted_before()
    files[paths.REBOOT_CONFIG_COUNTER] = b"1"
    script = Script(files=files)
    script.bus.publish(topics.APP_STATUS, running)
    script.publish_at(10.0, topics.DEVICE_OPS, OpsCommands(reboot=2, shutdown=0))
    script.publish_at(100.0, topics.APP_STATUS, halted)
    script.run(nodeagent.run(), max_time=500.0)
    assert _reboots(script) == [(130.0, "REBOOT_CMD")]


def test_reboot_waits_for_an_app_that_is_still_booting() -> None:
    booting = (topics.AppStatus("app-1", "web", "1", INFO.BOOTING),)
    files = _booted_before()
    files[paths.REBOOT_CONFIG_COUNTER] = b"1"
    script = Script(files=files)
    script.bus.publish(topics.APP_STATUS, booting)
    script.publish_at(10.0, topics.DEVICE_OPS, OpsCommands(reboot=2, shutdown=0))
    script.publish_at(60.0, topics.APP_STATUS, (topics.AppStatus("app-1", "web", "1", INFO.HALTED),))
    script.run(nodeagent.run(), max_time=500.0)
    assert _reboots(script) == [(90.0, "REBOOT_CMD")], "a domain being created is not yet halted"


def test_shutdown_command_halts_apps_without_rebooting() -> None:
    files = _booted_before()
    files[paths.SHUTDOWN_CONFIG_COUNTER] = b"1"
    script = Script(files=files)
    script.publish_at(10.0, topics.DEVICE_OPS, OpsCommands(reboot=0, shutdown=2))
    script.run(nodeagent.run(), max_time=500.0)
    assert script.published(topics.HALT_APPS) == [2]
    assert script.files[paths.SHUTDOWN_CONFIG_COUNTER] == b"2"
    assert _reboots(script) == []


# -------------------------------------------------------------- disconnect reboot


def _onboarded_script(*, items: dict[str, int] | None = None, partitions: fx.PartitionView = PARTITIONS) -> Script:
    script = Script(files=_booted_before(), partitions=partitions)
    script.bus.publish(topics.ONBOARDING, ONBOARDED)
    if items:
        script.bus.publish(topics.GLOBAL_CONFIG, GlobalConfigStatus(GlobalConfig(items)))
    return script


def test_reboots_after_a_week_without_the_controller() -> None:
    script = _onboarded_script()
    script.run(nodeagent.run(), max_time=8 * 86400.0)
    ((time, reason),) = _reboots(script)
    assert reason == "DISCONNECT"
    assert 604800.0 < time - 60.0 <= 604800.0 + 10.0
    assert script.files[paths.BOOT_REASON] == str(int(BootReason.DISCONNECT)).encode()


def test_contact_with_the_controller_postpones_the_disconnect_reboot() -> None:
    # fetches succeed until one fails at 6605 s: EVE counts the controller reachable until the tick before (6600 s)
    script = _onboarded_script(items={"timer.reboot.no.network": 3600})
    script.publish_at(0.0, topics.CONFIG_STATUS, ConfigStatus(ConfigGet.SUCCESS))
    script.publish_at(6605.0, topics.CONFIG_STATUS, ConfigStatus(ConfigGet.FAIL))
    script.run(nodeagent.run(), max_time=12000.0)
    ((time, reason),) = _reboots(script)
    assert reason == "DISCONNECT"
    assert 6600.0 + 3600.0 < time - 60.0 <= 6600.0 + 3600.0 + 10.0


# -------------------------------------------------------------- maintenance mode


def test_refused_certs_with_working_config_are_a_local_reason() -> None:
    script = _onboarded_script()
    script.publish_at(20.0, topics.ATTEST, Attestation(INFO.ATTESTATION_STATE_RESTART_WAIT, certs_refused=True))
    script.publish_at(30.0, topics.CONFIG_STATUS, ConfigStatus(ConfigGet.SUCCESS))
    agent = script.drive(nodeagent.run())
    agent.run(max_time=25.0)
    assert _node(script).local_maintenance_reasons == ()
    agent.run(max_time=40.0)
    assert _node(script).local_maintenance_reasons == (INFO.MAINTENANCE_MODE_REASON_EDGE_NODE_CERTS_REFUSED,)
    script.publish_at(50.0, topics.ATTEST, Attestation(INFO.ATTESTATION_STATE_COMPLETE, b"t"))
    agent.run(max_time=60.0)
    assert _node(script).local_maintenance_reasons == ()


def test_the_device_state_follows_zedagents_merged_maintenance_mode() -> None:
    script = _onboarded_script()
    on = topics.Maintenance(True, (INFO.MAINTENANCE_MODE_REASON_USER_REQUESTED,))
    script.publish_at(20.0, topics.MAINTENANCE, on)
    script.publish_at(40.0, topics.MAINTENANCE, topics.Maintenance(False, (INFO.MAINTENANCE_MODE_REASON_NONE,)))
    agent = script.drive(nodeagent.run())
    agent.run(max_time=30.0)
    assert _node(script).state == INFO.ZDEVICE_STATE_MAINTENANCE_MODE
    agent.run(max_time=50.0)
    assert _node(script).state == INFO.ZDEVICE_STATE_ONLINE


# -------------------------------------------------------------- the base-OS test window


def _testing(max_time: float, reachable_until: float, temporary_fail_at: float | None = None,
             onboard_at: float = 5.0) -> Script:
    """Fetches succeed from onboarding until ``reachable_until`` (then fail); one fails temporarily at
    ``temporary_fail_at`` and the next, 55 s later, succeeds."""
    script = Script(files=_booted_before(), partitions=TESTING)
    script.publish_at(onboard_at, topics.ONBOARDING, ONBOARDED)
    reached = reachable_until >= onboard_at
    script.publish_at(onboard_at, topics.CONFIG_STATUS, ConfigStatus(ConfigGet.SUCCESS if reached else ConfigGet.FAIL))
    if reached and reachable_until < max_time:
        script.publish_at(reachable_until, topics.CONFIG_STATUS, ConfigStatus(ConfigGet.FAIL))
    if temporary_fail_at is not None:
        script.publish_at(temporary_fail_at, topics.CONFIG_STATUS, ConfigStatus(ConfigGet.TEMPORARY_FAIL))
        script.publish_at(temporary_fail_at + 55.0, topics.CONFIG_STATUS, ConfigStatus(ConfigGet.SUCCESS))
    script.run(nodeagent.run(), max_time=max_time)
    return script


def _commits(script: Script) -> list[float]:
    return [s.time for s in script.steps(fx.Publish) if s.effect.topic == topics.ZBOOT_CONFIG]


def test_testing_image_is_reported_as_updating() -> None:
    script = _testing(100.0, 100.0)
    assert _node(script).update_in_progress
    assert _node(script).state == INFO.ZDEVICE_STATE_BASEOS_UPDATING


def test_commit_after_the_test_window_with_the_controller_reachable() -> None:
    script = _testing(2000.0, 2000.0)
    (commit,) = _commits(script)
    # the test clock starts at the tick before onboarding (0 s) and is checked on the 10 s ticks
    assert commit == 600.0
    assert script.bus.get(topics.ZBOOT_CONFIG) == topics.ZbootConfig(test_complete=True)
    assert not _node(script).update_in_progress
    assert _reboots(script) == []


def test_temporary_failure_restarts_the_test_window() -> None:
    script = _testing(2000.0, 2000.0, temporary_fail_at=300.0)
    (commit,) = _commits(script)
    # the test restarts at each tick while the last fetch failed temporarily: last at 350 s
    assert commit == 950.0


def test_fallback_reboot_without_controller_contact() -> None:
    script = _testing(1000.0, 200.0)
    ((time, reason),) = _reboots(script)
    assert reason == "FALLBACK"
    last_contact = 200.0  # the tick at which the last fetch (failing at 200 s) still read as a success
    assert last_contact + 300.0 < time - 60.0 <= last_contact + 310.0
    assert script.files[paths.BOOT_REASON] == str(int(BootReason.FALLBACK)).encode()
    assert _commits(script) == []


def test_fallback_counts_from_onboarding_when_never_reachable() -> None:
    script = _testing(1000.0, -1.0, onboard_at=50.0)
    ((time, reason),) = _reboots(script)
    assert reason == "FALLBACK"
    assert 350.0 < time - 60.0 <= 360.0


def test_fallback_window_follows_the_config_item() -> None:
    script = Script(files=_booted_before(), partitions=TESTING)
    script.bus.publish(topics.GLOBAL_CONFIG, GlobalConfigStatus(GlobalConfig({"timer.update.fallback.no.network": 60})))
    script.bus.publish(topics.ONBOARDING, ONBOARDED)
    script.run(nodeagent.run(), max_time=1000.0)
    ((time, reason),) = _reboots(script)
    assert reason == "FALLBACK" and 60.0 < time - 60.0 <= 70.0


def test_reboot_command_is_deferred_until_the_test_completes() -> None:
    files = _booted_before()
    files[paths.REBOOT_CONFIG_COUNTER] = b"1"
    script = Script(files=files, partitions=TESTING)
    script.bus.publish(topics.ONBOARDING, ONBOARDED)
    script.bus.publish(topics.CONFIG_STATUS, ConfigStatus(ConfigGet.SUCCESS))
    script.publish_at(100.0, topics.DEVICE_OPS, OpsCommands(reboot=2, shutdown=0))
    script.run(nodeagent.run(), max_time=2000.0)
    (commit,) = _commits(script)
    ((time, reason),) = _reboots(script)
    assert reason == "REBOOT_CMD"
    assert time == pytest.approx(commit + 60.0)
