"""SQLite store for a served controller: one file, WAL journal, one transaction per request."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType

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
    StoreError,
    check_kind,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS onboard (seq INTEGER PRIMARY KEY AUTOINCREMENT, cn TEXT UNIQUE NOT NULL,
    cert BLOB NOT NULL, serials TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT UNIQUE NOT NULL,
    cert BLOB NOT NULL, cert_hash BLOB NOT NULL, onboard_cn TEXT NOT NULL, serial TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS configs (uuid TEXT NOT NULL, version INTEGER NOT NULL, at REAL NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (uuid, version));
CREATE TABLE IF NOT EXISTS attestation (uuid TEXT PRIMARY KEY, nonce BLOB NOT NULL, token BLOB NOT NULL,
    certs BLOB NOT NULL, keys BLOB NOT NULL, quote BLOB NOT NULL DEFAULT x'');
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS dropped (uuid TEXT NOT NULL, kind TEXT NOT NULL, items INTEGER NOT NULL,
    bytes INTEGER NOT NULL, PRIMARY KEY (uuid, kind));
CREATE TABLE IF NOT EXISTS info_latest (uuid TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (uuid, key));
CREATE TABLE IF NOT EXISTS series (kind TEXT NOT NULL, uuid TEXT NOT NULL, seq INTEGER NOT NULL,
    key TEXT NOT NULL, at REAL NOT NULL, data BLOB NOT NULL, PRIMARY KEY (kind, uuid, seq));
"""
_SEP = "\n"


