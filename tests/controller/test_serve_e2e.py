"""``evesim controller serve`` as a subprocess over real TLS, driven by a client built only from the published API."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import eve_client as eve
from .eve_client import API, Https, decode, envelope, first, message, sign_raw

pytestmark = pytest.mark.e2e
CLI = [sys.executable, "-c", "from evesim.cli import main; main()"]


class Served:
    """A running ``evesim controller serve`` and what a device and an operator know about it."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.process = subprocess.Popen(
            [*CLI, "controller", "serve", "--data", str(data), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.host, self.port = self._wait_until_up()
        self.root_pem = (data / "root-certificate.pem").read_bytes()
        self.token = (data / "admin-token").read_text().strip()

    def _wait_until_up(self) -> tuple[str, int]:
        server = self.data / "server"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.process.stdout.read().decode()}")
            if server.exists() and server.read_text().strip():
                host, _, port = server.read_text().strip().rpartition(":")
                return host, int(port)
            time.sleep(0.1)
        raise RuntimeError("serve did not write DIR/server in time")

    def connect(self) -> Https:
        return Https(self.host, self.port, self.root_pem)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        (self.data / "server").unlink()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = Served(tmp_path_factory.mktemp("controller-data"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def https(served: Served) -> Iterator[Https]:
    conn = served.connect()
    _wait_for_ping(conn)
    yield conn
    conn.close()


class Eve:
    """A device: own key and self-signed cert, serial, and the controller certs it fetched."""

    def __init__(self, https: Https, serial: str) -> None:
        self.https = https
        self.key, self.cert = eve.self_signed(f"device-{serial}")
        self.serial = serial
        self.uuid = ""
        self.token = b""
        self.config_hash = ""
        self.signing: x509.Certificate | None = None
        self.signing_pem = b""

    def register(self, onboard_key, onboard_cert: x509.Certificate, serial: str | None = None) -> int:
        payload = message(
            (2, base64.b64encode(eve.pem(self.cert))), (3, self.serial if serial is None else serial), (4, "soft")
        )
        body = envelope(payload, sign_raw(onboard_key, payload), eve.der_hash(onboard_cert), eve.pem(onboard_cert))
        return self.https.request("POST", f"{API}/register", body)[0]

    def post(self, path: str, payload: bytes, key=None) -> tuple[int, bytes, str]:
        body = envelope(payload, sign_raw(key or self.key, payload), eve.der_hash(self.cert))
        return self.https.request("POST", f"{API}/{path}", body)

    def answer(self, body: bytes) -> dict:
        return decode(eve.open_answer(body, self.signing, self.signing_pem))


def _controller_certs(conn: Https) -> dict[int, list[bytes]]:
    """PEMs from ``/certs`` by ZCertType (ZControllerCert.certs=1; ZCert.type=3, cert=4)."""
    status, body, _ = conn.request("GET", f"{API}/certs")
    assert status == 200
    payload = first(decode(first(decode(body), 1)), 1)
    by_type: dict[int, list[bytes]] = {}
    for raw in decode(payload).get(1, []):
        zcert = decode(raw)
        by_type.setdefault(first(zcert, 3, 0), []).append(first(zcert, 4))
    return by_type


def _admin(
    served: Served, method: str, path: str, body: dict | None = None, token: str | None = None
) -> tuple[int, bytes]:
    conn = served.connect()
    headers = {"Authorization": f"Bearer {served.token if token is None else token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.conn.request(
        method, f"/admin{path}", body=json.dumps(body).encode() if body is not None else None, headers=headers
    )
    response = conn.conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def test_full_device_lifecycle_over_tls(served: Served, https: Https) -> None:
    root = x509.load_pem_x509_certificate(served.root_pem)
    device = Eve(https, "SER-1")

    # certs: exactly one signing cert, at least one ECDH cert, both chained to the root
    status, body, content_type = https.request("GET", f"{API}/certs")
    assert status == 200 and content_type == eve.PROTO
    by_type = _controller_certs(https)
    assert set(by_type) <= {1, 2, 3} and len(by_type[1]) == 1 and by_type[3]
    for pem in by_type[1] + by_type[3]:
        x509.load_pem_x509_certificate(pem).verify_directly_issued_by(root)
    device.signing_pem = by_type[1][0]
    device.signing = x509.load_pem_x509_certificate(device.signing_pem)
    eve.open_answer(body, device.signing, device.signing_pem)

    # admin: token required; onboard our own fleet cert for one serial
    onboard_key, onboard_cert = eve.self_signed("e2e-fleet")
    assert _admin(served, "GET", "/onboard", token="")[0] == 401
    assert _admin(served, "GET", "/onboard", token="wrong")[0] == 401
    cert_b64 = base64.b64encode(eve.pem(onboard_cert)).decode()
    assert _admin(served, "POST", "/onboard", {"Cert": cert_b64, "Serial": "SER-1,SER-2"})[0] == 201
    assert b"e2e-fleet" in _admin(served, "GET", "/onboard")[1]

    # register: 201, repeat 200, conflicts and refusals
    assert device.register(onboard_key, onboard_cert) == 201
    assert device.register(onboard_key, onboard_cert) == 200
    assert Eve(https, "SER-1").register(onboard_key, onboard_cert) == 409
    assert Eve(https, "SER-9").register(onboard_key, onboard_cert) == 403
    stranger_key, stranger_cert = eve.self_signed("stranger-fleet")
    assert Eve(https, "SER-2").register(stranger_key, stranger_cert) == 403
    assert Eve(https, "SER-2").register(stranger_key, onboard_cert) == 401

    # uuid
    status, body, _ = device.post("uuid", b"")
    assert status == 200
    device.uuid = first(device.answer(body), 1).decode()
    assert uuidlib.UUID(device.uuid).version == 4
    assert Eve(https, "SER-2").post("uuid", b"")[0] == 400

    # config needs the integrity token: attest (TPM-less: empty quote)
    config_path = f"id/{device.uuid}/config"
    assert device.post(config_path, message((1, "")))[0] == 403
    status, body, _ = device.post(f"id/{device.uuid}/attest", message((1, 1)))
    assert status == 201 and first(device.answer(body), 1) == 1
    status, body, _ = device.post(f"id/{device.uuid}/attest", message((1, 2)))
    assert status == 201 and len(first(decode(first(device.answer(body), 2)), 1)) > 0
    status, body, _ = device.post(f"id/{device.uuid}/attest", message((1, 3)))
    quote_resp = decode(first(device.answer(body), 3))
    assert status == 201 and first(quote_resp, 1) == 1
    device.token = first(quote_resp, 2)

    # config 200 then 304
    status, body, _ = device.post(config_path, message((2, device.token)))
    assert status == 200
    response = device.answer(body)
    config, config_hash = decode(first(response, 1)), first(response, 2).decode()
    assert first(decode(first(config, 1)), 1).decode() == device.uuid
    assert device.post(config_path, message((1, config_hash), (2, device.token)))[0] == 304
    device.config_hash = config_hash

    # info and metrics
    info = message((1, 1), (2, device.uuid), (3, message((7, 4))))
    assert device.post(f"id/{device.uuid}/info", info)[0] == 201
    assert device.post(f"id/{device.uuid}/metrics", message((1, device.uuid)))[0] == 201
    status, body = _admin(served, "GET", f"/device/{device.uuid}/info")
    assert status == 200 and json.loads(body.splitlines()[0])["dinfo"]["ncpu"] == 4

    # bad input: each gets the spec's 4xx
    info_path = f"{API}/id/{device.uuid}/info"
    other_key, other_cert = eve.self_signed("other")
    cases = [
        ("garbage", https.request("POST", info_path, b"\xff\x00garbage")[0], 400),
        ("truncated protobuf", device.post(f"id/{device.uuid}/info", info[:-3])[0], 400),
        ("oversized", https.request("POST", info_path, b"\0" * (4 << 20 | 1))[0], 413),
        (
            "wrong content type",
            https.request(
                "POST",
                info_path,
                envelope(info, sign_raw(device.key, info), eve.der_hash(device.cert)),
                "application/json",
            )[0],
            415,
        ),
        ("unsigned", https.request("POST", info_path, envelope(info, bytes(64), eve.der_hash(device.cert)))[0], 401),
        ("forged", device.post(f"id/{device.uuid}/info", info, key=other_key)[0], 401),
        (
            "unknown sender",
            https.request("POST", info_path, envelope(info, sign_raw(other_key, info), eve.der_hash(other_cert)))[0],
            400,
        ),
        ("someone else's path", device.post(f"id/{uuidlib.UUID(int=1)}/info", info)[0], 403),
        ("unknown device", Eve(https, "SER-2").post("uuid", b"")[0], 400),
        ("unknown path", device.post(f"id/{device.uuid}/nothing", info)[0], 404),
    ]
    for name, got, want in cases:
        assert got == want, name
    status, body = _admin(served, "GET", f"/device/{device.uuid}/info")
    assert len(body.splitlines()) == 1, "refused requests stored nothing"

    # the CLI talks to the admin API with what DIR holds
    out = subprocess.run(
        [*CLI, "controller", "device", "list", "--uuids", "--data", str(served.data)], capture_output=True, text=True,
        timeout=60
    )
    assert out.returncode == 0 and out.stdout.split() == [device.uuid]
    out = subprocess.run(
        [*CLI, "controller", "config", "get", device.uuid, "--data", str(served.data)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(out.stdout)["id"]["uuid"] == device.uuid
    assert out.stdout.startswith('{\n  "'), "evesim's config get indents what the admin API sends on one line"


def _onboarded(served: Served, conn: Https, serial: str) -> Eve:
    """A device onboarded with DIR's test-fleet onboarding cert, attested (TPM-less), config fetched."""
    onboard_cert = x509.load_pem_x509_certificate((served.data / "onboard.cert.pem").read_bytes())
    onboard_key = serialization.load_pem_private_key((served.data / "onboard.key.pem").read_bytes(), None)
    device = Eve(conn, serial)
    device.signing_pem = _controller_certs(conn)[1][0]
    device.signing = x509.load_pem_x509_certificate(device.signing_pem)
    assert device.register(onboard_key, onboard_cert) == 201
    device.uuid = first(device.answer(device.post("uuid", b"")[1]), 1).decode()
    quote = decode(first(device.answer(device.post(f"id/{device.uuid}/attest", message((1, 3)))[1]), 3))
    device.token = first(quote, 2)
    status, body, _ = device.post(f"id/{device.uuid}/config", message((2, device.token)))
    assert status == 200
    device.config_hash = first(device.answer(body), 2).decode()
    return device


def test_cli_administers_the_served_controller(served: Served, https: Https, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from evesim.cli import app

    device = _onboarded(served, https, "CLI-1")
    runner = CliRunner()

    def cli(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(app, ["controller", *args, "--data", str(served.data)], input=stdin)
        assert result.exit_code == 0, result.output
        return result.output

    _, fleet_cert = eve.self_signed("cli-fleet")
    cert_file = tmp_path / "fleet.pem"
    cert_file.write_bytes(eve.pem(fleet_cert))
    assert cli("onboard", "add", "--cert", str(cert_file), "--serial", "A,B").strip() == "cli-fleet"
    assert "cli-fleet" in cli("onboard", "list").split()
    cli("onboard", "remove", "cli-fleet")
    assert "cli-fleet" not in cli("onboard", "list").split()
    assert device.uuid in cli("device", "list").split()
    assert json.loads(cli("device", "get", device.uuid))["Serial"] == "CLI-1"
    config = json.loads(cli("config", "get", device.uuid))
    config["deviceName"] = "via-cli"
    assert cli("config", "set", device.uuid, "-", stdin=json.dumps(config)).strip() == "2"
    assert json.loads(cli("config", "get", device.uuid))["deviceName"] == "via-cli"
    assert device.post(f"id/{device.uuid}/metrics", message((1, device.uuid)))[0] == 201
    assert json.loads(cli("metrics", device.uuid).splitlines()[-1])["devID"] == device.uuid
    device.post(f"id/{device.uuid}/info", message((1, 1), (2, device.uuid), (3, message((7, 2)))))
    assert json.loads(cli("info", device.uuid, "--latest"))["dinfo"]["ncpu"] == 2
    assert cli("logs", device.uuid) == ""
    cli("device", "remove", device.uuid)
    assert device.uuid not in cli("device", "list").split()
    failed = runner.invoke(app, ["controller", "device", "get", device.uuid, "--data", str(served.data)])
    assert failed.exit_code == 1 and "404" in failed.output
    failed = runner.invoke(app, ["controller", "device", "list", "--data", str(served.data), "--token", "wrong"])
    assert failed.exit_code == 1 and "401" in failed.output
    failed = runner.invoke(app, ["controller", "device", "list"], env={"EVESIM_CONTROLLER_DATA": ""})
    assert failed.exit_code == 1


def test_restart_keeps_identity_and_data(tmp_path: Path) -> None:
    first_run = Served(tmp_path / "data")
    conn = first_run.connect()
    _wait_for_ping(conn)
    device = _onboarded(first_run, conn, "RESTART-1")
    root_before = first_run.root_pem
    conn.close()
    first_run.stop()
    again = Served(tmp_path / "data")
    try:
        conn = again.connect()
        _wait_for_ping(conn)
        assert again.root_pem == root_before
        device.https = conn
        assert device.post(f"id/{device.uuid}/config", message((1, device.config_hash), (2, device.token)))[0] == 304
        assert device.post("uuid", b"")[0] == 200
        conn.close()
    finally:
        again.stop()


def _wait_for_ping(conn: Https) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            assert conn.request("GET", f"{API}/ping")[0] == 200
            return
        except OSError:
            assert time.monotonic() < deadline, "controller did not answer ping"
            time.sleep(0.2)
