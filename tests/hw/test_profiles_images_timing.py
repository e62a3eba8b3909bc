"""Board profiles, EVE images, flash timing and power schedules."""

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.hw import board, flash, image, power
from evesim.hw.image import EveImage


def test_required_profiles_exist_with_their_traits() -> None:
    names = {"generic-x86", "rpi4", "qemu", "supermicro-e300"}
    assert names <= set(board.PROFILES)
    rpi, x86 = board.get("rpi4"), board.get("generic-x86")
    assert not rpi.has_tpm and rpi.flash_write_bps < x86.flash_write_bps
    assert all(board.get(n).has_tpm for n in names - {"rpi4"})
    assert all(not p.has_hw_watchdog or p.hw_watchdog_timeout_s > 0 for p in board.PROFILES.values())


def test_profiles_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        board.get("qemu").ncpu = 64  # type: ignore[misc]


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="generic-x86, qemu, rpi4, supermicro-e300"):
        board.get("pdp-11")


def test_profile_validation() -> None:
    with pytest.raises(ValueError, match="ram_mb"):
        dataclasses.replace(board.get("qemu"), ram_mb=0)
    with pytest.raises(ValueError, match="do not fit"):
        dataclasses.replace(board.get("qemu"), disk_gb=1, imga_size_bytes=600_000_000)


def test_image_digest_is_deterministic_and_covers_what_was_built() -> None:
    a = EveImage.make("14.5.1", 300_000_000)
    assert a == EveImage.make("14.5.1", 300_000_000)
    assert len(a.sha256) == 64 and int(a.sha256, 16) >= 0
    others = [
        EveImage.make("14.5.2", 300_000_000),
        EveImage.make("14.5.1", 300_000_001),
        EveImage.make("14.5.1", 300_000_000, frozenset({"crash_at_boot"})),
    ]
    assert len({a.sha256, *(o.sha256 for o in others)}) == 4


def test_corrupt_download_keeps_the_published_digest_but_not_the_content() -> None:
    good = EveImage.make("14.5.1", 300_000_000)
    bad = EveImage.make("14.5.1", 300_000_000, frozenset({"corrupt_download"}))
    assert bad.sha256 == good.sha256 == good.content_sha256
    assert bad.content_sha256 != bad.sha256
    assert bad != good


def test_image_validation() -> None:
    assert image.DEFECTS == {"crash_at_boot", "no_controller", "breaks_vault", "corrupt_download"}
    with pytest.raises(ValueError, match="unknown image defects"):
        EveImage.make("1", 10, frozenset({"gremlins"}))
    with pytest.raises(ValueError, match="positive"):
        EveImage.make("1", 0)
    with pytest.raises(ValueError, match="empty"):
        EveImage.make("", 10)


@given(st.sampled_from(sorted(board.PROFILES)), st.integers(1, 10**10))
def test_bytes_written_inverts_write_seconds(name: str, nbytes: int) -> None:
    profile = board.get(name)
    seconds = flash.write_seconds(profile, nbytes)
    assert seconds > profile.flash_latency_s
    assert flash.bytes_written(profile, seconds) == nbytes
    assert flash.bytes_written(profile, seconds * 0.5) < nbytes


def test_flash_timing_shape() -> None:
    rpi = board.get("rpi4")
    assert flash.write_seconds(rpi, 0) == 0 and flash.read_seconds(rpi, 0) == 0
    assert flash.bytes_written(rpi, rpi.flash_latency_s) == 0
    assert flash.read_seconds(rpi, 10**8) < flash.write_seconds(rpi, 10**8)
    # A 300 MB image on an SD card takes half a minute; on an SSD under a second.
    assert flash.write_seconds(rpi, 300_000_000) > 20 > 1 > flash.write_seconds(board.get("generic-x86"), 300_000_000)
    with pytest.raises(ValueError):
        flash.write_seconds(rpi, -1)
    with pytest.raises(ValueError):
        flash.bytes_written(rpi, math.nan)


def test_brownout_schedule() -> None:
    assert power.brownout(100, 3, on_s=2, off_s=0.5) == [
        (100, False),
        (100.5, True),
        (102.5, False),
        (103, True),
        (105, False),
        (105.5, True),
    ]
    assert power.brownout(5, 0, 1, 1) == []


@given(st.floats(0, 1e6), st.integers(0, 50), st.floats(0.001, 100), st.floats(0.001, 100))
def test_brownout_alternates_and_ends_powered(start: float, cycles: int, on_s: float, off_s: float) -> None:
    schedule = power.brownout(start, cycles, on_s, off_s)
    assert len(schedule) == 2 * cycles
    assert [powered for _, powered in schedule] == [False, True] * cycles
    assert all(a[0] < b[0] for a, b in zip(schedule, schedule[1:], strict=False))


def test_brownout_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        power.brownout(0, -1, 1, 1)
    with pytest.raises(ValueError):
        power.brownout(0, 2, 0, 1)
    with pytest.raises(ValueError):
        power.brownout(math.inf, 2, 1, 1)
