"""HTTPS to the controller: header rules, TLS trust, and transport failures mapped to EVE's sender outcomes."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import ssl
import uuid

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.agent import effects as fx
from evesim.api import certs
from evesim.backends.https import PROTO, ControllerClient, TrustError, classify, request_headers, tls_context
from evesim.backends.statedir import StateDir

from .conftest import bootstrap
from .tls import Answer, Answering, Pki, free_port


def _exchange(state: StateDir, request: fx.Request, headers: dict[str, str] | None = None) -> fx.Response:
    async def go() -> fx.Response:
        client = ControllerClient(state)
        try:
            return await client.request(request, headers or {"X-Request-Id": "t"})
        finally:
            await client.aclose()

    return asyncio.run(go())


def _download(state: StateDir, effect: fx.Download) -> fx.DownloadResult:
    async def go() -> fx.DownloadResult:
        client = ControllerClient(state)
        try:
            return await client.download(effect)
        finally:
            await client.aclose()

    return asyncio.run(go())


# ---------------------------------------------------------------- header rules


def test_post_headers_before_the_device_has_a_uuid() -> None:
    headers = request_headers(b"\x0a\x00", "rid", ("SER-1", "soft-1"))
    assert headers == {"X-Request-Id": "rid", "Content-Type": PROTO, "X-Serial-Number": "SER-1",
                       "X-Soft-Serial": "soft-1"}


def test_get_after_onboarding_has_only_a_request_id() -> None:
    assert request_headers(None, "rid", None) == {"X-Request-Id": "rid"}


@given(st.text(), st.text())
def test_serial_headers_are_always_valid_header_values(serial: str, soft: str) -> None:
    headers = request_headers(b"", "rid", (serial, soft))
    for name in ("X-Serial-Number", "X-Soft-Serial"):
        value = headers[name]
        assert value == value.strip() and all(0x20 <= ord(c) < 0x7F for c in value)
        httpx.Headers({name: value})


def test_headers_on_the_wire(state: StateDir, pki: Pki, https_server: Answering) -> None:
    bootstrap(state, https_server.server, pki.ca.cert_pem)
    request_id = str(uuid.UUID(int=7))
    response = _exchange(state, fx.Request("POST", "/api/v2/edgedevice/register", b"body"),
                         request_headers(b"body", request_id, ("SER-9", "soft-9")))
    assert response.status == 200 and response.content_type == PROTO
    seen = https_server.seen[-1]
    assert (seen.method, seen.path, seen.body) == ("POST", "/api/v2/edgedevice/register", b"body")
    assert seen.headers["Content-Type"] == PROTO and seen.headers["X-Request-Id"] == request_id
    assert seen.headers["X-Serial-Number"] == "SER-9" and seen.headers["X-Soft-Serial"] == "soft-9"
    assert seen.headers["Host"] == https_server.server


def test_answers_come_back_whole(state: StateDir, pki: Pki, https_server: Answering) -> None:
    bootstrap(state, https_server.server, pki.ca.cert_pem)
    https_server.answer = Answer(503, b"busy" * 1000, "text/plain")
    response = _exchange(state, fx.Request("GET", "/api/v2/edgedevice/ping"))
    assert (response.status, response.body, response.content_type, response.error) == (503, b"busy" * 1000,
                                                                                         "text/plain", None)


# ---------------------------------------------------------------- failures


def test_refused_port(state: StateDir, pki: Pki) -> None:
    bootstrap(state, f"127.0.0.1:{free_port()}", pki.ca.cert_pem)
    assert _exchange(state, fx.Request("GET", "/ping")) == fx.Response(None, error="refused")


def test_wrong_root_ca_is_an_unknown_authority(state: StateDir, https_server: Answering) -> None:
    """EVE's x509.UnknownAuthorityError (not a remote temporary failure, unlike an invalid certificate)."""
    bootstrap(state, https_server.server, Pki.make("someone-else").ca.cert_pem)
    assert _exchange(state, fx.Request("GET", "/ping")) == fx.Response(None, error="cert_unknown_authority")
    assert https_server.seen == []


