"""The device's structured log on the host: a JSON line per event on a stream, and the upload buffer."""

from __future__ import annotations

import datetime as dt
import json
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from evesim.agent import effects as fx
from evesim.api.vocab import EventKind, Severity

LOG_BUFFER = 2000
"""Entries kept for loguploader; the oldest are dropped beyond this (as the sim device does)."""
QUIET_SEVERITIES = frozenset({"warning", "error"})


class LogSink:
    """Events of one device; ``quiet`` prints only warnings and errors (all are buffered)."""

    def __init__(self, stream: TextIO | None, wall: Callable[[], float], quiet: bool = False) -> None:
        self.stream = stream
        self.wall = wall
        self.quiet = quiet
        self.buffer: deque[fx.LogRecord] = deque(maxlen=LOG_BUFFER)
        self.msgid = 0

    def emit(self, agent: str, kind: EventKind, fields: Mapping[str, Any], severity: Severity = "info") -> int:
        """Print and buffer one event; returns its message id."""
        now = self.wall()
        self.msgid += 1
        fields = dict(fields)
        if self.stream is not None and (not self.quiet or severity in QUIET_SEVERITIES):
            self.stream.write(_line(now, agent, kind, severity, fields) + "\n")
            self.stream.flush()
        content = f"{kind} {fields}" if fields else kind
        self.buffer.append(fx.LogRecord(now, agent, kind, severity, content, self.msgid))
        return self.msgid

    def drain(self, limit: int) -> list[fx.LogRecord]:
        """Up to ``limit`` buffered entries, oldest first, removed from the buffer."""
        out: list[fx.LogRecord] = []
        while self.buffer and len(out) < limit:
            out.append(self.buffer.popleft())
        return out


def _line(now: float, agent: str, kind: str, severity: str, fields: dict[str, Any]) -> str:
    """The JSON line of one event; fields JSON cannot hold (e.g. tuple keys) are shown as text."""
    line = {"time": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="milliseconds"),
            "agent": agent, "kind": kind, "severity": severity, "fields": fields}
    try:
        return json.dumps(line, default=str)
    except (TypeError, ValueError):
        return json.dumps({**line, "fields": repr(fields)})