class SqliteStore:
    """A ``Store`` in one SQLite file (``:memory:`` works too); histories are bounded by ``limits``."""

    def __init__(self, path: str | os.PathLike[str], limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._db = sqlite3.connect(os.fspath(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        _add_missing_columns(self._db)
        self._next_seq: dict[tuple[SeriesKind, str], int] = {}
        self._bytes: dict[tuple[SeriesKind, str], int] = {}
        self._touched: set[tuple[SeriesKind, str]] = set()
        self._tx = _Transaction(self._db, self._touched.clear, self._forget_counts)

    def transaction(self) -> AbstractContextManager[None]:
        """One SQLite transaction; an exception rolls it back. Nested calls join the outer one."""
        return self._tx

    def _one(self, sql: str, *args: object) -> tuple | None:
        return self._db.execute(sql, args).fetchone()

    def put_onboard(self, entry: OnboardEntry) -> None:
        self._db.execute(
            "INSERT INTO onboard (cn, cert, serials) VALUES (?, ?, ?) "
            "ON CONFLICT(cn) DO UPDATE SET cert = excluded.cert, serials = excluded.serials",
            (entry.cn, entry.cert_pem, _SEP.join(entry.serials)),
        )

    def get_onboard(self, cn: str) -> OnboardEntry | None:
        row = self._one("SELECT cn, cert, serials FROM onboard WHERE cn = ?", cn)
        return _onboard(row) if row else None

    def list_onboard(self) -> list[OnboardEntry]:
        return [_onboard(row) for row in self._db.execute("SELECT cn, cert, serials FROM onboard ORDER BY seq")]

    def remove_onboard(self, cn: str) -> bool:
        return self._db.execute("DELETE FROM onboard WHERE cn = ?", (cn,)).rowcount > 0

    def add_device(self, device: DeviceRecord) -> None:
        try:
            self._db.execute(
                "INSERT INTO devices (uuid, cert, cert_hash, onboard_cn, serial) VALUES (?, ?, ?, ?, ?)",
                (device.uuid, device.cert_pem, device.cert_hash, device.onboard_cn, device.serial),
            )
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"device {device.uuid} already exists") from exc

    def get_device(self, uuid: str) -> DeviceRecord | None:
        row = self._one("SELECT uuid, cert, cert_hash, onboard_cn, serial FROM devices WHERE uuid = ?", uuid)
        return DeviceRecord(*row) if row else None

    def list_devices(self) -> list[DeviceRecord]:
        rows = self._db.execute("SELECT uuid, cert, cert_hash, onboard_cn, serial FROM devices ORDER BY seq")
        return [DeviceRecord(*row) for row in rows]

    def remove_device(self, uuid: str) -> bool:
        with self.transaction():
            if self._db.execute("DELETE FROM devices WHERE uuid = ?", (uuid,)).rowcount == 0:
                return False
            for table in ("configs", "attestation", "info_latest", "series", "dropped"):
                self._db.execute(f"DELETE FROM {table} WHERE uuid = ?", (uuid,))
            for kind in KINDS:
                self._next_seq.pop((kind, uuid), None)
                self._bytes.pop((kind, uuid), None)
        return True

    def put_config(self, uuid: str, config: ConfigVersion) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO configs (uuid, version, at, data) VALUES (?, ?, ?, ?)",
                (uuid, config.version, config.at, config.data),
            )
            self._db.execute(
                "DELETE FROM configs WHERE uuid = ? AND version NOT IN "
                "(SELECT version FROM configs WHERE uuid = ? ORDER BY version DESC LIMIT ?)",
                (uuid, uuid, max(1, self.limits.configs)),
            )

    def current_config(self, uuid: str) -> ConfigVersion | None:
        row = self._one("SELECT version, at, data FROM configs WHERE uuid = ? ORDER BY version DESC LIMIT 1", uuid)
        return ConfigVersion(*row) if row else None

    def config_history(self, uuid: str) -> list[ConfigVersion]:
        rows = self._db.execute("SELECT version, at, data FROM configs WHERE uuid = ? ORDER BY version", (uuid,))
        return [ConfigVersion(*row) for row in rows]

    def get_attestation(self, uuid: str) -> Attestation:
        row = self._one("SELECT nonce, token, certs, keys, quote FROM attestation WHERE uuid = ?", uuid)
        return Attestation(*row) if row else Attestation()

    def put_attestation(self, uuid: str, state: Attestation) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO attestation (uuid, nonce, token, certs, keys, quote) VALUES (?, ?, ?, ?, ?, ?)",
            (uuid, state.nonce, state.token, state.certs, state.keys, state.quote),
        )

    def get_setting(self, key: str) -> bytes | None:
        row = self._one("SELECT value FROM settings WHERE key = ?", key)
        return row[0] if row else None

    def put_setting(self, key: str, value: bytes) -> None:
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))

    def put_info(self, uuid: str, item: Item) -> None:
        with self.transaction():
            cap = self.limits.max_objects
            if cap is not None and self._one("SELECT 1 FROM info_latest WHERE uuid = ? AND key = ?", uuid,
                                             item.key) is None:
                self._drop_stalest_objects(uuid, cap)
            self._db.execute(
                "INSERT OR REPLACE INTO info_latest (uuid, key, at, data) VALUES (?, ?, ?, ?)",
                (uuid, item.key, item.at, item.data),
            )
            size_cap = self.limits.bytes_of("info")
            if size_cap is not None:
                self._fit_latest(uuid, size_cap)
            self.append("info", uuid, item)

    def _drop_stalest_objects(self, uuid: str, cap: int) -> None:
        """Make room for one more info object: drop those reported least recently past ``cap`` - 1."""
        (count,) = self._db.execute("SELECT count(*) FROM info_latest WHERE uuid = ?", (uuid,)).fetchone()
        if count < cap:
            return
        rows = self._db.execute(
            "DELETE FROM info_latest WHERE uuid = ? AND key IN (SELECT key FROM info_latest WHERE uuid = ? ORDER BY at "
            "LIMIT ?) RETURNING length(data)", (uuid, uuid, count - cap + 1)).fetchall()
        self._count_drops(OBJECTS, uuid, rows)

    def _fit_latest(self, uuid: str, cap: int) -> None:
        """Drop the info objects reported least recently until the latest-info table of ``uuid`` fits ``cap`` bytes
        (the newest stays)."""
        rows = self._db.execute("SELECT key, length(data) FROM info_latest WHERE uuid = ? ORDER BY at DESC, key",
                                (uuid,)).fetchall()
        total, stale = 0, []
        for n, (key, size) in enumerate(rows):
            total += size
            if n and total > cap:
                stale.append(key)
        for key in stale:
            dropped = self._db.execute("DELETE FROM info_latest WHERE uuid = ? AND key = ? RETURNING length(data)",
                                       (uuid, key)).fetchall()
            self._count_drops(OBJECTS, uuid, dropped)

    def _count_drops(self, kind: str, uuid: str, lengths: list[tuple[int]]) -> None:
        if lengths:
            self._db.execute(
                "INSERT INTO dropped (uuid, kind, items, bytes) VALUES (?, ?, ?, ?) ON CONFLICT (uuid, kind) DO UPDATE "
                "SET items = items + excluded.items, bytes = bytes + excluded.bytes",
                (uuid, kind, len(lengths), sum(row[0] for row in lengths)))

    def retention(self, uuid: str) -> dict[str, Kept]:
        kept: dict[str, tuple[int, int]] = {kind: (0, 0) for kind in KINDS}
        for kind, items, size in self._db.execute(
                "SELECT kind, count(*), coalesce(sum(length(data)), 0) FROM series WHERE uuid = ? GROUP BY kind",
                (uuid,)):
            kept[kind] = (items, size)
        kept[OBJECTS] = self._db.execute("SELECT count(*), coalesce(sum(length(data)), 0) FROM info_latest WHERE "
                                         "uuid = ?", (uuid,)).fetchone()
        dropped = {kind: (items, size) for kind, items, size in self._db.execute(
            "SELECT kind, items, bytes FROM dropped WHERE uuid = ?", (uuid,))}
        return {kind: Kept(*counts, *dropped.get(kind, (0, 0))) for kind, counts in kept.items()}

    def latest_info(self, uuid: str) -> list[Item]:
        rows = self._db.execute("SELECT at, key, data FROM info_latest WHERE uuid = ? ORDER BY key", (uuid,))
        return [Item(*row) for row in rows]

    def latest_info_item(self, uuid: str, key: str) -> Item | None:
        row = self._one("SELECT at, key, data FROM info_latest WHERE uuid = ? AND key = ?", uuid, key)
        return Item(*row) if row else None

    def append(self, kind: SeriesKind, uuid: str, item: Item) -> None:
        """Append with the next sequence number and drop the one entry that fell out of the window."""
        check_kind(kind)
        limit = self.limits.of(kind)
        if not limit:
            with self._tx:
                self._count_drops(kind, uuid, [(len(item.data),)])
            return
        with self._tx:
            self._touched.add((kind, uuid))
            seq = self._next_seq.get((kind, uuid))
            if seq is None:
                seq = self._first_seq(kind, uuid, limit)
            self._db.execute(
                "INSERT INTO series (kind, uuid, seq, key, at, data) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, uuid, seq, item.key, item.at, item.data),
            )
            dropped = self._db.execute("DELETE FROM series WHERE kind = ? AND uuid = ? AND seq = ? RETURNING "
                                       "length(data)", (kind, uuid, seq - limit)).fetchall()
            self._next_seq[(kind, uuid)] = seq + 1
            self._count_drops(kind, uuid, dropped)
            cap = self.limits.bytes_of(kind)
            if cap is not None:
                self._fit(kind, uuid, cap, len(item.data) - sum(row[0] for row in dropped))

    def _fit(self, kind: SeriesKind, uuid: str, cap: int, grown: int) -> None:
        """Drop a series' oldest items until its data fits in ``cap`` bytes (the newest stays)."""
        size = self._bytes.get((kind, uuid))
        if size is None:
            size = self._db.execute("SELECT coalesce(sum(length(data)), 0) FROM series WHERE kind = ? AND uuid = ?",
                                    (kind, uuid)).fetchone()[0]
        else:
            size += grown
        newest = self._next_seq[(kind, uuid)] - 1
        while size > cap:
            oldest = self._db.execute("SELECT seq, length(data) FROM series WHERE kind = ? AND uuid = ? ORDER BY seq "
                                      "LIMIT 1", (kind, uuid)).fetchone()
            if oldest is None or oldest[0] == newest:
                break
            self._db.execute("DELETE FROM series WHERE kind = ? AND uuid = ? AND seq = ?", (kind, uuid, oldest[0]))
            self._count_drops(kind, uuid, [(oldest[1],)])
            size -= oldest[1]
        self._bytes[(kind, uuid)] = size

    def _forget_counts(self) -> None:
        """After a rollback: the sequence numbers and sizes of the series it touched are read again from the file."""
        for key in self._touched:
            self._next_seq.pop(key, None)
            self._bytes.pop(key, None)
        self._touched.clear()

    def _first_seq(self, kind: SeriesKind, uuid: str, limit: int) -> int:
        """The next sequence number of a series, dropping what a (possibly smaller) limit no longer keeps."""
        (top,) = self._db.execute("SELECT max(seq) FROM series WHERE kind = ? AND uuid = ?", (kind, uuid)).fetchone()
        seq = 0 if top is None else top + 1
        rows = self._db.execute("DELETE FROM series WHERE kind = ? AND uuid = ? AND seq < ? RETURNING length(data)",
                                (kind, uuid, seq - limit)).fetchall()
        self._count_drops(kind, uuid, rows)
        return seq

    def series(self, kind: SeriesKind, uuid: str, key: str | None = None) -> list[Item]:
        check_kind(kind)
        sql = "SELECT at, key, data FROM series WHERE kind = ? AND uuid = ?"
        args: tuple = (kind, uuid)
        if key is not None:
            sql, args = sql + " AND key = ?", (*args, key)
        return [Item(*row) for row in self._db.execute(sql + " ORDER BY seq", args)]

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()


