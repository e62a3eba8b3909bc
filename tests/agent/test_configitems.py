"""Config items: defaults, ranges, keep-previous on error, unknown keys, revert to default."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.agent.configitems import DEFAULTS, SPECS, U32_MAX, GlobalConfig, IntItem, parse_items

# key, default, min, max — as EVE's pkg/pillar/types/global.go declares them
TABLE = [
    ("timer.config.interval", 60, 5, 86400),
    ("timer.metric.interval", 60, 5, 3600),
    ("timer.deviceinfo.interval", 600, 30, U32_MAX),
    ("timer.cert.interval", 86400, 60, U32_MAX),
    ("timer.hardwarehealth.interval", 43200, 21600, U32_MAX),
    ("timer.send.timeout", 120, 0, 3600),
    ("timer.dial.timeout", 10, 0, 3600),
    ("timer.reboot.no.network", 604800, 120, U32_MAX),
    ("timer.update.fallback.no.network", 300, 60, U32_MAX),
    ("timer.test.baseimage.update", 600, 30, 3600),
    ("timer.vault.ready.cutoff", 300, 60, U32_MAX),
    ("timer.download.retry", 600, 60, U32_MAX),
    ("timer.boot.retry", 600, 10, U32_MAX),
    ("timer.port.testduration", 30, 10, 3600),
    ("timer.port.testinterval", 300, 300, 3600),
    ("timer.port.testbetterinterval", 600, 0, U32_MAX),
    ("timer.port.timeout", 15, 0, 3600),
    ("network.download.max.cost", 0, 0, 255),
    ("blob.download.max.retries", 5, 1, 10),
    ("force.fallback.counter", 0, 0, U32_MAX),
    ("storage.dom0.disk.minusage.percent", 20, 20, 80),
]
INT_KEYS = [row[0] for row in TABLE]


@pytest.mark.parametrize("key, default, lo, hi", TABLE)
def test_defaults_and_ranges_are_eves(key: str, default: int, lo: int, hi: int) -> None:
    assert DEFAULTS[key] == default
    spec = SPECS[key]
    assert (spec.lo, spec.hi) == (lo, hi)


def test_no_items_gives_all_defaults() -> None:
    config, status, unknown = parse_items([])
    assert config.int("timer.config.interval") == 60
    assert status == {} and unknown == {}


@pytest.mark.parametrize("key, default, lo, hi", TABLE)
def test_bounds_are_inclusive(key: str, default: int, lo: int, hi: int) -> None:
    for value in (lo, hi):
        config, status, _ = parse_items([(key, str(value))])
        assert config[key] == value and status[key].error == ""


@pytest.mark.parametrize("key, default, lo, hi", TABLE)
def test_out_of_range_keeps_previous_and_reports(key: str, default: int, lo: int, hi: int) -> None:
    previous = GlobalConfig({key: hi})
    for value in (lo - 1, hi + 1):
        config, status, _ = parse_items([(key, str(value))], previous)
        assert config[key] == hi
        assert status[key].value == str(value)
        assert status[key].error


@pytest.mark.parametrize("raw", ["abc", "", "6.5", "0x10", "1e3", "--5"])
def test_unparseable_keeps_previous_and_reports(raw: str) -> None:
    previous = GlobalConfig({"timer.config.interval": 17})
    config, status, _ = parse_items([("timer.config.interval", raw)], previous)
    assert config.int("timer.config.interval") == 17
    assert status["timer.config.interval"].error


def test_unknown_keys_are_reported_and_change_nothing() -> None:
    config, status, unknown = parse_items([("timer.no.such.thing", "5"), ("timer.config.interval", "30")])
    assert unknown["timer.no.such.thing"].value == "5"
    assert "timer.no.such.thing" not in config
    assert set(status) == {"timer.config.interval"}
    assert config.int("timer.config.interval") == 30


def test_item_the_controller_stops_sending_reverts_to_default() -> None:
    first, _, _ = parse_items([("timer.config.interval", "10"), ("timer.metric.interval", "20")])
    second, status, _ = parse_items([("timer.metric.interval", "20")], first)
    assert second.int("timer.config.interval") == 60
    assert second.int("timer.metric.interval") == 20
    assert "timer.config.interval" not in status


def test_bad_value_keeps_the_controllers_previous_value_not_the_default() -> None:
    first, _, _ = parse_items([("timer.config.interval", "10")])
    second, status, _ = parse_items([("timer.config.interval", "4")], first)
    assert second.int("timer.config.interval") == 10
    assert "out of range" in status["timer.config.interval"].error


def test_bad_value_of_an_item_not_sent_before_gives_the_default() -> None:
    config, status, _ = parse_items([("timer.config.interval", "0")], DEFAULTS)
    assert config.int("timer.config.interval") == 60
    assert status["timer.config.interval"].error


@pytest.mark.parametrize("raw, value", [("true", True), ("false", False), ("TRUE", True), ("False", False)])
def test_booleans(raw: str, value: bool) -> None:
    config, status, _ = parse_items([("debug.enable.ssh", "key"), ("debug.enable.console", raw)])
    assert config["debug.enable.console"] is value and status["debug.enable.console"].error == ""
    assert config["debug.enable.ssh"] == "key"


def test_debug_consoles_default_to_true_until_a_controller_config_arrives() -> None:
    for key in ("debug.enable.usb", "debug.enable.vga", "debug.enable.console"):
        assert DEFAULTS[key] is True
        config, _, _ = parse_items([("timer.config.interval", "30")])
        assert config[key] is False
        config, _, _ = parse_items([(key, "true")])
        assert config[key] is True


@pytest.mark.parametrize("raw", ["enabled", "disabled"])
def test_enabled_items(raw: str) -> None:
    config, _, _ = parse_items([("network.fallback.any.eth", raw)])
    assert config["network.fallback.any.eth"] == raw


def test_bad_enabled_value_keeps_previous() -> None:
    config, status, _ = parse_items([("maintenance.mode", "maybe")], GlobalConfig({"maintenance.mode": "enabled"}))
    assert config["maintenance.mode"] == "enabled" and status["maintenance.mode"].error


@given(key=st.sampled_from(INT_KEYS), value=st.integers(-(2**33), 2**33), previous=st.integers(0, 3600))
def test_any_integer_is_applied_iff_in_range(key: str, value: int, previous: int) -> None:
    spec = SPECS[key]
    prior = GlobalConfig({key: previous})
    config, status, _ = parse_items([(key, str(value))], prior)
    if spec.lo <= value <= spec.hi:
        assert config[key] == value and status[key].error == ""
    else:
        assert config[key] == previous and status[key].error != ""


@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=12)), max_size=8))
def test_arbitrary_items_never_raise(items: list[tuple[str, str]]) -> None:
    config, status, unknown = parse_items(items)
    assert set(status) | set(unknown) == {k for k, _ in items}
    for key in SPECS:
        assert key in config


def test_int_items_are_the_int_specs() -> None:
    assert set(get_args(IntItem)) == {key for key, spec in SPECS.items() if spec.kind == "int"}