def test_garbage_root_certificate_leaves_the_server_an_unknown_authority(state: StateDir,
                                                                         https_server: Answering) -> None:
    bootstrap(state, https_server.server, b"-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
    assert _exchange(state, fx.Request("GET", "/ping")).error == "cert_unknown_authority"


def test_extra_tls_roots_are_trusted(state: StateDir, pki: Pki, https_server: Answering) -> None:
    bootstrap(state, https_server.server, Pki.make("someone-else").ca.cert_pem)
    state.write("/config/v2tlsbaseroot-certificates.pem", pki.ca.cert_pem)
    assert _exchange(state, fx.Request("GET", "/ping")).status == 200


def test_a_server_that_never_answers_times_out(state: StateDir, pki: Pki, raw_server) -> None:
    silent = raw_server("silent")
    bootstrap(state, silent.server, pki.ca.cert_pem)
    assert _exchange(state, fx.Request("GET", "/ping", timeout=0.3)) == fx.Response(None, error="timeout")


def test_a_connection_reset_mid_exchange(state: StateDir, pki: Pki, raw_server) -> None:
    resetting = raw_server("reset")
    bootstrap(state, resetting.server, pki.ca.cert_pem)
    assert _exchange(state, fx.Request("POST", "/config", b"x" * 100)).error == "reset"


@pytest.mark.parametrize("server", [None, b"", b"host/with/path", b"127.0.0.1:99999", b"nonexistent.invalid:443"])
def test_missing_or_unusable_server_is_unreachable(state: StateDir, pki: Pki, server: bytes | None) -> None:
    state.write("/config/root-certificate.pem", pki.ca.cert_pem)
    if server is not None:
        state.write("/config/server", server)
    assert _exchange(state, fx.Request("GET", "/ping")) == fx.Response(None, error="unreachable")


def test_client_follows_a_changed_server_file(state: StateDir, pki: Pki, https_server: Answering) -> None:
    async def go() -> tuple[fx.Response, fx.Response]:
        client = ControllerClient(state)
        try:
            bootstrap(state, f"127.0.0.1:{free_port()}", pki.ca.cert_pem)
            first = await client.request(fx.Request("GET", "/ping"), {})
            state.write("/config/server", https_server.server.encode())
            return first, await client.request(fx.Request("GET", "/ping"), {})
        finally:
            await client.aclose()

    first, second = asyncio.run(go())
    assert first.error == "refused" and second.status == 200


def _chained(outer: Exception, *causes: BaseException) -> Exception:
    current = outer
    for cause in causes:
        current.__cause__ = cause
        current = cause
    return outer


def _verify_error(code: int) -> ssl.SSLCertVerificationError:
    """OpenSSL's verification failure with ``verify_code`` (10: expired; 20: no local issuer)."""
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_code = code
    return error


@pytest.mark.parametrize(("exc", "error"), [
    (httpx.ConnectTimeout("t"), "timeout"),
    (httpx.ReadTimeout("t"), "timeout"),
    (TimeoutError(), "timeout"),
    (_chained(httpx.ConnectError("x"), OSError("all failed"), ConnectionRefusedError(errno.ECONNREFUSED, "r")),
     "refused"),
    (_chained(httpx.ConnectError("x"), ssl.SSLCertVerificationError(1, "bad")), "cert_invalid"),
    (_chained(httpx.ConnectError("x"), _verify_error(10)), "cert_invalid"),
    (_chained(httpx.ConnectError("x"), _verify_error(20)), "cert_unknown_authority"),
    (_chained(httpx.ReadError("x"), ConnectionResetError(errno.ECONNRESET, "reset")), "reset"),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), "reset"),
    (_chained(httpx.ConnectError("x"), OSError(errno.ENETUNREACH, "no route")), "unreachable"),
    (httpx.UnsupportedProtocol("x"), "unreachable"),
])
def test_classify(exc: Exception, error: str) -> None:
    assert classify(exc) == error
    assert error in fx.TRANSPORT_ERRORS


# ---------------------------------------------------------------- downloads


def _blob_url(server: Answering, path: str, data: bytes) -> str:
    server.routes[path] = Answer(200, data, "application/octet-stream")
    return f"https://{server.server}{path}"


def test_download_verifies_and_keeps_the_blob(state: StateDir, pki: Pki, https_server: Answering) -> None:
    bootstrap(state, https_server.server, pki.ca.cert_pem)
    data = bytes(range(256)) * 400
    digest = hashlib.sha256(data).hexdigest()
    result = _download(state, fx.Download(_blob_url(https_server, "/eve.img", data), digest.upper(), len(data)))
    assert result == fx.DownloadResult(f"/persist/downloads/{digest}")
    assert state.read(result.blob) == data
    assert sorted(p.name for p in state.host_path(result.blob).parent.iterdir()) == [digest]


@pytest.mark.parametrize("case", ["mismatch", "oversize", "missing", "bad-digest"])
def test_download_failures_keep_nothing(state: StateDir, pki: Pki, https_server: Answering, case: str) -> None:
    bootstrap(state, https_server.server, pki.ca.cert_pem)
    data = b"image bytes" * 100
    digest = hashlib.sha256(data).hexdigest()
    url = _blob_url(https_server, "/eve.img", data)
    effect = {
        "mismatch": fx.Download(url, hashlib.sha256(b"other").hexdigest(), len(data)),
        "oversize": fx.Download(url, digest, len(data) - 1),
        "missing": fx.Download(f"https://{https_server.server}/nothing", digest, len(data)),
        "bad-digest": fx.Download(url, "abc", len(data)),
    }[case]
    https_server.answer = Answer(404, b"", "text/plain")
    result = _download(state, effect)
    assert result.blob is None and result.error
    expected = {"mismatch": "sha256 mismatch", "oversize": "larger than", "missing": "404", "bad-digest": "bad sha256"}
    assert expected[case] in result.error
    downloads = state.root / "persist" / "downloads"
    assert not downloads.exists() or list(downloads.iterdir()) == []


def test_garbage_beside_a_good_root_is_skipped_as_eve_does() -> None:
    root = certs.cert_pem(certs.issue("root", certs.Usage.CA, seed=b"root").cert)
    system = tls_context([]).cert_store_stats()["x509_ca"]
    assert tls_context([root, b"garbage"]).cert_store_stats()["x509_ca"] == system + 1
    assert tls_context([b"junk\n" + root + b"\nmore junk"]).cert_store_stats()["x509_ca"] == system + 1
    with pytest.raises(TrustError, match="no usable certificate"):
        tls_context([b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"])
