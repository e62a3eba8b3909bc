"""The run's event log: typed, structured events in simulated-time order."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evesim.api.vocab import EVENT_KINDS, EventKind, Severity

COLUMNS = ("time", "device", "agent", "kind", "severity", "fields")
KINDS = EVENT_KINDS
"""Every kind of event evesim logs (``evesim.api.vocab.EventKind``)."""
WORLD_KINDS = frozenset({"action", "batch_settled", "batch_started", "controller_down", "controller_up", "created",
                         "done", "fault_rule", "fixes", "halted", "link", "resumed"})
"""Kinds only the world logs (device ``"world"``): the timeline, the network, the controller, rollouts."""


@dataclass(frozen=True, slots=True)
class Event:
    """One event: simulated time (s), device (or "world"), agent, kind, severity, JSON fields."""

    time: float
    device: str
    agent: str
    kind: EventKind
    severity: Severity
    fields: str

    def data(self) -> dict[str, Any]:
        """The decoded fields."""
        return json.loads(self.fields)


def _json(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


class EventLog:
    """Append-only list of events with counters per kind."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.counts: dict[str, int] = {}
        self._listeners: list[Callable[[Event], bool]] = []

    def append(self, time: float, device: str, agent: str, kind: EventKind,
               fields: Mapping[str, Any] | None = None, severity: Severity = "info") -> Event:
        """Record an event and offer it to the listeners."""
        event = Event(round(time, 6), device, agent, kind, severity, _json(fields or {}))
        self.events.append(event)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self._listeners:
            self._listeners = [fn for fn in self._listeners if not fn(event)]
        return event

    def listen(self, listener: Callable[[Event], bool]) -> None:
        """Call ``listener`` with every new event until it returns True."""
        self._listeners.append(listener)

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def of_kind(self, kind: str) -> list[Event]:
        """All events of one kind, in order."""
        return [e for e in self.events if e.kind == kind]

    def digest(self) -> str:
        """SHA-256 over the canonical text of every event: equal logs, equal digests."""
        h = hashlib.sha256()
        for e in self.events:
            h.update(f"{e.time!r}\t{e.device}\t{e.agent}\t{e.kind}\t{e.severity}\t{e.fields}\n".encode())
        return h.hexdigest()

    def frame(self) -> pd.DataFrame:
        """The log as a DataFrame with one row per event."""
        return pd.DataFrame(
            {
                "time": pd.Series([e.time for e in self.events], dtype="float64"),
                "device": pd.Series([e.device for e in self.events], dtype="string"),
                "agent": pd.Series([e.agent for e in self.events], dtype="string"),
                "kind": pd.Series([e.kind for e in self.events], dtype="string"),
                "severity": pd.Series([e.severity for e in self.events], dtype="string"),
                "fields": pd.Series([e.fields for e in self.events], dtype="string"),
            }
        )

    def write_parquet(self, path: Path) -> None:
        """Write the log as Parquet (byte-identical for identical logs)."""
        write_parquet(self.frame(), path)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as Parquet without wall-clock or environment-dependent metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", write_statistics=True)
