"""Log uploads built to cost the controller (finding 1: a 16 KB gzip froze every device's requests for 84 s).

A bomb is refused with 413 by a ratio and a size cap before it is decompressed further; a large valid upload is
parsed on a worker thread, and other devices' config polls are answered within a second meanwhile.
"""

from __future__ import annotations

import gzip
import json
import threading
import time

import httpx

from evesim.controller import Controller, Reply
from evesim.controller.telemetry import MAX_LOG_RATIO
from tests.controller.conftest import Device

LINE = json.dumps({"severity": "info", "source": "zedagent", "content": "x" * 120, "msgid": "1"}).encode() + b"\n"


class Http:
    """A scripted device's requests over HTTP to a running server."""

    def __init__(self, ctl: Controller, url: str) -> None:
        self.identity, self.crypto, self.url = ctl.identity, ctl.crypto, url

    def handle(self, method: str, path: str, body: bytes, headers=None) -> Reply:
        answer = httpx.request(method, self.url + path, content=body, headers=headers or {}, timeout=60)
        return Reply(answer.status_code, answer.content, answer.headers.get("content-type", ""))


def _device(ctl: Controller, onboard, url: str, name: str) -> Device:
    device = Device(ctl, onboard, name)
    device.ctl = Http(ctl, url)
    device.onboard_device()
    device.attest_tpmless()
    return device


def test_a_bomb_is_refused_at_once(ctl: Controller, onboard, served: str) -> None:
    device = _device(ctl, onboard, served, "bomber")
    bomb = gzip.compress(b"\n" * (64 << 20), 9)
    started = time.monotonic()
    assert device.post("newlogs", bomb).status == 413
    assert time.monotonic() - started < 2
    ratio = gzip.compress(LINE * 40_000, 9)  # about 6 MB from 70 KB: over the ratio, under the size cap
    assert len(LINE) * 40_000 > MAX_LOG_RATIO * len(ratio)
    assert device.post("newlogs", ratio).status == 413
    assert ctl.store.series("logs", device.uuid) == []


def test_other_devices_are_answered_within_a_second_during_a_stream_of_bombs(ctl: Controller, onboard,
                                                                              served: str) -> None:
    bomber, poller = (_device(ctl, onboard, served, name) for name in ("bomber", "poller"))
    bombs = [gzip.compress(b"\n" * (64 << 20), 9), gzip.compress(LINE * 40_000, 9)]
    refused: list[int] = []
    stop = threading.Event()

    def bomb() -> None:
        while not stop.is_set():
            refused.append(bomber.post("newlogs", bombs[len(refused) % 2]).status)

    thread = threading.Thread(target=bomb)
    thread.start()
    latencies = []
    try:
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert poller.poll().status == 200
            latencies.append(time.monotonic() - started)
    finally:
        stop.set()
        thread.join()
    assert len(refused) >= 4 and set(refused) == {413}, refused
    assert max(latencies) < 1.0, max(latencies)


def test_other_devices_are_answered_while_a_large_upload_is_parsed(ctl: Controller, onboard, served: str) -> None:
    uploader, poller = (_device(ctl, onboard, served, name) for name in ("uploader", "poller"))
    upload = gzip.compress(b"".join(LINE.replace(b'"1"', f'"{n}"'.encode()) for n in range(25_000)), 6)
    assert len(upload) * MAX_LOG_RATIO >= len(LINE) * 25_000, "within the caps: it is parsed, not refused"
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(uploader.post("newlogs", upload).status))
    thread.start()
    latencies = []
    while thread.is_alive():
        started = time.monotonic()
        assert poller.poll().status == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.02)
    thread.join()
    assert result == [201] and len(ctl.store.series("logs", uploader.uuid)) > 0
    assert len(latencies) >= 3, "the upload took long enough to overlap polls"
    assert max(latencies) < 1.0, latencies


def test_an_upload_is_parsed_once_and_only_when_a_known_device_signed_it(ctl: Controller, onboard, served: str,
                                                                          monkeypatch) -> None:
    from evesim.api import envelope
    from evesim.controller import telemetry

    calls: list[int] = []
    real = telemetry.newlog_entries

    def counting(payload: bytes) -> list[bytes]:
        calls.append(len(payload))
        return real(payload)

    monkeypatch.setattr(telemetry, "newlog_entries", counting)
    device = _device(ctl, onboard, served, "signer")
    bad_last_line = gzip.compress(LINE * 1000 + b"not json\n", 6)
    assert device.post("newlogs", bad_last_line).status == 400
    assert len(calls) == 1, "a refused upload is not parsed again on the event loop"
    forged = envelope.seal(bad_last_line, b"\x01" * 64, device.cert_hash)
    answer = httpx.post(f"{served}/api/v2/edgedevice/id/{device.uuid}/newlogs", content=forged,
                        headers={"Content-Type": "application/x-proto-binary"})
    assert answer.status_code == 401 and len(calls) == 1, "an unsigned upload is refused before decompression"
