"""Software (touch files) and hardware (/dev/watchdog) watchdog bookkeeping."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.hw.watchdog import DEFAULT_CHANGE_S, HardwareWatchdog, SoftwareWatchdog


def test_default_change_is_eves_300_s() -> None:
    assert SoftwareWatchdog().change_s == DEFAULT_CHANGE_S == 500


def test_touch_files_go_stale_after_change_s() -> None:
    w = SoftwareWatchdog(change_s=300)
    w.watch("zedagent", 0)
    w.watch("nodeagent", 10)
    assert w.next_deadline() == 300
    w.touch("zedagent", 250)
    assert w.stale(300) == [] and w.stale(310.5) == ["nodeagent"]
    assert w.next_deadline() == 310
    assert w.stale(1000) == ["nodeagent", "zedagent"]


def test_unwatch_and_rewatch() -> None:
    w = SoftwareWatchdog(60)
    w.watch("a", 0)
    w.watch("a", 50)  # already watched: keeps its last change
    assert w.next_deadline() == 60
    w.unwatch("a")
    w.unwatch("a")
    assert w.watched == [] and w.next_deadline() is None and w.stale(10**6) == []


def test_touch_never_moves_back_in_time() -> None:
    w = SoftwareWatchdog(60)
    w.watch("a", 100)
    w.touch("a", 50)
    assert w.next_deadline() == 160


def test_bad_input() -> None:
    w = SoftwareWatchdog()
    with pytest.raises(KeyError, match="not watched"):
        w.touch("ghost", 0)
    with pytest.raises(ValueError):
        w.watch("", 0)
    with pytest.raises(ValueError):
        SoftwareWatchdog(0)
    with pytest.raises(ValueError):
        HardwareWatchdog(float("nan"))


@given(st.dictionaries(st.sampled_from("abcdef"), st.floats(0, 1e6), min_size=1), st.floats(0, 2e6))
def test_stale_is_exactly_the_names_past_their_deadline(touches: dict[str, float], now: float) -> None:
    w = SoftwareWatchdog(300)
    for name, at in touches.items():
        w.watch(name, at)
    assert w.stale(now) == sorted(n for n, at in touches.items() if now - at > 300)
    assert w.next_deadline() == min(touches.values()) + 300
    assert w.watched == sorted(touches)


def test_hardware_watchdog_timer() -> None:
    hw = HardwareWatchdog(15)
    assert not hw.armed and not hw.expired(10**6)
    with pytest.raises(RuntimeError, match="not armed"):
        hw.pet(0)
    hw.arm(100)
    assert hw.deadline == 115 and not hw.expired(114.9) and hw.expired(115)
    hw.pet(110)
    assert hw.deadline == 125
    hw.disarm()
    assert hw.deadline is None and not hw.expired(10**6)