def _unavailable(exc: BaseException | None) -> bool:
    """True for SQLite's errors of a store that cannot write now (full, I/O, locked, corrupt), not of a bug."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a store written by an older evesim up to this schema (columns added since then)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(attestation)")}
    if "quote" not in columns:
        db.execute("ALTER TABLE attestation ADD COLUMN quote BLOB NOT NULL DEFAULT x''")


def _onboard(row: tuple) -> OnboardEntry:
    cn, cert, serials = row
    return OnboardEntry(cn, cert, tuple(serials.split(_SEP)))


class _Transaction:
    """Reentrant ``BEGIN IMMEDIATE`` / ``COMMIT``, rolled back when the outermost block raises."""

    __slots__ = ("_db", "_depth", "_on_begin", "_on_rollback")

    def __init__(self, db: sqlite3.Connection, on_begin: Callable[[], None], on_rollback: Callable[[], None]) -> None:
        self._db = db
        self._depth = 0
        self._on_begin = on_begin
        self._on_rollback = on_rollback

    def __enter__(self) -> None:
        if not self._depth:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"the store could not start a write: {exc}") from exc
            self._on_begin()
        self._depth += 1

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._depth -= 1
        if self._depth:
            return
        if kind is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error as error:
                exc = error
        self._rollback()
        if _unavailable(exc):
            raise StoreError(f"the store could not write: {exc}") from exc

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._on_rollback()
