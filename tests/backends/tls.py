"""Local TLS servers for the host backend's HTTPS tests: answering, silent, resetting."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from evesim.api.certs import Issued, Usage, issue


@dataclass(frozen=True)
class Pki:
    """A CA and a TLS server cert it issued for 127.0.0.1 and localhost."""

    ca: Issued
    server: Issued

    @classmethod
    def make(cls, name: str) -> Pki:
        ca = issue(f"{name}-root", Usage.CA, seed=name.encode())
        server = issue("localhost", Usage.TLS_SERVER, issuer=ca, sans=["127.0.0.1", "localhost"], seed=name.encode())
        return cls(ca, server)

    def context(self, directory: Path) -> ssl.SSLContext:
        """A server-side TLS context presenting the server cert."""
        cert, key = directory / "server.pem", directory / "server.key"
        cert.write_bytes(self.server.cert_pem)
        key.write_bytes(self.server.key_pem)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return ctx


@dataclass
class Seen:
    """One request the answering server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    peer: str = ""
    """The address the request came from."""


@dataclass
class Answer:
    """What the answering server replies."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/x-proto-binary"


@dataclass
class Answering:
    """An HTTPS server recording requests and replying with ``answer``; ``server`` is ``host:port``."""

    server: str
    seen: list[Seen] = field(default_factory=list)
    answer: Answer = field(default_factory=Answer)
    routes: dict[str, Answer] = field(default_factory=dict)


def serve_https(ctx: ssl.SSLContext) -> tuple[Answering, ThreadingHTTPServer]:
    """Start an answering HTTPS server on 127.0.0.1 (stop it with ``shutdown``)."""
    state = Answering("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body, self.client_address[0]))
            answer = state.routes.get(self.path, state.answer)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = _handle

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    state.server = f"127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return state, httpd


class RawServer:
    """A TCP server that never answers (``silent``) or resets after the TLS handshake and request (``reset``)."""

    def __init__(self, mode: str, ctx: ssl.SSLContext | None = None) -> None:
        self.mode = mode
        self.ctx = ctx
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.server = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "silent":
                self.held.append(conn)
            else:
                threading.Thread(target=self._reset, args=(conn,), daemon=True).start()

    def _reset(self, conn: socket.socket) -> None:
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
            tls.recv(65536)
            tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            tls.close()
        except OSError:
            conn.close()

    def close(self) -> None:
        self._closed = True
        self.sock.close()
        for conn in self.held:
            conn.close()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
