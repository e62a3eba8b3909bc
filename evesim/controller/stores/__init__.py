"""Controller stores: ``MemoryStore`` for simulations, ``SqliteStore`` when served; one interface, ``Store``."""

from evesim.controller.stores.base import (
    KINDS,
    Attestation,
    ConfigVersion,
    DeviceRecord,
    Item,
    Kept,
    Limits,
    OnboardEntry,
    SeriesKind,
    Store,
    StoreError,
)
from evesim.controller.stores.memory import MemoryStore
from evesim.controller.stores.sqlite import SqliteStore

__all__ = [
    "KINDS",
    "Attestation",
    "ConfigVersion",
    "DeviceRecord",
    "Item",
    "Kept",
    "Limits",
    "MemoryStore",
    "OnboardEntry",
    "SeriesKind",
    "SqliteStore",
    "Store",
    "StoreError",
]
