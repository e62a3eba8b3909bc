"""loguploader: ship the device's log entries to ``/newlogs`` as gzip of protojson lines.

The gzip header comment is JSON ``{devID, image, eveVersion}`` (as EVE's newlogd writes it). Uploads
at most every 90 s (``defaultUploadIntv``), only when there is something to send. Simplification: pending entries
live in memory, so a reboot loses what was not yet uploaded (EVE keeps them on /persist).
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Generator
from typing import Any

from google.protobuf import json_format

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.controllerconn import Conn, url
from evesim.api import pb

AGENT = "loguploader"
INTERVAL_S = 90.0
BATCH = 500
MAX_REFUSALS = 10
TOO_MANY_REQUESTS = 429
GZIP_FCOMMENT = 0x10


def gzip_with_comment(data: bytes, comment: bytes, mtime: int) -> bytes:
    """One gzip member carrying a header comment (the stdlib gzip writer cannot set one)."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    header = struct.pack("<BBBBIBB", 0x1F, 0x8B, 8, GZIP_FCOMMENT, mtime & 0xFFFFFFFF, 0, 255)
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return header + comment.replace(b"\0", b"") + b"\0" + body + trailer


def _line(record: fx.LogRecord) -> str:
    entry = pb.logs.LogEntry(severity=record.severity, source=record.agent, content=record.content,
                             msgid=record.msgid, iid="1")
    entry.timestamp.seconds = int(record.time)
    entry.timestamp.nanos = int((record.time - int(record.time)) * 1e9)
    return json_format.MessageToJson(entry, indent=None)


def bundle(lines: list[str], mtime: int, dev_id: str, image: str, version: str) -> bytes:
    """The newlogs upload body for already serialized log ``lines``."""
    comment = json.dumps({"devID": dev_id, "image": image, "eveVersion": version}, separators=(",", ":"))
    return gzip_with_comment("\n".join(lines).encode(), comment.encode(), mtime)


def run(conn: Conn) -> Generator[Any, Any, None]:
    """Wait for onboarding, then upload batches of log entries.

    Entries are serialized once, when taken from the buffer; the upload body is rebuilt only
    when it changed. Success is decided by the status alone (the controller may answer with a
    JSON ``ServerMetrics`` body); a batch refused with a 4xx ten times is dropped, as EVE moves
    such a file aside; 429 only slows uploads down.
    """
    yield from topics.wait_for(topics.ONBOARDING)
    seen = 0
    lines: list[str] = []
    mtime, refusals = 0, 0
    body, body_uuid = b"", ""
    while True:
        if len(lines) < BATCH:
            records = yield fx.DrainLogs(BATCH - len(lines))
            if records:
                mtime = mtime if lines else int(records[0].time)
                lines += [_line(r) for r in records]
                body = b""
        if not lines:
            seen = yield fx.Wait((topics.LOGS,), seen)
            continue
        uuid = (yield fx.Read(topics.ONBOARDING)).uuid
        if not body or body_uuid != uuid:
            view = yield fx.Partitions()
            body, body_uuid = bundle(lines, mtime, uuid, view.current, view.versions.get(view.current) or ""), uuid
        sealed = yield from conn.seal(body)
        status, ok = 0, False
        if sealed is not None:
            response = yield fx.Request("POST", url("newlogs", uuid), sealed)
            status, ok = response.status or 0, response.ok
        if ok:
            lines, body, refusals = [], b"", 0
        # EVE: pkg/pillar/cmd/loguploader/loguploader.go: a file refused max4xxRetries times moves aside; a 429
        # doubles the upload interval
        elif 400 <= status < 500 and status != TOO_MANY_REQUESTS:
            refusals += 1
            if refusals >= MAX_REFUSALS:
                yield fx.Log(AGENT, "logs_dropped", {"entries": len(lines), "status": status}, "error")
                lines, body, refusals = [], b"", 0
        yield fx.Sleep(INTERVAL_S * (2 if status == TOO_MANY_REQUESTS else 1))
