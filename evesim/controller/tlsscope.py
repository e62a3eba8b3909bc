"""uvicorn's HTTP protocol plus ASGI's TLS extension: each request's scope names the client's certificate.

uvicorn does not fill ``scope["extensions"]["tls"]``; the admin listener of ``--admin-auth mtls`` needs it.
"""

from __future__ import annotations

import asyncio
import ssl

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class ClientCertProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that adds ``extensions.tls.client_cert_chain`` (PEM, leaf only) to every scope."""

    _tls: dict[object, object]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._tls = tls_extension(transport.get_extra_info("ssl_object"))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {"tls": dict(self._tls)}


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
