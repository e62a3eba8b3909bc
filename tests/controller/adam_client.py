"""An admin client written from Adam's and Eden's published behaviour, independent of evesim's own code.

Each ``AdamCli`` method sends exactly what one verb of Adam's CLI sends (lf-edge/adam ``cmd/onboard.go``,
``cmd/device.go``: paths, methods, bodies as Go's ``encoding/json`` marshals them, and no header that Go's HTTP
client would not send); each ``EdenAdam`` method does what Eden's Adam client does (lf-edge/eden
``pkg/controller/adam/adam.go``, and its reader ``pkg/controller/loaders/remoteLoader.go``). Both use
``http.client`` so that no library adds headers.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509


@dataclass
class Answer:
    """An HTTP answer."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> object:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def go_json(value: object) -> bytes:
    """JSON as Go's ``json.Marshal`` writes it: compact."""
    return json.dumps(value, separators=(",", ":")).encode()


def go_bytes(data: bytes | None) -> str | None:
    """A Go ``[]byte`` in JSON: base64, or null when nil."""
    return None if data is None else base64.b64encode(data).decode()


def friendly_cn(cn: str) -> str:
    """``getFriendlyCN`` of Adam's CLI (``cmd/common.go``)."""
    return re.sub(r"[^a-zA-Z0-9\\.\-]", "_", cn)


