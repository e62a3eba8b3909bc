"""Seeded mutations of valid device-API requests: of the body (byte flips, truncations, insertions, random payloads
in valid envelopes, single-byte damage to a valid payload inside a valid envelope), of the method, of the path
(changed characters, dot segments, percent escapes, long or extra segments, queries) and of the headers (content
type, content encoding, long or odd values). Used by the attack tests and by ``benchmarks/abuse.py``; needs only
``evesim``."""

from __future__ import annotations

import base64
import gzip
import json
import random
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from evesim.api import certs, envelope, pb
from evesim.api.certs import Issued, Usage

API = "/api/v2/edgedevice"
APP = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
LINE = json.dumps({"severity": "info", "content": "x", "msgid": "1"}).encode() + b"\n"
PROTO = "application/x-proto-binary"
Seal = Callable[[bytes], bytes]
"""Wraps a payload in an envelope signed by the device."""
METHODS = ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST")
PATH_DAMAGE = ("/..", "/.", "/%2e%2e", "%00", "%ff", "//", "/x" * 40, "?a=1&a=2", "/" + "y" * 4000, ";p", "%2F..")


class Request(NamedTuple):
    """One device-API request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def seeds(uuid: str, token: bytes, seal: Seal, onboard: Issued) -> list[tuple[str, bytes]]:
    """One valid request per device-API path of an onboarded device: (path, body); an empty body is a GET."""
    pem = base64.b64encode(certs.issue("fuzzed", Usage.DEVICE, seed=b"fuzz").cert_pem)
    register = pb.register.ZRegisterMsg(pemCert=pem, serial="fuzz").SerializeToString()
    on = f"{API}/id/{uuid}"
    return [
        (f"{API}/register", envelope.seal(register, certs.sign_raw(onboard.key, register),
                                          certs.der_hash(onboard.cert), sender_cert_pem=onboard.cert_pem)),
        (f"{API}/uuid", seal(b"")),
        (f"{on}/config", seal(pb.config.ConfigRequest(integrity_token=token).SerializeToString())),
        (f"{on}/info", seal(pb.info.ZInfoMsg(devId=uuid).SerializeToString())),
        (f"{on}/metrics", seal(pb.metrics.ZMetricMsg(devID=uuid).SerializeToString())),
        (f"{on}/logs", seal(pb.logs.LogBundle(log=[pb.logs.LogEntry(content="a")]).SerializeToString())),
        (f"{on}/newlogs", seal(gzip.compress(LINE * 3, mtime=0))),
        (f"{on}/attest", seal(pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_NONCE).SerializeToString())),
        (f"{on}/flowlog", seal(pb.flowlog.FlowMessage(devId=uuid).SerializeToString())),
        (f"{on}/hardwarehealth", seal(b"")),
        (f"{API}/apps/instanceid/{APP}/newlogs", seal(gzip.compress(LINE, mtime=0))),
        (f"{on}/apps/instanceid/{APP}/newlogs", seal(gzip.compress(LINE, mtime=0))),
        (f"{API}/apps/instanceid/{APP}/logs", seal(b"")),
        (f"{on}/apps/instanceid/{APP}/logs", seal(b"")),
        (f"{API}/certs", b""),
        (f"{API}/ping", b""),
    ]


def mutations(valid: Sequence[tuple[str, bytes]], seal: Seal, count: int, seed: int) -> Iterator[Request]:
    """``count`` mutated requests made from ``valid`` ones, the same for the same seed: three in five with a damaged
    body, the others with a damaged method, path or headers."""
    rng = random.Random(seed)
    for _ in range(count):
        path, body = rng.choice(valid)
        request = Request("POST" if body else "GET", path, {"Content-Type": PROTO} if body else {}, body)
        part = rng.randrange(5)
        if part < 3 and body:
            yield request._replace(body=_mutate(rng, seal, body))
        elif part == 3:
            yield request._replace(method=rng.choice(METHODS))
        elif rng.random() < 0.5:
            yield request._replace(path=_mutate_path(rng, path))
        else:
            yield request._replace(headers=_mutate_headers(rng, request.headers))


def _mutate_path(rng: random.Random, path: str) -> str:
    if rng.random() < 0.5:
        at = rng.randrange(len(API), len(path) + 1)
        return path[:at] + rng.choice(PATH_DAMAGE) + path[at:]
    chars = list(path)
    chars[rng.randrange(len(API), len(chars))] = rng.choice("aZ0-_.~!$&'()*+,=:@%")
    return "".join(chars)


def _mutate_headers(rng: random.Random, headers: dict[str, str]) -> dict[str, str]:
    damaged = dict(headers)
    choice = rng.randrange(5)
    if choice == 0:
        damaged["Content-Type"] = rng.choice(("text/plain", "application/json", "", "application/x-proto-binary; x=1"))
    elif choice == 1:
        damaged.pop("Content-Type", None)
    elif choice == 2:
        damaged["Content-Encoding"] = rng.choice(("gzip", "br", "identity, gzip"))
    elif choice == 3:
        damaged["X-" + "h" * rng.randint(1, 60)] = "v" * rng.randint(0, 6000)
    else:
        damaged["Authorization"] = "Bearer " + rng.randbytes(24).hex()
    return damaged


def _mutate(rng: random.Random, seal: Seal, body: bytes) -> bytes:
    data = bytearray(body)
    kind = rng.randrange(5)
    if kind == 0:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == 1:
        del data[rng.randrange(len(data)):]
    elif kind == 2:
        at = rng.randrange(len(data) + 1)
        data[at:at] = rng.randbytes(rng.randint(1, 8))
    elif kind == 3:
        return seal(rng.randbytes(rng.randint(0, 64)))
    else:
        payload = bytearray(envelope.open_envelope(body).payload)
        if payload:
            payload[rng.randrange(len(payload))] ^= 0xFF
        return seal(bytes(payload))
    return bytes(data)
