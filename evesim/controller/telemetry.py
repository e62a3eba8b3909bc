"""Turn what devices report (info, metrics, logs, newlogs, flow logs, hardware health) into store items.

Every function validates its payload completely and raises ``Refusal`` before anything is stored.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from evesim.api import pb
from evesim.controller.reply import Refusal
from evesim.controller.stores import Item

MAX_LOG_BYTES = 16 << 20
"""Largest decompressed ``newlogs`` upload accepted."""
MAX_LOG_RATIO = 100
"""How many times its own size a ``newlogs`` upload may decompress to (EVE's newlogd writes gzip files of at most
50,000 bytes, ``maxGzipFileSize`` in lf-edge/eve pkg/newlog/cmd/doMoveCompressFile.go; log text compresses ~10×)."""
MIN_LOG_LIMIT = 1 << 20
"""Small uploads may always decompress to this much."""
_INFO_OBJECT_ID = {"ainfo": "AppID", "niinfo": "networkID", "vinfo": "uuid", "cinfo": "uuid"}
_GZIP_FLAGS = {"FHCRC": 2, "FEXTRA": 4, "FNAME": 8, "FCOMMENT": 16}
_M = TypeVar("_M", bound=Message)


def parse(message: type[_M], payload: bytes, status: int = 400) -> _M:
    """Parse ``payload`` as ``message``; a malformed one is refused with ``status``."""
    try:
        return message.FromString(payload)
    except (DecodeError, ValueError) as exc:
        raise Refusal(status, f"body is not a valid {message.DESCRIPTOR.name}") from exc


def info_key(msg: pb.info.ZInfoMsg, device_uuid: str) -> str:
    """``<ztype>/<object id>``: the device UUID, or the app, network instance, volume or content tree id."""
    try:
        ztype = pb.info.ZInfoTypes.Name(msg.ztype)
    except ValueError:
        ztype = str(msg.ztype)
    content = msg.WhichOneof("InfoContent")
    field = _INFO_OBJECT_ID.get(content or "")
    object_id = getattr(getattr(msg, content), field) if field else device_uuid
    return f"{ztype}/{object_id}"


def info_item(payload: bytes, device_uuid: str, at: float) -> Item:
    """A ``ZInfoMsg`` as an item keyed by the object it describes."""
    msg = parse(pb.info.ZInfoMsg, payload)
    return Item(at, info_key(msg, device_uuid), payload)


def raw_item(message: type[Message], payload: bytes, at: float, key: str = "") -> Item:
    """A checked message stored as received (metrics, flow log, hardware health)."""
    parse(message, payload)
    return Item(at, key, payload)


def bundle_items(payload: bytes, at: float, key: str = "", app: bool = False) -> list[Item]:
    """One item per ``LogEntry`` of a ``LogBundle`` (or, for apps, an ``AppInstanceLogBundle``)."""
    bundle = parse(pb.logs.AppInstanceLogBundle, payload) if app else parse(pb.logs.LogBundle, payload)
    return [Item(at, key, entry.SerializeToString()) for entry in bundle.log]


def newlog_items(payload: bytes, at: float, key: str = "") -> list[Item]:
    """One item per line of a ``newlogs`` upload: gzip of newline-separated protojson ``LogEntry``."""
    return [Item(at, key, entry) for entry in newlog_entries(payload)]


def newlog_entries(payload: bytes) -> list[bytes]:
    """The serialized ``LogEntry`` of each line of a ``newlogs`` upload; a pure function, safe in another thread."""
    text = gunzip(payload)
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        entry = pb.logs.LogEntry()
        try:
            json_format.Parse(line, entry)
        except (json_format.ParseError, ValueError, RecursionError) as exc:
            raise Refusal(400, f"newlogs line is not a protojson LogEntry: {exc}") from exc
        entries.append(entry.SerializeToString())
    return entries


def gunzip(payload: bytes) -> bytes:
    """Decompress one gzip member whose header comment, if present, is a JSON object."""
    comment = gzip_comment(payload)
    if comment is not None and not isinstance(_json_or_none(comment), dict):
        raise Refusal(400, "newlogs gzip comment is not a JSON object")
    stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
    limit = min(MAX_LOG_BYTES, max(MIN_LOG_LIMIT, MAX_LOG_RATIO * len(payload)))
    try:
        text = stream.decompress(payload, limit)
    except zlib.error as exc:
        raise Refusal(400, f"newlogs body is not gzip: {exc}") from exc
    if stream.unconsumed_tail:
        raise Refusal(413, f"newlogs upload exceeds {limit} bytes decompressed ({MAX_LOG_RATIO} times its size, at "
                      f"most {MAX_LOG_BYTES})")
    if not stream.eof:
        raise Refusal(400, "newlogs gzip stream is truncated")
    return text


def gzip_comment(payload: bytes) -> bytes | None:
    """The header comment of a gzip stream (EVE puts the log bundle's metadata there), if any."""
    if len(payload) < 10 or payload[:2] != b"\x1f\x8b":
        raise Refusal(400, "newlogs body is not gzip")
    flags, pos = payload[3], 10
    if flags & _GZIP_FLAGS["FEXTRA"]:
        if len(payload) < pos + 2:
            raise Refusal(400, "newlogs gzip header is truncated")
        pos += 2 + struct.unpack_from("<H", payload, pos)[0]
    if flags & _GZIP_FLAGS["FNAME"]:
        pos = _after_zero(payload, pos)
    if not flags & _GZIP_FLAGS["FCOMMENT"]:
        return None
    end = _after_zero(payload, pos)
    return payload[pos : end - 1]


def _after_zero(payload: bytes, pos: int) -> int:
    end = payload.find(b"\0", pos)
    if end < 0:
        raise Refusal(400, "newlogs gzip header is truncated")
    return end + 1


def _json_or_none(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None
