"""The in-device pubsub: named topics with values, a version counter and waiters.

Pure bookkeeping: a backend performs ``Publish``/``Read``/``Wait`` effects against one
``Bus`` per device and supplies the wake-up callbacks. Simplification: EVE's pubsub keys
each topic by object; here a topic holds one value (a dict where an agent needs keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class Waiter:
    """A pending ``Wait``: fires ``callback(version)`` once, on the first change or by timeout."""

    __slots__ = ("topics", "callback", "done")

    def __init__(self, topics: tuple[str, ...], callback: Callable[[int], None]) -> None:
        self.topics = topics
        self.callback = callback
        self.done = False


class Bus:
    """Topics of one device."""

    __slots__ = ("_values", "_versions", "version", "_waiters")

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._versions: dict[str, int] = {}
        self.version = 0
        self._waiters: dict[str, list[Waiter]] = {}

    def get(self, topic: str) -> Any:
        """The current value of ``topic`` or None."""
        return self._values.get(topic)

    def publish(self, topic: str, value: Any) -> None:
        """Set a value, bump the version and fire the waiters of that topic."""
        self.version += 1
        self._values[topic] = value
        self._versions[topic] = self.version
        waiters = self._waiters.pop(topic, None)
        if waiters:
            for waiter in waiters:
                self._fire(waiter)

    def changed_since(self, topics: Iterable[str], since: int) -> bool:
        """True if any of ``topics`` was published after bus version ``since``."""
        versions = self._versions
        return any(versions.get(t, 0) > since for t in topics)

    def wait(self, topics: tuple[str, ...], since: int, callback: Callable[[int], None]) -> Waiter | None:
        """Register a waiter, or fire ``callback`` now (returning None) if a topic already changed."""
        if self.changed_since(topics, since):
            callback(self.version)
            return None
        waiter = Waiter(topics, callback)
        for topic in topics:
            self._waiters.setdefault(topic, []).append(waiter)
        return waiter

    def expire(self, waiter: Waiter) -> None:
        """Time out a waiter: fire it with the current version and forget it."""
        self._fire(waiter)

    def _fire(self, waiter: Waiter) -> None:
        if waiter.done:
            return
        waiter.done = True
        for topic in waiter.topics:
            pending = self._waiters.get(topic)
            if pending and waiter in pending:
                pending.remove(waiter)
        waiter.callback(self.version)

    def clear_waiters(self) -> None:
        """Drop every waiter (the device reset; its processes are gone)."""
        for waiters in self._waiters.values():
            for waiter in waiters:
                waiter.done = True
        self._waiters.clear()
