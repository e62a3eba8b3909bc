"""DeviceHardware: power and reset semantics, an update through the hardware, memory per device."""

import tracemalloc

import pytest

from evesim.hw import board, bootloader, tpm
from evesim.hw.device import DeviceHardware
from evesim.hw.disk import DiskError
from evesim.hw.image import EveImage
from evesim.hw.tpm import PolicyError

V1 = EveImage.make("14.5.1", 300_000_000)
V2 = EveImage.make("14.5.2", 300_000_000)


def device(profile: str = "generic-x86", seed: bytes = b"world-1/dev-7") -> DeviceHardware:
    return DeviceHardware(board.get(profile), seed=seed, initial_image=V1, serial="SN0007")


def test_parts_follow_the_profile() -> None:
    hw = device()
    assert hw.tpm is not None and hw.hw_watchdog is not None
    assert hw.hw_watchdog.timeout_s == hw.profile.hw_watchdog_timeout_s
    assert [m.path for m in hw.fs.mounts] == ["/config", "/persist", "/run"]
    assert hw.disk.image_in("IMGA") == V1
    rpi, vm = device("rpi4"), device("qemu")
    assert rpi.tpm is None and vm.hw_watchdog is None
    assert not hw.powered and hw.power_cycles == 0 and not hw.bootstatus_cardreset


def test_power_cycles_count_only_real_power_ons() -> None:
    hw = device()
    hw.power_on(0)
    hw.power_on(1)
    assert hw.power_cycles == 1 and hw.powered and hw.powered_since == 0
    hw.reset("soft", 5)
    assert hw.power_cycles == 1 and hw.powered_since == 0
    hw.power_cut(10)
    hw.power_cut(11)
    assert not hw.powered
    hw.power_on(20)
    assert hw.power_cycles == 2 and hw.powered_since == 20


def test_power_cut_loses_what_was_not_durable() -> None:
    hw = device()
    hw.power_on(0)
    hw.fs.write_rename("/persist/status/nodeagent/boot-reason", b"Update")
    hw.fs.write("/persist/unsynced", b"x")
    hw.fs.write("/run/global/first-boot", b"")
    hw.disk.begin_image_write("IMGB", V2)
    assert hw.hw_watchdog is not None and hw.tpm is not None
    hw.hw_watchdog.arm(0)
    hw.tpm.create_device_key()
    tpm.measure_boot(hw.tpm, V1)
    hw.power_cut(100)
    hw.power_on(200)
    assert hw.fs.read("/persist/status/nodeagent/boot-reason") == b"Update"
    assert not hw.fs.exists("/persist/unsynced") and hw.fs.listdir("/run") == []
    assert hw.disk.image_in("IMGB") is None
    with pytest.raises(DiskError):
        hw.disk.finish_image_write("IMGB")
    assert not hw.hw_watchdog.armed
    assert hw.tpm.event_log == [] and hw.tpm.read(9) == bytes(32)
    assert hw.tpm.device_key_exists()


@pytest.mark.parametrize("kind", ["soft", "hw_watchdog"])
def test_warm_resets_do_not_sync(kind: str) -> None:
    hw = device()
    hw.power_on(0)
    hw.fs.write("/persist/unsynced", b"x")
    hw.fs.write("/run/x", b"")
    hw.reset(kind, 50)  # type: ignore[arg-type]
    assert not hw.fs.exists("/persist/unsynced") and not hw.fs.exists("/run/x")
    assert hw.bootstatus_cardreset == (kind == "hw_watchdog")


def test_cardreset_lasts_until_the_next_reset_or_power_on() -> None:
    hw = device()
    hw.power_on(0)
    hw.reset("hw_watchdog", 10)
    assert hw.bootstatus_cardreset
    hw.reset("soft", 20)
    assert not hw.bootstatus_cardreset
    hw.reset("hw_watchdog", 30)
    hw.power_cut(40)
    hw.power_on(50)
    assert not hw.bootstatus_cardreset


def test_reset_refusals() -> None:
    hw = device()
    with pytest.raises(RuntimeError, match="no power"):
        hw.reset("soft", 0)
    hw.power_on(0)
    with pytest.raises(ValueError, match="reset kind"):
        hw.reset("panic", 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed"):
        DeviceHardware(board.get("qemu"), seed=b"", initial_image=V1, serial="x")


def test_same_seed_same_hardware() -> None:
    a, b, c = device(seed=b"s1"), device(seed=b"s1"), device(seed=b"s2")
    assert a.disk.raw_copy("primary") == b.disk.raw_copy("primary") != c.disk.raw_copy("primary")
    assert a.tpm and b.tpm and c.tpm
    assert a.tpm.ak_cert_pem == b.tpm.ak_cert_pem != c.tpm.ak_cert_pem


def boot(hw: DeviceHardware) -> bootloader.BootChoice:
    choice = bootloader.gptprio_next(hw.disk)
    assert choice is not None and choice.image is not None
    if choice.write is not None:
        hw.disk.apply(choice.write)
    assert hw.tpm is not None
    tpm.measure_boot(hw.tpm, choice.image)
    return choice


def test_update_locks_the_vault_and_fallback_unlocks_it() -> None:
    hw = device()
    hw.power_on(0)
    assert boot(hw).label == "IMGA" and hw.tpm is not None
    sealed = hw.tpm.seal(b"vault-key")
    hw.disk.begin_image_write("IMGB", V2)
    hw.power_cut(10)  # mid-write: B never becomes bootable
    hw.power_on(20)
    assert boot(hw).label == "IMGA" and hw.disk.partition_state("IMGB") == "unused"
    hw.disk.begin_image_write("IMGB", V2)
    hw.disk.finish_image_write("IMGB")
    hw.disk.apply(hw.disk.plan_state_change("IMGB", "updating"))
    hw.reset("soft", 100)
    assert boot(hw).image == V2 and hw.disk.partition_state("IMGB") == "inprogress"
    with pytest.raises(PolicyError) as locked:
        hw.tpm.unseal(sealed)
    assert locked.value.mismatched == (8, 9)
    hw.reset("hw_watchdog", 200)  # a hang in the test window
    assert boot(hw).image == V1
    assert hw.tpm.unseal(sealed) == b"vault-key"


def test_a_fresh_device_stays_well_under_10_kb() -> None:
    profile = board.get("generic-x86")
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        fleet = [DeviceHardware(profile, b"dev-%d" % i, V1, f"SN{i:04}") for i in range(200)]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    per_device = sum(stat.size_diff for stat in after.compare_to(before, "filename")) / len(fleet)
    assert per_device < 5_000
