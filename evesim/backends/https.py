"""HTTPS to the controller and datastores as EVE's ``controllerconn`` does it, with failures as transport errors.

TLS trusts the system CAs plus ``/config/root-certificate.pem`` (and ``v2tlsbaseroot-certificates.pem``
when present), needs TLS >= 1.2 and limits TLS 1.2 to EVE's two cipher suites. Simplification: no
TLS client certificate (a v2 controller takes identity from the envelope) and no proxies.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import hashlib
import os
import re
import ssl
from collections.abc import Mapping
from pathlib import Path

import httpx

from evesim.agent import dpc, paths
from evesim.agent import effects as fx
from evesim.agent.controllerconn import PROTO
from evesim.agent.dpc import bypassed
from evesim.api import pac
from evesim.api.vocab import TransportError
from evesim.backends.machine import PORT, split_server
from evesim.backends.statedir import StateDir, fsync_dir

TRUST_FILES = (paths.ROOT_CERT, "/config/v2tlsbaseroot-certificates.pem")
DOWNLOADS = "/persist/downloads"
DIAL_TIMEOUT_S = 10.0
"""EVE's ``timer.dial.timeout``: TCP connect (and TLS handshake) budget."""
DOWNLOAD_READ_TIMEOUT_S = 120.0
PAC_TIMEOUT_S = 15.0
"""EVE's ``getPacFile`` gives a WPAD fetch 15 s."""
MAX_BODY_BYTES = 64 << 20
TLS12_CIPHERS = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UNSAFE = re.compile(r"[^\x20-\x7e]")
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
_RESET_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


class TrustError(ValueError):
    """The device's trust anchors cannot be loaded."""


class DownloadFailed(Exception):
    """A download the datastore refused or that broke its announced size."""


class BodyTooLarge(Exception):
    """The peer sent more than ``MAX_BODY_BYTES``."""


def tls_context(anchors: list[bytes]) -> ssl.SSLContext:
    """Client TLS context: system CAs plus ``anchors`` (PEM), TLS >= 1.2, EVE's TLS 1.2 suites.

    As EVE's ``AppendCertsFromPEM``, a block that is not a usable certificate is skipped (garbage in
    the optional extra roots file costs nothing); ``TrustError`` if the anchors hold none at all.
    """
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(TLS12_CIPHERS)
    loaded = 0
    for block in (b for pem in anchors for b in _PEM_CERT.findall(pem)):
        try:
            ctx.load_verify_locations(cadata=block.decode("ascii"))
            loaded += 1
        except (ssl.SSLError, UnicodeDecodeError, ValueError):
            continue
    if anchors and not loaded:
        raise TrustError("no usable certificate in the trust anchors (/config/root-certificate.pem)")
    return ctx


def _header_value(text: str) -> str:
    return _UNSAFE.sub("", text).strip()


def request_headers(body: bytes | None, request_id: str, onboarding: tuple[str, str] | None) -> dict[str, str]:
    """EVE's headers: a request id always, the proto content type on POSTs, serials until the device has a UUID."""
    headers = {"X-Request-Id": request_id}
    if body is not None:
        headers["Content-Type"] = PROTO
    if onboarding is not None:
        headers["X-Serial-Number"] = _header_value(onboarding[0])
        headers["X-Soft-Serial"] = _header_value(onboarding[1])
    return headers


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in out:
        out.append(link)
        link = link.__cause__ or link.__context__
    return out


UNKNOWN_AUTHORITY = frozenset({18, 19, 20, 21})
"""OpenSSL's verify codes for a chain that ends at no trusted CA (self-signed leaf or in chain, no local issuer,
unable to verify the leaf)."""


