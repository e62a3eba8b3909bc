"""One contract suite, run against every store (``store_factory`` is parametrized over memory and SQLite)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evesim.controller.stores import (
    KINDS,
    Attestation,
    ConfigVersion,
    DeviceRecord,
    Item,
    Kept,
    Limits,
    OnboardEntry,
    SqliteStore,
)
from evesim.controller.stores.base import OBJECTS

_FRESH = itertools.count()


def _device(n: int) -> DeviceRecord:
    return DeviceRecord(f"uuid-{n}", b"pem-%d" % n, bytes([n]) * 32, "cn", f"s{n}")


def test_onboard_entries(store_factory) -> None:
    store = store_factory()
    store.put_onboard(OnboardEntry("b", b"pem-b", ("*",)))
    store.put_onboard(OnboardEntry("a", b"pem-a", ("s1", "s2")))
    store.put_onboard(OnboardEntry("b", b"pem-b2", ("x",)))
    assert store.list_onboard() == [OnboardEntry("b", b"pem-b2", ("x",)), OnboardEntry("a", b"pem-a", ("s1", "s2"))]
    assert store.get_onboard("a").serials == ("s1", "s2")
    assert store.remove_onboard("a") and not store.remove_onboard("a")
    assert store.get_onboard("a") is None


def test_devices_in_registration_order(store_factory) -> None:
    store = store_factory()
    for n in (3, 1, 2):
        store.add_device(_device(n))
    assert [d.uuid for d in store.list_devices()] == ["uuid-3", "uuid-1", "uuid-2"]
    assert store.get_device("uuid-1") == _device(1)
    with pytest.raises(ValueError):
        store.add_device(_device(1))
    assert store.get_device("nope") is None


def test_configs_keep_bounded_history(store_factory) -> None:
    store = store_factory(limits=Limits(configs=3))
    store.add_device(_device(1))
    assert store.current_config("uuid-1") is None
    for version in range(1, 6):
        store.put_config("uuid-1", ConfigVersion(version, float(version), b"cfg%d" % version))
    assert store.current_config("uuid-1") == ConfigVersion(5, 5.0, b"cfg5")
    assert [c.version for c in store.config_history("uuid-1")] == [3, 4, 5]


def test_attestation_state(store_factory) -> None:
    store = store_factory()
    store.add_device(_device(1))
    assert store.get_attestation("uuid-1") == Attestation()
    state = Attestation(nonce=b"n", token=b"t", certs=b"c", keys=b"k")
    store.put_attestation("uuid-1", state)
    assert store.get_attestation("uuid-1") == state


def test_info_latest_and_history(store_factory) -> None:
    store = store_factory(limits=Limits(info=2))
    store.add_device(_device(1))
    store.put_info("uuid-1", Item(1.0, "ZiDevice/x", b"a"))
    store.put_info("uuid-1", Item(2.0, "ZiApp/y", b"b"))
    store.put_info("uuid-1", Item(3.0, "ZiDevice/x", b"c"))
    assert store.latest_info("uuid-1") == [Item(2.0, "ZiApp/y", b"b"), Item(3.0, "ZiDevice/x", b"c")]
    assert store.latest_info_item("uuid-1", "ZiDevice/x") == Item(3.0, "ZiDevice/x", b"c")
    assert store.latest_info_item("uuid-1", "missing") is None
    assert [i.data for i in store.series("info", "uuid-1")] == [b"b", b"c"]


def test_series_filter_and_zero_limit(store_factory) -> None:
    store = store_factory(limits=Limits(flowlog=0))
    store.append("applogs", "uuid-1", Item(1.0, "app-a", b"1"))
    store.append("applogs", "uuid-1", Item(2.0, "app-b", b"2"))
    store.append("flowlog", "uuid-1", Item(1.0, "", b"dropped"))
    assert [i.data for i in store.series("applogs", "uuid-1", key="app-b")] == [b"2"]
    assert store.series("flowlog", "uuid-1") == []
    with pytest.raises(ValueError):
        store.append("nonsense", "uuid-1", Item(1.0, "", b""))
    with pytest.raises(ValueError):
        store.series("nonsense", "uuid-1")


def test_remove_device_drops_everything(store_factory) -> None:
    store = store_factory()
    store.add_device(_device(1))
    store.add_device(_device(2))
    store.put_config("uuid-1", ConfigVersion(1, 1.0, b"c"))
    store.put_attestation("uuid-1", Attestation(token=b"t"))
    store.put_info("uuid-1", Item(1.0, "k", b"i"))
    for kind in KINDS:
        store.append(kind, "uuid-1", Item(1.0, "", b"x"))
        store.append(kind, "uuid-2", Item(1.0, "", b"y"))
    assert store.remove_device("uuid-1") and not store.remove_device("uuid-1")
    assert store.current_config("uuid-1") is None and store.get_attestation("uuid-1") == Attestation()
    assert store.latest_info("uuid-1") == []
    assert all(store.series(kind, "uuid-1") == [] for kind in KINDS)
    assert all(len(store.series(kind, "uuid-2")) == 1 for kind in KINDS)


def test_transaction_groups_writes(store_factory) -> None:
    store = store_factory()
    with store.transaction():
        with store.transaction():
            store.add_device(_device(1))
        store.put_config("uuid-1", ConfigVersion(1, 1.0, b"c"))
    assert store.current_config("uuid-1").data == b"c"


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["metrics", "logs"]), st.binary(max_size=4)), max_size=30), st.integers(1, 5))
def test_series_keep_the_newest(store_factory, appends: list, limit: int) -> None:
    store = store_factory(limits=Limits(metrics=limit, logs=limit))
    uuid = f"device-{next(_FRESH)}"
    for n, (kind, data) in enumerate(appends):
        store.append(kind, uuid, Item(float(n), "", data))
    for kind in ("metrics", "logs"):
        expected = [(float(n), d) for n, (k, d) in enumerate(appends) if k == kind][-limit:]
        assert [(i.at, i.data) for i in store.series(kind, uuid)] == expected


def _within(items: list[tuple[float, bytes]], entries: int, cap: int) -> list[tuple[float, bytes]]:
    """The newest items that fit ``entries`` and ``cap`` bytes, the newest one always."""
    kept: list[tuple[float, bytes]] = []
    for at, data in reversed(items[-entries:]):
        if kept and sum(len(d) for _, d in kept) + len(data) > cap:
            break
        kept.insert(0, (at, data))
    return kept


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["info", "logs"]), st.binary(max_size=40)), max_size=40),
       st.integers(1, 12), st.integers(0, 100))
def test_series_keep_the_newest_within_a_byte_limit(store_factory, appends: list, entries: int, cap: int) -> None:
    store = store_factory(limits=Limits(info=entries, logs=entries, max_bytes=(("info", cap),)))
    uuid = f"device-{next(_FRESH)}"
    for n, (kind, data) in enumerate(appends):
        store.append(kind, uuid, Item(float(n), "", data))
    items = {kind: [(float(n), d) for n, (k, d) in enumerate(appends) if k == kind] for kind in ("info", "logs")}
    assert [(i.at, i.data) for i in store.series("info", uuid)] == _within(items["info"], entries, cap)
    assert [(i.at, i.data) for i in store.series("logs", uuid)] == items["logs"][-entries:]


def test_byte_limits_hold_across_a_reopen(tmp_path) -> None:
    limits = Limits(metrics=100, max_bytes=(("metrics", 10),))
    store = SqliteStore(tmp_path / "s.sqlite", limits)
    for n in range(5):
        store.append("metrics", "u", Item(float(n), "", b"abcd"))
    store.close()
    again = SqliteStore(tmp_path / "s.sqlite", limits)
    again.append("metrics", "u", Item(5.0, "", b"xyz"))
    assert [i.data for i in again.series("metrics", "u")] == [b"abcd", b"xyz"]


def test_what_limits_drop_is_counted(store_factory) -> None:
    store = store_factory(limits=Limits(metrics=2, logs=100, flowlog=0, max_bytes=(("logs", 10),)))
    for n in range(5):
        store.append("metrics", "u", Item(float(n), "", b"m" * (n + 1)))
        store.append("logs", "u", Item(float(n), "", b"abcd"))
    store.append("flowlog", "u", Item(0.0, "", b"xyz"))
    kept = store.retention("u")
    assert kept["metrics"] == Kept(items=2, bytes=4 + 5, dropped_items=3, dropped_bytes=1 + 2 + 3)
    assert kept["logs"] == Kept(items=2, bytes=8, dropped_items=3, dropped_bytes=12)
    assert kept["flowlog"] == Kept(dropped_items=1, dropped_bytes=3)
    assert kept["info"] == Kept() and kept[OBJECTS] == Kept()
    assert store.retention("other")["metrics"] == Kept()


def test_distinct_info_objects_are_capped_the_stalest_dropped(store_factory) -> None:
    store = store_factory(limits=Limits(max_objects=3))
    for n, key in enumerate(["a", "b", "c", "a", "d", "e"]):
        store.put_info("u", Item(float(n), key, key.encode() * 2))
    assert [i.key for i in store.latest_info("u")] == ["a", "d", "e"], "b, then c, were reported least recently"
    assert store.retention("u")[OBJECTS] == Kept(items=3, bytes=6, dropped_items=2, dropped_bytes=4)
    store.add_device(_device(9))
    store.put_info("uuid-9", Item(0.0, "k", b"x"))
    assert store.remove_device("uuid-9") and store.retention("uuid-9")[OBJECTS] == Kept()


def test_the_latest_info_table_fits_the_info_byte_limit(store_factory) -> None:
    store = store_factory(limits=Limits(max_bytes=(("info", 10),)))
    for n, key in enumerate(["a", "b", "c"]):
        store.put_info("u", Item(float(n), key, b"1234"))
    assert [i.key for i in store.latest_info("u")] == ["b", "c"]
    assert store.retention("u")[OBJECTS] == Kept(items=2, bytes=8, dropped_items=1, dropped_bytes=4)


def test_settings(store_factory) -> None:
    store = store_factory()
    assert store.get_setting("k") is None
    store.put_setting("k", b"1")
    store.put_setting("k", b"2")
    assert store.get_setting("k") == b"2"


def test_sqlite_rolls_back_a_failed_transaction(tmp_path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite")
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.add_device(_device(1))
            raise RuntimeError("boom")
    assert store.list_devices() == []


def test_sqlite_persists_across_reopen(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    store = SqliteStore(path)
    store.add_device(_device(1))
    store.put_config("uuid-1", ConfigVersion(1, 1.0, b"c"))
    store.close()
    reopened = SqliteStore(path)
    assert reopened.list_devices() == [_device(1)] and reopened.current_config("uuid-1").data == b"c"
    journal = reopened._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_controller_restart_on_sqlite_keeps_identity_and_state(make_controller, onboard, tmp_path) -> None:
    from .conftest import Device

    path = tmp_path / "ctl.sqlite"
    first = make_controller(store=SqliteStore(path))
    dev = Device(first, onboard, "persisted")
    dev.onboard_device()
    dev.attest_tpmless()
    answer = dev.config()
    first.store.close()
    second = make_controller(store=SqliteStore(path))
    dev.ctl = second
    assert second.device_uuids() == [dev.uuid]
    assert dev.poll(answer.configHash).status == 304
    assert dev.register().status == 200
    assert second.set_config_items(dev.uuid, {"k": "v"}) == 2


def test_sqlite_ring_survives_rollback_and_smaller_limit(tmp_path) -> None:
    path = tmp_path / "ring.sqlite"
    store = SqliteStore(path, limits=Limits(metrics=3))
    for n in range(5):
        store.append("metrics", "u", Item(float(n), "", b"%d" % n))
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.append("metrics", "u", Item(5.0, "", b"lost"))
            raise RuntimeError("boom")
    store.append("metrics", "u", Item(6.0, "", b"6"))
    assert [i.data for i in store.series("metrics", "u")] == [b"3", b"4", b"6"]
    store.close()
    smaller = SqliteStore(path, limits=Limits(metrics=2))
    smaller.append("metrics", "u", Item(7.0, "", b"7"))
    assert [i.data for i in smaller.series("metrics", "u")] == [b"6", b"7"]
