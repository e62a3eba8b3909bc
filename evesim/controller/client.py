"""A small client for the admin API, used by the ``evesim controller`` commands."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from evesim.controller.datadir import DataDir


class AdminError(RuntimeError):
    """The admin API refused a call or could not be reached."""


class AdminClient:
    """Calls ``/admin`` over HTTPS with the bearer token, trusting the controller's root CA."""

    def __init__(
        self, server: str, token: str, ca: str | os.PathLike[str] | None = None, timeout: float = 30.0
    ) -> None:
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=os.fspath(ca)) if ca else True
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=server.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, verify=verify, timeout=timeout
        )

    @classmethod
    def resolve(cls, server: str | None, data: Path | None, token: str | None, ca: Path | None) -> AdminClient:
        """A client from explicit options, filling the gaps from a served controller's data directory."""
        if data is not None:
            directory = DataDir(data)
            try:
                server = server or directory.server_url()
                token = token or directory.token()
            except OSError as exc:
                raise AdminError(f"{data} is not a controller data directory: {exc}") from exc
            ca = ca or directory.root_cert
        if not server or not token:
            raise AdminError("say where the controller is: --data DIR, or --server URL and --token TOKEN")
        return cls(server, token, ca)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One admin request; raises ``AdminError`` for transport failures and 3xx/4xx/5xx answers."""
        try:
            response = self._http.request(method, f"/admin{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise AdminError(f"cannot reach the controller: {exc}") from exc
        if response.status_code >= 300:
            raise AdminError(f"{method} /admin{path}: {response.status_code} {_detail(response)}")
        return response

    def stream(self, path: str) -> Iterator[str]:
        """The lines of a live feed (``X-Stream: true``) as they arrive; it waits for them without a timeout."""
        timeout = httpx.Timeout(self.timeout, read=None)
        try:
            with self._http.stream("GET", f"/admin{path}", headers={"X-Stream": "true"}, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise AdminError(f"GET /admin{path}: {response.status_code} {_detail(response)}")
                yield from response.iter_lines()
        except httpx.HTTPError as exc:
            raise AdminError(f"cannot reach the controller: {exc}") from exc

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        return response.text.strip()
    return str(detail)
