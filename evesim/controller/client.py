"""A small client for the admin API, used by the ``evesim controller`` commands."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from evesim.controller.datafiles import DataDir


class AdminError(RuntimeError):
    """The admin API refused a call or could not be reached."""


DOT_SEGMENTS = frozenset({".", "..", "%2e", "%2e%2e", ".%2e", "%2e."})
"""Path segments an HTTP client or server resolves against their parent (RFC 3986 5.2.4), in any case."""


def segment(value: str, what: str) -> str:
    """``value`` as one URL path segment, percent-encoded, so that ``/`` or ``..`` cannot reach another route."""
    from urllib.parse import quote

    if value.lower() in DOT_SEGMENTS or not value:
        raise ValueError(f"{value!r} is not a {what}")
    return quote(value, safe="")


def _checked(path: str) -> str:
    """``path`` if none of its segments is a dot segment: httpx would resolve it to another route."""
    if any(part.lower() in DOT_SEGMENTS for part in path.split("?", 1)[0].split("/")):
        raise AdminError(f"refusing /admin{path}: a '.' or '..' segment would reach another route")
    return path


class AdminClient:
    """Calls ``/admin`` over HTTPS, trusting the controller's root CA, with the bearer token and/or a client
    certificate (``cert`` is a pair of PEM files: certificate and key) when given."""

    def __init__(
        self, server: str, token: str | None, ca: str | os.PathLike[str] | None = None, timeout: float = 30.0,
        cert: tuple[Path, Path] | None = None,
    ) -> None:
        context = ssl.create_default_context(cafile=os.fspath(ca) if ca else None)
        if cert is not None:
            context.load_cert_chain(*cert)
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=server.rstrip("/"), headers=headers, verify=context, timeout=timeout)

    @classmethod
    def resolve(cls, server: str | None, data: Path | None, token: str | None, ca: Path | None) -> AdminClient:
        """A client from explicit options, filling the gaps from a served controller's data directory.

        The client certificate comes from ``EVESIM_ADMIN_CERT`` and ``EVESIM_ADMIN_KEY``, else from DIR when the
        controller serves its admin API with client certificates (``--admin-auth mtls``).
        """
        cert = _env_cert()
        if data is not None:
            directory = DataDir(data)
            try:
                server = server or directory.admin_url()
                token = token or directory.token()
            except OSError as exc:
                raise AdminError(f"{data} is not a controller data directory: {exc}") from exc
            ca = ca or directory.root_cert
            if cert is None and directory.admin_server_file.exists():
                cert = (directory.admin_cert, directory.admin_key)
        if not server:
            raise AdminError("say where the controller is: --data DIR, or --server URL (and --token TOKEN unless "
                             "it serves --admin-auth none or mtls)")
        try:
            return cls(server, token, ca, cert=cert)
        except (OSError, ssl.SSLError) as exc:
            raise AdminError(f"cannot load the CA or client certificate: {exc}") from exc

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One admin request; raises ``AdminError`` for transport failures and 3xx/4xx/5xx answers."""
        try:
            response = self._http.request(method, f"/admin{_checked(path)}", **kwargs)
        except httpx.HTTPError as exc:
            raise AdminError(f"cannot reach the controller: {exc}") from exc
        if response.status_code >= 300:
            raise AdminError(f"{method} /admin{path}: {response.status_code} {_detail(response)}")
        return response

    def stream(self, path: str) -> Iterator[str]:
        """The lines of a live feed (``X-Stream: true``) as they arrive; it waits for them without a timeout."""
        timeout = httpx.Timeout(self.timeout, read=None)
        url = f"/admin{_checked(path)}"
        try:
            with self._http.stream("GET", url, headers={"X-Stream": "true"}, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise AdminError(f"GET /admin{path}: {response.status_code} {_detail(response)}")
                yield from response.iter_lines()
        except httpx.HTTPError as exc:
            raise AdminError(f"cannot reach the controller: {exc}") from exc

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def _env_cert() -> tuple[Path, Path] | None:
    cert, key = os.environ.get("EVESIM_ADMIN_CERT"), os.environ.get("EVESIM_ADMIN_KEY")
    if not cert:
        return None
    return Path(cert), Path(key or cert)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        return response.text.strip()
    return str(detail)
