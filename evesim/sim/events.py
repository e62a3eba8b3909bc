"""The run's event log: typed, structured events in simulated-time order.

Its canonical order (what the digest and the Parquet file hold) sorts events by time, then device, then
the order one device logged them: it does not depend on how the devices' events interleaved, so a fleet
split over processes logs the same file. The world's events at one time come first in the order the
world logged them, then those done on behalf of a device (a timeline action it triggered, its link
going down: their ``owner``), by device and in the order of that device's events.
"""

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
    owner: str = ""
    """For a world event done on behalf of a device, that device; else empty."""
    seq: int = 0
    """Its place among the events of its device (or owner; the world's own for the rest)."""

    def key(self) -> tuple[float, str, str, int]:
        """Where it sorts in the canonical order."""
        return self.time, self.device, self.owner, self.seq

    def data(self) -> dict[str, Any]:
        """The decoded fields."""
        return json.loads(self.fields)


def _json(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


class EventLog:
    """Append-only list of events with counters per kind."""

    def __init__(self, world_events: bool = True) -> None:
        self.world_events = world_events
        """False in all shards of a fleet but the first: the world's own events are kept there only."""
        self.events: list[Event] = []
        """In the order they were logged."""
        self.counts: dict[str, int] = {}
        self._listeners: list[Callable[[Event], bool]] = []
        self._seq: dict[str, int] = {}
        self._canonical: list[Event] | None = None

    def append(self, time: float, device: str, agent: str, kind: EventKind,
               fields: Mapping[str, Any] | None = None, severity: Severity = "info", owner: str = "") -> Event:
        """Record an event and offer it to the listeners (``owner``: the device a world event is done for)."""
        source = owner or device
        seq = self._seq[source] = self._seq.get(source, 0) + 1
        event = Event(round(time, 6), device, agent, kind, severity, _json(fields or {}), owner, seq)
        if source == "world" and not self.world_events:
            return event
        self.events.append(event)
        self._canonical = None
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

    def canonical(self) -> list[Event]:
        """The events in canonical order: by time, device, then as their device (or owner) logged them."""
        if self._canonical is None:
            self._canonical = sorted(self.events, key=Event.key)
        return self._canonical

    def of_kind(self, kind: str) -> list[Event]:
        """All events of one kind, in order."""
        return [e for e in self.events if e.kind == kind]

    def digest(self) -> str:
        """SHA-256 over the canonical text of every event: equal logs, equal digests."""
        return digest(self.canonical())

    def frame(self) -> pd.DataFrame:
        """The log as a DataFrame with one row per event, in canonical order."""
        return frame(self.canonical())

    def write_parquet(self, path: Path) -> None:
        """Write the log as Parquet (byte-identical for identical logs)."""
        write_parquet(self.frame(), path)


def digest(events: list[Event]) -> str:
    """SHA-256 over the text of each event, in the order given."""
    h = hashlib.sha256()
    for e in events:
        h.update(f"{e.time!r}\t{e.device}\t{e.agent}\t{e.kind}\t{e.severity}\t{e.fields}\n".encode())
    return h.hexdigest()


def frame(events: list[Event]) -> pd.DataFrame:
    """Events as a DataFrame with one row each, in the order given."""
    return pd.DataFrame(
        {
            "time": pd.Series([e.time for e in events], dtype="float64"),
            "device": pd.Series([e.device for e in events], dtype="string"),
            "agent": pd.Series([e.agent for e in events], dtype="string"),
            "kind": pd.Series([e.kind for e in events], dtype="string"),
            "severity": pd.Series([e.severity for e in events], dtype="string"),
            "fields": pd.Series([e.fields for e in events], dtype="string"),
        }
    )


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as Parquet without wall-clock or environment-dependent metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", write_statistics=True)