def classify(exc: BaseException) -> TransportError:
    """The transport error (``effects.TRANSPORT_ERRORS``) an exception from an exchange amounts to."""
    chain = _chain(exc)
    if any(isinstance(e, (httpx.TimeoutException, TimeoutError)) for e in chain):
        return "timeout"
    verify = next((e for e in chain if isinstance(e, ssl.SSLCertVerificationError)), None)
    if verify is not None:
        # EVE: pkg/pillar/controllerconn/send.go handleHTTPReqFailure tells x509.UnknownAuthorityError (not a remote
        # temporary failure) from x509.CertificateInvalidError (one)
        return "cert_unknown_authority" if getattr(verify, "verify_code", None) in UNKNOWN_AUTHORITY else "cert_invalid"
    if isinstance(exc, httpx.ProxyError):
        return "proxy"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "refused"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, BodyTooLarge)) or any(
        isinstance(e, OSError) and e.errno in _RESET_ERRNOS for e in chain
    ):
        return "reset"
    return "unreachable"


def _timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(DIAL_TIMEOUT_S, seconds))


async def _read_capped(response: httpx.Response) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            raise BodyTooLarge(f"response larger than {MAX_BODY_BYTES} bytes")
    return bytes(data)


class ControllerClient:
    """Keep-alive HTTPS clients, one per port and proxy, rebuilt whenever ``/config/server`` or the trust files
    change."""

    def __init__(self, state: StateDir, ports: Mapping[str, str] | None = None) -> None:
        self.state = state
        self.ports = dict(ports or {})
        """Each port's local address (none given: one port, ``PORT``, leaving from whatever address routes)."""
        self.routes: tuple[fx.Route, ...] = (fx.Route(next(iter(self.ports), PORT)),)
        """The management ports nim applied, with their proxies (EVE's ``LookupProxy``)."""
        self._clients: dict[tuple[object, ...], httpx.AsyncClient] = {}
        self._files: tuple[object, ...] = ()

    def _known(self, port: str) -> bool:
        return port in self.ports if self.ports else port == PORT

    async def _connection(self, route: fx.Route) -> tuple[httpx.AsyncClient, str]:
        """The client for ``route`` (its proxy, its port's address) and the current bootstrap files, and the
        controller's base URL."""
        server = self.state.read(paths.SERVER)
        host, port = split_server((server or b"").decode(errors="replace"))
        anchors = [self.state.read(path) for path in TRUST_FILES]
        if (server, *anchors) != self._files:
            await self.aclose()
            self._files = (server, *anchors)
        proxy = route.proxy if route.proxy and not bypassed(host, route.exceptions) else ""
        if route.pac:
            try:
                proxy = pac.proxy_for(pac.decode(route.pac), f"https://{host}/", host)
            except pac.PacError:
                proxy = ""  # EVE: controllerconn/send.go prepareHTTPClientConfig goes direct when LookupProxy fails
        address = self.ports.get(route.name)
        client = self._clients.get((proxy, address))
        if client is None:
            context = tls_context([pem for pem in anchors if pem])
            transport = httpx.AsyncHTTPTransport(verify=context, local_address=address,
                                                 proxy=f"http://{proxy}" if proxy else None)
            client = self._clients[(proxy, address)] = httpx.AsyncClient(
                transport=transport, trust_env=False, follow_redirects=False)
        return client, f"https://{f'[{host}]' if ':' in host else host}:{port}"

    async def request(self, effect: fx.Request, headers: dict[str, str]) -> fx.Response:
        """Perform one ``Request`` over the applied ports in turn, as EVE's ``SendOnAllIntf``: the first success or
        403 ends it; otherwise the last HTTP answer, else the last failure, as ``Response(None, error=...)``."""
        answer: fx.Response | None = None
        failure = fx.Response(None, error="unreachable")
        for route in dpc.ports_in_turn(self.routes, effect.via):
            if not self._known(route.name):
                continue
            response = await self._over(route, effect, headers)
            if response.ok or response.status == 403:
                return response
            if response.status is not None:
                answer = response
            else:
                failure = response
        return answer if answer is not None else failure

    async def _over(self, route: fx.Route, effect: fx.Request, headers: dict[str, str]) -> fx.Response:
        """One attempt over ``route``'s port."""
        try:
            client, base = await self._connection(route)
        except TrustError:  # EVE cannot build its TLS config: an ordinary failure, not a remote temporary one
            return fx.Response(None, error="cert_unknown_authority")
        except ValueError:
            return fx.Response(None, error="unreachable")
        try:
            async with asyncio.timeout(max(effect.timeout, 0.0)):
                async with client.stream(effect.method, base + effect.path, content=effect.body, headers=headers,
                                         timeout=_timeout(effect.timeout)) as response:
                    body = await _read_capped(response)
                    return fx.Response(response.status_code, body, response.headers.get("content-type", ""))
        except (httpx.HTTPError, httpx.InvalidURL, OSError, BodyTooLarge) as exc:
            return fx.Response(None, error=classify(exc))

    async def download(self, effect: fx.Download) -> fx.DownloadResult:
        """Stream a blob to ``/persist/downloads/<sha256>``; check its size and digest before keeping it."""
        want = effect.sha256.lower()
        if not _SHA256.fullmatch(want):
            return fx.DownloadResult(None, f"bad sha256 {effect.sha256!r}")
        blob = f"{DOWNLOADS}/{want}"
        final = self.state.host_path(blob)
        part = final.with_name(want + ".part")
        final.parent.mkdir(parents=True, exist_ok=True)
        got: str | None = None
        route = next(iter(dpc.ports_in_turn(self.routes, None, effect.max_cost)), None)
        try:
            if route is None:
                raise DownloadFailed(f"no management port within network.download.max.cost {effect.max_cost}")
            client, _ = await self._connection(route)
            digest = await self._fetch(client, effect, part)
        except DownloadFailed as exc:
            error = str(exc)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError, BodyTooLarge) as exc:
            error = f"{classify(exc)}: {exc}"
        else:
            got = digest
            error = "" if digest == want else f"sha256 mismatch: got {digest[:12]}, want {want[:12]}"
        if error:
            part.unlink(missing_ok=True)
            return fx.DownloadResult(None, error, verify_failed=got is not None and got != want)
        os.replace(part, final)
        fsync_dir(final.parent)
        return fx.DownloadResult(blob)

    async def _fetch(self, client: httpx.AsyncClient, effect: fx.Download, part: Path) -> str:
        """Stream the blob into ``part`` (fsynced) and return its sha256 hex digest."""
        timeout = httpx.Timeout(DOWNLOAD_READ_TIMEOUT_S, connect=DIAL_TIMEOUT_S)
        async with client.stream("GET", effect.url, timeout=timeout) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"{response.status_code} for {effect.url}")
            digest = hashlib.sha256()
            size = 0
            with open(part, "wb") as out:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if effect.size_bytes and size > effect.size_bytes:
                        raise DownloadFailed(f"larger than the announced {effect.size_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            return digest.hexdigest()

    async def fetch_pac(self, effect: fx.FetchPac) -> fx.PacFetched:
        """GET a PAC file directly over ``effect.port`` (15 s at most): it must come with EVE's PAC media type."""
        transport = httpx.AsyncHTTPTransport(local_address=self.ports.get(effect.port))
        try:
            async with httpx.AsyncClient(transport=transport, trust_env=False, follow_redirects=False,
                                         timeout=PAC_TIMEOUT_S) as client:
                response = await client.get(effect.url)
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return fx.PacFetched(None, f"{classify(exc)}: {exc}")
        if response.status_code not in fx.SUCCESS:
            return fx.PacFetched(None, f"statuscode {response.status_code}")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media != pac.MIME:
            return fx.PacFetched(None, f"Incorrect mime-type {media} from {effect.url}")
        return fx.PacFetched(base64.b64encode(response.content).decode())

    async def aclose(self) -> None:
        """Close the connection pools."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()
