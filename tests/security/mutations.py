"""Seeded mutations of valid device-API requests: byte flips, truncations, insertions, random payloads in valid
envelopes, and single-byte damage to a valid payload inside a valid envelope. Used by the attack tests and by
``benchmarks/abuse.py``; needs only ``evesim``."""

from __future__ import annotations

import base64
import gzip
import json
import random
from collections.abc import Callable, Iterator, Sequence

from evesim.api import certs, envelope, pb
from evesim.api.certs import Issued, Usage

API = "/api/v2/edgedevice"
APP = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
LINE = json.dumps({"severity": "info", "content": "x", "msgid": "1"}).encode() + b"\n"
Seal = Callable[[bytes], bytes]
"""Wraps a payload in an envelope signed by the device."""


def seeds(uuid: str, token: bytes, seal: Seal, onboard: Issued) -> list[tuple[str, bytes]]:
    """One valid request per device-API path of an onboarded device: (path, body)."""
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
        (f"{on}/apps/instanceid/{APP}/logs", seal(b"")),
    ]


def mutations(valid: Sequence[tuple[str, bytes]], seal: Seal, count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """``count`` mutated requests made from ``valid`` ones, the same for the same seed."""
    rng = random.Random(seed)
    for _ in range(count):
        path, body = rng.choice(valid)
        yield path, _mutate(rng, seal, body)


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
