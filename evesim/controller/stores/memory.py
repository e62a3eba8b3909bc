"""In-memory store for simulations: dicts and bounded deques, nothing survives the process."""

from __future__ import annotations

from collections import deque
from contextlib import AbstractContextManager, nullcontext

from evesim.controller.stores.base import (
    KINDS,
    OBJECTS,
    Attestation,
    ConfigVersion,
    DeviceRecord,
    Item,
    Kept,
    Limits,
    OnboardEntry,
    SeriesKind,
    check_kind,
)

_EMPTY = Attestation()


class MemoryStore:
    """A ``Store`` kept in process memory; histories are bounded by ``limits``.

    Simplification: no rollback; the controller validates a request fully before it writes.
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._onboard: dict[str, OnboardEntry] = {}
        self._devices: dict[str, DeviceRecord] = {}
        self._configs: dict[str, deque[ConfigVersion]] = {}
        self._attest: dict[str, Attestation] = {}
        self._settings: dict[str, bytes] = {}
        self._info: dict[str, dict[str, Item]] = {}
        self._series: dict[tuple[SeriesKind, str], deque[Item]] = {}
        self._maxlen = {kind: self.limits.of(kind) for kind in KINDS}
        self._caps = dict(self.limits.max_bytes)
        self._bytes: dict[tuple[SeriesKind, str], int] = {}
        self._dropped: dict[tuple[str, str], tuple[int, int]] = {}
        self._tx = nullcontext()

    def transaction(self) -> AbstractContextManager[None]:
        """No-op: memory writes are immediate."""
        return self._tx

    def put_onboard(self, entry: OnboardEntry) -> None:
        self._onboard[entry.cn] = entry

    def get_onboard(self, cn: str) -> OnboardEntry | None:
        return self._onboard.get(cn)

    def list_onboard(self) -> list[OnboardEntry]:
        return list(self._onboard.values())

    def remove_onboard(self, cn: str) -> bool:
        return self._onboard.pop(cn, None) is not None

    def add_device(self, device: DeviceRecord) -> None:
        if device.uuid in self._devices:
            raise ValueError(f"device {device.uuid} already exists")
        self._devices[device.uuid] = device

    def get_device(self, uuid: str) -> DeviceRecord | None:
        return self._devices.get(uuid)

    def list_devices(self) -> list[DeviceRecord]:
        return list(self._devices.values())

    def remove_device(self, uuid: str) -> bool:
        if self._devices.pop(uuid, None) is None:
            return False
        self._configs.pop(uuid, None)
        self._attest.pop(uuid, None)
        self._info.pop(uuid, None)
        for kind in KINDS:
            self._series.pop((kind, uuid), None)
            self._bytes.pop((kind, uuid), None)
        for name in (*KINDS, OBJECTS):
            self._dropped.pop((name, uuid), None)
        return True

    def put_config(self, uuid: str, config: ConfigVersion) -> None:
        history = self._configs.get(uuid)
        if history is None:
            history = self._configs[uuid] = deque(maxlen=max(1, self.limits.configs))
        history.append(config)

    def current_config(self, uuid: str) -> ConfigVersion | None:
        history = self._configs.get(uuid)
        return history[-1] if history else None

    def config_history(self, uuid: str) -> list[ConfigVersion]:
        return list(self._configs.get(uuid, ()))

    def get_attestation(self, uuid: str) -> Attestation:
        return self._attest.get(uuid, _EMPTY)

    def put_attestation(self, uuid: str, state: Attestation) -> None:
        self._attest[uuid] = state

    def get_setting(self, key: str) -> bytes | None:
        return self._settings.get(key)

    def put_setting(self, key: str, value: bytes) -> None:
        self._settings[key] = value

    def put_info(self, uuid: str, item: Item) -> None:
        latest = self._info.get(uuid)
        if latest is None:
            latest = self._info[uuid] = {}
        cap = self.limits.max_objects
        if cap is not None and item.key not in latest and len(latest) >= cap:
            self._drop_stalest(uuid, latest)
        latest[item.key] = item
        size_cap = self._caps.get("info")
        if size_cap is not None:
            while len(latest) > 1 and sum(len(i.data) for i in latest.values()) > size_cap:
                self._drop_stalest(uuid, latest)
        self.append("info", uuid, item)

    def _drop_stalest(self, uuid: str, latest: dict[str, Item]) -> None:
        """Drop the info object reported least recently."""
        stalest = min(latest.values(), key=lambda old: old.at)
        del latest[stalest.key]
        self._drop(OBJECTS, uuid, stalest)

    def latest_info(self, uuid: str) -> list[Item]:
        latest = self._info.get(uuid, {})
        return [latest[key] for key in sorted(latest)]

    def latest_info_item(self, uuid: str, key: str) -> Item | None:
        return self._info.get(uuid, {}).get(key)

    def append(self, kind: SeriesKind, uuid: str, item: Item) -> None:
        maxlen = self._maxlen.get(kind)
        if not maxlen:
            if maxlen is None:
                check_kind(kind)
            self._drop(kind, uuid, item)
            return
        entries = self._series.get((kind, uuid))
        if entries is None:
            entries = self._series[(kind, uuid)] = deque(maxlen=maxlen)
        if kind in self._caps:
            self._append_capped(kind, uuid, entries, item)
            return
        if len(entries) == maxlen:
            self._drop(kind, uuid, entries[0])
        entries.append(item)

    def _append_capped(self, kind: SeriesKind, uuid: str, entries: deque[Item], item: Item) -> None:
        """Append, then drop the oldest items until the series fits its byte limit (the newest stays)."""
        size = self._bytes.get((kind, uuid), 0)
        if len(entries) == entries.maxlen:
            size -= len(entries[0].data)
            self._drop(kind, uuid, entries[0])
        entries.append(item)
        size += len(item.data)
        while size > self._caps[kind] and len(entries) > 1:
            oldest = entries.popleft()
            size -= len(oldest.data)
            self._drop(kind, uuid, oldest)
        self._bytes[(kind, uuid)] = size

    def _drop(self, kind: str, uuid: str, item: Item) -> None:
        items, size = self._dropped.get((kind, uuid), (0, 0))
        self._dropped[(kind, uuid)] = (items + 1, size + len(item.data))

    def retention(self, uuid: str) -> dict[str, Kept]:
        kept: dict[str, list[Item]] = {kind: list(self._series.get((kind, uuid), ())) for kind in KINDS}
        kept[OBJECTS] = list(self._info.get(uuid, {}).values())
        return {kind: Kept(len(items), sum(len(i.data) for i in items), *self._dropped.get((kind, uuid), (0, 0)))
                for kind, items in kept.items()}

    def series(self, kind: SeriesKind, uuid: str, key: str | None = None) -> list[Item]:
        check_kind(kind)
        entries = self._series.get((kind, uuid), ())
        return [item for item in entries if key is None or item.key == key]

    def close(self) -> None:
        """Nothing to release."""
