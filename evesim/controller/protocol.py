"""uvicorn's HTTP protocol with what a controller facing the internet needs and uvicorn lacks.

A request deadline: a connection must deliver each request whole (headers and body) within ``request_timeout``
seconds of its first byte, and its first request within as long of connecting, else it is closed; slow clients
cannot hold connections for ever. A cap per client address: past ``per_client`` open connections from one address,
a new one is answered 429 and closed, so one host cannot take every connection the server allows. And for the
``mtls`` admin listener, ASGI's TLS extension: each request's scope
names the client's certificate.
"""

from __future__ import annotations

import asyncio
import ssl

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_REFUSAL = b"too many connections from this address\n"
TOO_MANY = (b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(_REFUSAL), _REFUSAL))
"""The answer to a connection past its address's cap."""


class GuardedProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that closes a connection whose request does not arrive whole in time, and refuses one
    past its address's cap (``guarded`` sets both)."""

    request_timeout: float
    per_client: int = 0
    """Open connections one address may have (0: no cap)."""
    _open: dict[str, int]
    """Open connections per client address, shared by the server's connections."""
    _peer: str = ""
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) else ""
        self._open[self._peer] = self._open.get(self._peer, 0) + 1
        if self.per_client and self._open[self._peer] > self.per_client:
            transport.write(TOO_MANY)
            transport.close()
            return
        self._start()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._start()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._stop()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        left = self._open.get(self._peer, 1) - 1
        if left > 0:
            self._open[self._peer] = left
        else:
            self._open.pop(self._peer, None)
        super().connection_lost(exc)

    def _start(self) -> None:
        self._deadline = self.loop.call_later(self.request_timeout, self._expire)

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        """Drop the connection at once: a TLS close would wait for the slow peer's answer to its close_notify."""
        self._deadline = None
        self.transport.abort()


class ClientCertProtocol(GuardedProtocol):
    """``GuardedProtocol`` that adds ``extensions.tls.client_cert_chain`` (PEM, leaf only) to every scope."""

    _tls: dict[object, object]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._tls = tls_extension(transport.get_extra_info("ssl_object"))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {"tls": dict(self._tls)}


def guarded(base: type[GuardedProtocol], request_timeout: float, per_client: int = 0) -> type[GuardedProtocol]:
    """``base`` with its deadline set to ``request_timeout`` seconds and at most ``per_client`` connections from an
    address (0: no cap)."""
    return type(base.__name__, (base,), {"request_timeout": request_timeout, "per_client": per_client, "_open": {}})


def tls_extension(ssl_object: ssl.SSLObject | None) -> dict[object, object]:
    """The ASGI TLS extension of a connection (plain connections get an empty chain)."""
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": None,
        "client_cert_error": None,
        "tls_version": None,
        "cipher_suite": None,
    }
