"""loguploader: gzip with a JSON header comment, protojson LogEntry lines, /newlogs."""

from __future__ import annotations

import gzip
import json
import struct
import zlib

from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st

from evesim.agent import effects as fx
from evesim.agent import loguploader, topics
from evesim.api import envelope, pb
from evesim.api.envelope import CryptoMode

from .harness import EPOCH, Script
from .support import UUID, conn

ONBOARDED = topics.Onboarding(UUID, "Acme.Box-1")


def record(i: int, time: float = EPOCH + 1.25, content: str = "hello") -> fx.LogRecord:
    """One pending device log entry."""
    return fx.LogRecord(time + i, "zedagent", "kind", "info", f"{content} {i}", i + 1)


def header_comment(data: bytes) -> bytes:
    """The FCOMMENT field of a gzip member, parsed by hand (RFC 1952)."""
    magic, method, flags, _mtime, _xfl, _os = struct.unpack("<HBBIBB", data[:10])
    assert magic == 0x8B1F and method == 8
    pos = 10
    if flags & 0x04:
        (xlen,) = struct.unpack("<H", data[pos : pos + 2])
        pos += 2 + xlen
    if flags & 0x08:
        pos = data.index(b"\0", pos) + 1
    assert flags & 0x10, "no comment in the gzip header"
    end = data.index(b"\0", pos)
    return data[pos:end]


def entries(data: bytes) -> list[pb.logs.LogEntry]:
    """The newline-separated protojson LogEntry lines of an upload."""
    text = zlib.decompress(data, 16 + zlib.MAX_WBITS).decode()
    return [json_format.Parse(line, pb.logs.LogEntry()) for line in text.split("\n")]


def _upload(records: list[fx.LogRecord], answer: fx.Response = fx.Response(201)) -> Script:
    script = Script(responses={"newlogs": answer}, pending_logs=list(records))
    script.bus.publish(topics.ONBOARDING, ONBOARDED)
    script.run(loguploader.run(conn(CryptoMode.TRUSTED)), until=lambda s: len(s.requests()) >= 1)
    return script


def _body(script: Script, index: int = 0) -> bytes:
    return envelope.open_envelope(script.requests("newlogs")[index].body).payload


def test_upload_is_gzip_with_the_json_header_comment() -> None:
    script = _upload([record(0), record(1)])
    request = script.requests()[0]
    assert request.method == "POST" and request.path == f"/api/v2/edgedevice/id/{UUID}/newlogs"
    body = _body(script)
    assert json.loads(header_comment(body)) == {"devID": UUID, "image": "IMGA", "eveVersion": "14.5.1"}
    assert gzip.decompress(body).count(b"\n") == 1


def test_lines_are_protojson_log_entries() -> None:
    script = _upload([record(0), record(1)])
    first, second = entries(_body(script))
    assert first.source == "zedagent" and first.severity == "info"
    assert first.content == "hello 0" and first.msgid == 1 and second.msgid == 2
    assert first.timestamp.seconds == int(EPOCH + 1) and first.timestamp.nanos == 250_000_000


def test_nothing_to_send_sends_nothing() -> None:
    script = Script(responses={"newlogs": fx.Response(201)})
    script.bus.publish(topics.ONBOARDING, ONBOARDED)
    out = script.run(loguploader.run(conn(CryptoMode.TRUSTED)), max_time=600.0)
    assert out.stop == "blocked" and script.requests() == []


def test_waits_for_onboarding() -> None:
    script = Script(responses={"newlogs": fx.Response(201)}, pending_logs=[record(0)])
    script.publish_at(30.0, topics.ONBOARDING, ONBOARDED)
    script.run(loguploader.run(conn(CryptoMode.TRUSTED)), until=lambda s: len(s.requests()) == 1)
    assert script.steps(fx.Request)[0].time == 30.0


def test_failed_upload_is_retried_with_the_same_entries() -> None:
    script = Script(responses={"newlogs": [fx.Response(503), fx.Response(201)]}, pending_logs=[record(0)])
    script.bus.publish(topics.ONBOARDING, ONBOARDED)
    script.run(loguploader.run(conn(CryptoMode.TRUSTED)), until=lambda s: len(s.requests()) == 2)
    assert [e.msgid for e in entries(_body(script, 1))] == [1]
    times = [s.time for s in script.steps(fx.Request)]
    assert times[1] - times[0] == loguploader.INTERVAL_S


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=5))
def test_any_content_survives_the_round_trip(contents: list[str]) -> None:
    records = [record(i, content=c) for i, c in enumerate(contents)]
    decoded = entries(_body(_upload(records)))
    assert [e.content for e in decoded] == [f"{c} {i}" for i, c in enumerate(contents)]


def _uploads(answer: fx.Response, max_time: float) -> Script:
    script = Script(responses={"newlogs": answer}, pending_logs=[record(i) for i in range(3)])
    script.bus.publish(topics.ONBOARDING, ONBOARDED)
    script.run(loguploader.run(conn(CryptoMode.TRUSTED)), max_time=max_time)
    return script


def test_a_json_server_metrics_answer_is_a_success() -> None:
    answer = fx.Response(201, b'{"cpu_percentage": 3.5}', "application/json")
    assert len(_uploads(answer, 1000.0).requests("newlogs")) == 1


def test_a_batch_refused_ten_times_is_dropped() -> None:
    script = _uploads(fx.Response(400), 3000.0)
    assert len(script.requests("newlogs")) == loguploader.MAX_REFUSALS
    assert [log.fields["entries"] for log in script.logs("logs_dropped")] == [3]


def test_too_many_requests_slows_down_but_keeps_the_batch() -> None:
    script = _uploads(fx.Response(429), 3000.0)
    times = [s.time for s in script.steps(fx.Request)]
    assert len(times) > loguploader.MAX_REFUSALS / 2 and not script.logs("logs_dropped")
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 2 * loguploader.INTERVAL_S - 1
