"""Seeded mutations of valid device-API requests: byte flips, truncations, insertions, random payloads in valid
envelopes, and single-byte damage to a valid payload inside a valid envelope."""

from __future__ import annotations

import base64
import gzip
import json
import random
from collections.abc import Iterator

from evesim.api import certs, envelope, pb
from evesim.api.certs import Issued, Usage
from tests.controller.conftest import API, Device

APP = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
LINE = json.dumps({"severity": "info", "content": "x", "msgid": "1"}).encode() + b"\n"


def seeds(device: Device, onboard: Issued) -> list[tuple[str, bytes]]:
    """One valid request per device-API path: (path, body)."""
    pem = base64.b64encode(certs.issue("fuzzed", Usage.DEVICE, seed=b"fuzz").cert_pem)
    register = pb.register.ZRegisterMsg(pemCert=pem, serial="fuzz").SerializeToString()
    on = f"{API}/id/{device.uuid}"
    return [
        (f"{API}/register", envelope.seal(register, certs.sign_raw(onboard.key, register),
                                          certs.der_hash(onboard.cert), sender_cert_pem=onboard.cert_pem)),
        (f"{API}/uuid", device.seal(b"")),
        (f"{on}/config", device.seal(pb.config.ConfigRequest(integrity_token=device.token).SerializeToString())),
        (f"{on}/info", device.seal(pb.info.ZInfoMsg(devId=device.uuid).SerializeToString())),
        (f"{on}/metrics", device.seal(pb.metrics.ZMetricMsg(devID=device.uuid).SerializeToString())),
        (f"{on}/logs", device.seal(pb.logs.LogBundle(log=[pb.logs.LogEntry(content="a")]).SerializeToString())),
        (f"{on}/newlogs", device.seal(gzip.compress(LINE * 3, mtime=0))),
        (f"{on}/attest", device.seal(pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_NONCE).SerializeToString())),
        (f"{on}/flowlog", device.seal(pb.flowlog.FlowMessage(devId=device.uuid).SerializeToString())),
        (f"{on}/hardwarehealth", device.seal(b"")),
        (f"{API}/apps/instanceid/{APP}/newlogs", device.seal(gzip.compress(LINE, mtime=0))),
        (f"{on}/apps/instances/id/{APP}/logs", device.seal(b"")),
    ]


def mutations(device: Device, onboard: Issued, count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """``count`` mutated requests, the same for the same seed."""
    rng = random.Random(seed)
    valid = seeds(device, onboard)
    for _ in range(count):
        path, body = rng.choice(valid)
        yield path, _mutate(rng, device, body)


def _mutate(rng: random.Random, device: Device, body: bytes) -> bytes:
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
        return device.seal(rng.randbytes(rng.randint(0, 64)))
    else:
        payload = bytearray(envelope.open_envelope(body).payload)
        if payload:
            payload[rng.randrange(len(payload))] ^= 0xFF
        return device.seal(bytes(payload))
    return bytes(data)
