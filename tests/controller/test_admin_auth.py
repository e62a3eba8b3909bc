"""Admin authentication modes: a bearer token (default), none (Adam's way, loopback only unless told) and client
certificates on an admin port of their own; every admin route stays closed to a caller without credentials."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from evesim.api.certs import Usage, issue
from evesim.controller.adminauth import NO_CERT, NO_TOKEN, AdminGate, exposure_problem, is_loopback
from evesim.controller.app import create_app
from evesim.controller.cli import app as cli_app

from .served import CLI, Served

TOKEN = "secret-admin-token"


def _admin_routes(app) -> list[tuple[str, str]]:
    """Every admin method and path the app publishes in its OpenAPI document, with sample path parameters."""
    samples = {"uuid": "0b6b2b6e-0f6e-4a39-9d7e-5c3c9f7e2a11", "command": "restart"}
    found = []
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/admin"):
            for name in re.findall(r"{(\w+)(?::\w+)?}", path):
                path = re.sub(rf"{{{name}(:\w+)?}}", samples.get(name, "x"), path)
            found += [(method.upper(), path) for method in operations]
    return found


@pytest.mark.parametrize("gate", [AdminGate("token", TOKEN), AdminGate("mtls")], ids=["token", "mtls"])
def test_every_admin_route_is_closed_without_credentials(ctl, gate: AdminGate) -> None:
    app = create_app(ctl, gate)
    client = TestClient(app)
    routes = _admin_routes(app)
    assert len(routes) >= 30
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Stream": "true"}):
            answer = client.request(method, path, headers=headers, json={})
            assert answer.status_code == 401, (method, path, headers)
            assert answer.json()["detail"] == (NO_CERT if gate.mode == "mtls" else NO_TOKEN)
            assert ("www-authenticate" in answer.headers) == (gate.mode == "token")


@pytest.mark.e2e
@pytest.mark.parametrize("mode", ["token", "mtls"])
def test_a_served_controller_closes_every_admin_route_to_a_client_without_credentials(ctl, tmp_path: Path,
                                                                                     mode: str) -> None:
    """The same over real TLS against ``serve``: the device port answers 401 on every route, and in mtls mode the
    admin port refuses the TLS handshake of a client without a certificate."""
    served = Served(tmp_path / "data", "--admin-auth", mode)
    try:
        with httpx.Client(verify=_context(served.data, None), timeout=10) as client:
            for method, path in _admin_routes(create_app(ctl, AdminGate("none"))):
                for headers in ({}, {"X-Stream": "true"}):
                    answer = client.request(method, served.url() + path, headers=headers, json={})
                    assert answer.status_code == 401, (method, path, headers)
                if mode == "mtls":
                    with pytest.raises(httpx.HTTPError):
                        client.request(method, served.url("admin-server") + path, json={})
    finally:
        served.stop()


def test_every_reference_in_the_openapi_document_resolves(ctl) -> None:
    document = create_app(ctl, AdminGate("none")).openapi()
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(document))
    assert refs
    for ref in refs:
        node = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


def test_none_mode_needs_no_credentials(ctl) -> None:
    client = TestClient(create_app(ctl, AdminGate("none")))
    assert client.get("/admin/device").status_code == 200
    assert client.get("/admin/onboard").status_code == 200


def test_token_mode_admits_the_token_only(ctl) -> None:
    client = TestClient(create_app(ctl, AdminGate("token", TOKEN)))
    assert client.get("/admin/device", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/admin/device", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401


def test_mtls_gate_wants_a_client_auth_certificate() -> None:
    root = issue("root", Usage.CA)
    admin = issue("admin", Usage.ADMIN_CLIENT, issuer=root)
    server = issue("server", Usage.TLS_SERVER, issuer=root, sans=["localhost"])
    gate = AdminGate("mtls")

    def scope(pem: bytes | None) -> dict[str, object]:
        return {"extensions": {"tls": {"client_cert_chain": [pem.decode()] if pem else []}}}

    assert gate.admits(None, scope(admin.cert_pem))
    assert not gate.admits(None, scope(server.cert_pem))
    assert not gate.admits(None, scope(root.cert_pem))
    assert not gate.admits(f"Bearer {TOKEN}", scope(None))
    assert not gate.admits(None, {})


def test_gate_refuses_an_unknown_mode_and_an_empty_token() -> None:
    with pytest.raises(ValueError, match="token, none, mtls"):
        AdminGate("basic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be empty"):
        AdminGate("token", "")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("", False), ("192.168.1.5", False), ("example.org", False),
])
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert (exposure_problem("none", host, False) == "") is loopback
    assert exposure_problem("none", host, True) == ""
    assert exposure_problem("token", host, False) == ""


def test_serve_refuses_none_on_a_wildcard_address(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--data", str(tmp_path), "--host", "0.0.0.0",
                                          "--admin-auth", "none"])
    assert result.exit_code == 2
    text = " ".join(result.output.replace("│", " ").split())
    assert "--admin-auth-none-anywhere" in text and "0.0.0.0" in text
    assert not (tmp_path / "admin-token").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--admin-auth", "mtls", "--port", "65535"], "give --admin-port"),
    (["--admin-auth", "mtls", "--port", "9000", "--admin-port", "9000"], "must differ"),
    (["--admin-auth", "mtls", "--admin-port", "70000"], "less than or equal to 65535"),
])
def test_admin_port_problems_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--data", str(tmp_path), *args])
    assert result.exit_code == 2 and message in " ".join(result.output.replace("│", " ").split())


def test_a_port_in_use_is_a_clean_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*CLI, "controller", "serve", "--data", str(tmp_path), "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and f"cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_admin_port_needs_mtls(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--data", str(tmp_path), "--admin-port", "9999"])
    assert result.exit_code == 2
    assert "--admin-auth mtls" in " ".join(result.output.replace("│", " ").split())


@pytest.fixture
def mtls(tmp_path: Path) -> Iterator[Served]:
    served = Served(tmp_path / "data", "--admin-auth", "mtls")
    yield served
    if served.process.poll() is None:
        served.stop()


def _context(data: Path, cert: tuple[Path, Path] | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(data / "root-certificate.pem"))
    if cert:
        context.load_cert_chain(*cert)
    return context


@pytest.mark.e2e
def test_mtls_serves_admin_to_a_client_certificate_only(mtls: Served) -> None:
    data = mtls.data
    admin = (data / "admin.cert.pem", data / "admin.key.pem")
    with httpx.Client(verify=_context(data, admin)) as client:
        assert client.get(mtls.url("admin-server") + "/admin/onboard").text == "evesim-test-fleet-onboarding\n"
    token = {"Authorization": f"Bearer {(data / 'admin-token').read_text().strip()}"}
    with httpx.Client(verify=_context(data, None)) as client:
        refused = client.get(mtls.url() + "/admin/onboard", headers=token)
        assert refused.status_code == 401 and refused.json()["detail"] == NO_CERT
        with pytest.raises(httpx.HTTPError):
            client.get(mtls.url("admin-server") + "/admin/onboard", headers=token)
        assert client.get(mtls.url() + "/api/v2/edgedevice/ping").status_code < 500
    stranger = issue("stranger", Usage.ADMIN_CLIENT)
    (data.parent / "s.pem").write_bytes(stranger.cert_pem + stranger.key_pem)
    with httpx.Client(verify=_context(data, (data.parent / "s.pem", data.parent / "s.pem"))) as client:
        with pytest.raises(httpx.HTTPError):
            client.get(mtls.url("admin-server") + "/admin/onboard")
    listed = subprocess.run([*CLI, "controller", "onboard", "list", "--data", str(data)], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "EVESIM_ADMIN_TOKEN": ""})
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "evesim-test-fleet-onboarding\n"
    elsewhere = {**os.environ, "EVESIM_ADMIN_CERT": str(admin[0]), "EVESIM_ADMIN_KEY": str(admin[1])}
    listed = subprocess.run([*CLI, "controller", "device", "list", "--uuids", "--server", mtls.url("admin-server"),
                             "--ca", str(data / "root-certificate.pem")], capture_output=True, text=True, timeout=60,
                            env=elsewhere)
    assert listed.returncode == 0 and listed.stdout == "", listed.stderr
    refused = subprocess.run([*CLI, "controller", "device", "list", "--server", mtls.url(), "--ca",
                              str(data / "root-certificate.pem")], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and NO_CERT in refused.stderr
    code, err = mtls.stop()
    assert code in (0, 130) and "Traceback" not in err


@pytest.mark.e2e
def test_none_mode_warns_and_serves_without_credentials(tmp_path: Path) -> None:
    served = Served(tmp_path, "--admin-auth", "none")
    try:
        with httpx.Client(verify=_context(tmp_path, None)) as client:
            assert client.get(served.url() + "/admin/onboard").text == "evesim-test-fleet-onboarding\n"
    finally:
        code, err = served.stop()
    assert "WARNING" in err and "no authentication" in err


@pytest.mark.e2e
def test_none_anywhere_serves_on_a_wildcard_address(tmp_path: Path) -> None:
    served = Served(tmp_path, "--host", "0.0.0.0", "--admin-auth", "none", "--admin-auth-none-anywhere")
    try:
        with httpx.Client(verify=_context(tmp_path, None)) as client:
            assert client.get(served.url() + "/admin/device").status_code == 200
    finally:
        served.stop()