class Stream:
    """An ``X-Stream: true`` answer being read."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.response = response
        self.status = response.status

    def line(self) -> bytes:
        """The next line the server writes (a timeout error if none comes within 10 s)."""
        return self.response.readline().rstrip(b"\n")


class Http:
    """HTTPS to one server, trusting ``ca``; ``token`` (if any) goes into every request, as a proxy could add it."""

    def __init__(self, server: str, ca: Path, token: str | None = None) -> None:
        parts = urlsplit(server)
        self.host, self.port = parts.hostname or "", parts.port or 443
        self.context = ssl.create_default_context(cafile=str(ca))
        self.token = token

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        conn = self._connect()
        try:
            conn.request(method, path, body=body, headers=self._headers(headers))
            response = conn.getresponse()
            return Answer(response.status, response.read(), dict(response.getheaders()))
        finally:
            conn.close()

    @contextmanager
    def follow(self, path: str) -> Iterator[Stream]:
        """A ``GET`` with ``X-Stream: true`` whose status line and headers arrived within 10 s (Eden's
        ``ResponseHeaderTimeout``); closed on leaving."""
        conn = self._connect()
        try:
            conn.request("GET", path, headers=self._headers({"X-Stream": "true"}))
            yield Stream(conn.getresponse())
        finally:
            conn.close()

    def _connect(self, timeout: float = 10) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=timeout)

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        extra = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**(headers or {}), **extra}


class AdamCli:
    """The verbs of ``adam admin``."""

    def __init__(self, http: Http) -> None:
        self.http = http

    def onboard_list(self) -> Answer:
        return self.http.request("GET", "/admin/onboard")

    def onboard_add(self, path: Path, serial: str = "") -> Answer:
        body = go_json({"Cert": go_bytes(path.read_bytes()), "Serial": serial})
        return self.http.request("POST", "/admin/onboard", body, {"Content-Type": "application/json"})

    def onboard_get(self, cn: str) -> Answer:
        return self.http.request("GET", f"/admin/onboard/{friendly_cn(cn)}")

    def onboard_remove(self, cn: str | None = None, path: Path | None = None) -> Answer:
        if path is not None:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            cn = str(cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value)
        assert cn is not None
        return self.http.request("DELETE", f"/admin/onboard/{friendly_cn(cn)}")

    def onboard_clear(self) -> Answer:
        return self.http.request("DELETE", "/admin/onboard")

    def device_list(self) -> Answer:
        return self.http.request("GET", "/admin/device")

    def device_get(self, uuid: str) -> Answer:
        return self.http.request("GET", f"/admin/device/{uuid}")

    def device_add(self, path: Path) -> Answer:
        body = go_json({"Cert": go_bytes(path.read_bytes()), "Onboard": None, "Serial": ""})
        return self.http.request("POST", "/admin/device", body, {"Content-Type": "application/json"})

    def device_remove(self, uuid: str) -> Answer:
        return self.http.request("DELETE", f"/admin/device/{uuid}")

    def device_clear(self) -> Answer:
        return self.http.request("DELETE", "/admin/device")

    def device_config_get(self, uuid: str) -> Answer:
        return self.http.request("GET", f"/admin/device/{uuid}/config")

    def device_config_set(self, uuid: str, config: bytes) -> Answer:
        return self.http.request("PUT", f"/admin/device/{uuid}/config", config)

    def device_series(self, uuid: str, series: str) -> Answer:
        """``device logs|info|requests --uuid U``."""
        return self.http.request("GET", f"/admin/device/{uuid}/{series}")

    def device_follow(self, uuid: str, series: str) -> AbstractContextManager[Stream]:
        """``device logs|info|requests --uuid U --follow``."""
        return self.http.follow(f"/admin/device/{uuid}/{series}")


class EdenAdam:
    """The admin calls of Eden's Adam client."""

    def __init__(self, http: Http) -> None:
        self.http = http

    def upload_device_cert(self, cert: bytes, onboard: bytes | None, serial: str) -> Answer:
        body = go_json({"Cert": go_bytes(cert), "Onboard": go_bytes(onboard), "Serial": serial})
        return self.http.request("POST", "/admin/device", body, {"Content-Type": "text/plain"})

    def device_list(self) -> list[str]:
        answer = self.http.request("GET", "/admin/device", headers={"Accept": "application/json"})
        assert answer.status == 200
        return answer.text.split()

    def device_get(self, uuid: str) -> Answer:
        return self.http.request("GET", f"/admin/device/{uuid}", headers={"Accept": "application/json"})

    def config_set(self, uuid: str, config: bytes) -> Answer:
        return self.http.request("PUT", f"/admin/device/{uuid}/config", config,
                                 {"Content-Type": "application/x-proto-binary"})

    def config_get(self, uuid: str) -> Answer:
        return self.http.request("GET", f"/admin/device/{uuid}/config",
                                 headers={"Accept": "application/x-proto-binary"})

    def certs(self, uuid: str) -> Answer:
        return self.http.request("GET", f"/admin/device/{uuid}/certs", headers={"Accept": "application/json"})

    def set_device_options(self, uuid: str, options: dict[str, object]) -> Answer:
        return self.http.request("PUT", f"/admin/device/{uuid}/options", go_json(options),
                                 {"Content-Type": "application/json"})

    def device_options(self, uuid: str) -> Answer:
        return self.http.request("GET", f"/admin/device/{uuid}/options", headers={"Accept": "application/json"})

    def set_global_options(self, options: dict[str, object]) -> Answer:
        return self.http.request("PUT", "/admin/options", go_json(options), {"Content-Type": "application/json"})

    def global_options(self) -> Answer:
        return self.http.request("GET", "/admin/options", headers={"Accept": "application/json"})

    def device_remove(self, uuid: str) -> Answer:
        return self.http.request("DELETE", f"/admin/device/{uuid}")

    def load(self, url: str) -> Answer:
        """``RemoteLoader``'s read of what is kept (``ProcessExisting``, and the first load of a stream): no header."""
        return self.http.request("GET", url)

    def load_stream(self, url: str) -> AbstractContextManager[Stream]:
        """``RemoteLoader``'s ``ProcessStream`` after its first load: the same URL with ``X-Stream: true``."""
        return self.http.follow(url)

    def onboard_remove(self, cn: str) -> Answer:
        return self.http.request("DELETE", f"/admin/onboard/{cn}")
