"""The HTTP face of the controller: device API under ``/api/v2/edgedevice``, admin API under ``/admin``.

Device requests skip FastAPI's routing: a small ASGI layer hands them straight to the service
core. The same layer caps every request body (413 above the limit) and refuses admin calls
the admin gate does not admit (401) before their bodies are read or parsed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

from evesim.controller.admin import LiveStreams, admin_router, install_error_handlers
from evesim.controller.adminauth import AdminGate
from evesim.controller.core import PREFIX, Controller, DecodedLogs
from evesim.controller.fleetpage import page_router
from evesim.controller.rollout import ticking
from evesim.controller.stores import StoreError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_DRAIN = 4
ROLLOUT_TICK_S = 5.0
"""How often a served controller advances its rollout campaigns."""


def create_app(controller: Controller, admin: str | AdminGate, max_body: int | None = None,
               rollout_tick_s: float = ROLLOUT_TICK_S) -> FastAPI:
    """A FastAPI app serving ``controller``; ``admin`` decides who may call ``/admin`` (a string is a bearer token).

    Request bodies above ``max_body`` (default: the controller's ``max_body``) get 413. While it runs,
    a background task ticks the controller's rollout campaigns every ``rollout_tick_s``.
    """
    gate = admin if isinstance(admin, AdminGate) else AdminGate("token", admin)
    app = FastAPI(
        title="evesim controller",
        summary="EVE device API v2 (/api/v2/edgedevice) and an Adam-compatible admin API (/admin).",
        version="1",
        telemetry={"tracing": False, "metrics": False, "logs": False},
        lifespan=lambda _: ticking(controller.rollouts, rollout_tick_s),
        redirect_slashes=False,
    )
    app.state.streams = LiveStreams()
    app.include_router(admin_router(controller, gate, app.state.streams))
    app.include_router(page_router())
    install_error_handlers(app)
    limit = controller.max_body if max_body is None else max_body
    app.add_middleware(_Edge, controller=controller, max_body=limit, gate=gate)
    return app


class _Edge:
    """Refuses admin calls the gate does not admit, buffers request bodies up to ``max_body`` (else 413) and
    answers device API paths from the core."""

    def __init__(self, app: ASGIApp, controller: Controller, max_body: int, gate: AdminGate) -> None:
        self.app = app
        self.controller = controller
        self.max_body = max_body
        self.gate = gate
        self.decoders = asyncio.Semaphore(_DECODERS)

    async def _decode(self, method: str, path: str, body: bytes) -> DecodedLogs | None:
        """A signed log upload's costly part, decompressing and parsing it, on a worker thread (a few at a time), so
        that one device cannot stall the others; None for everything else."""
        if not self.controller.authentic_upload(method, path, body):
            return None
        async with self.decoders:
            return await asyncio.to_thread(Controller.decode_logs, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _is_admin(scope["path"]) and not self.gate.admits(_header(scope, b"authorization"), scope):
            challenge = [(k.lower().encode(), v.encode()) for k, v in self.gate.challenge.items()]
            await _respond(send, 401, json.dumps({"detail": self.gate.refusal}).encode(), "application/json", challenge)
            return
        body = None if _declared(scope) > self.max_body else await _read_body(scope, receive, self.max_body)
        if body is None:
            await _respond(send, 413, b"request body too large", "text/plain")
            return
        path: str = scope["path"]
        if path.startswith(PREFIX):
            content_type = _header(scope, b"content-type")
            headers = {} if content_type is None else {"content-type": content_type}
            decoded = await self._decode(scope["method"], path, body)
            try:
                reply = self.controller.handle(scope["method"], path, body, headers, _client(scope), decoded)
            except StoreError as exc:
                await _respond(send, 503, f"{exc}; nothing was stored, try again".encode(), "text/plain")
                return
            await _respond(send, reply.status, reply.body, reply.content_type)
            return
        await self.app(scope, _replay(body, receive), send)


_DECODERS = 2
"""Log uploads decoded at once; more wait their turn."""


def _is_admin(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


def _client(scope: Scope) -> str:
    """The sender's ``host:port`` as Adam records it ("" when the server does not say)."""
    client = scope.get("client")
    if not client:
        return ""
    host, port = client
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), None)


def _declared(scope: Scope) -> int:
    """The request's ``Content-Length`` (0 when absent or not a number): a body declared too large is refused before
    a byte of it is read, so the client is not kept waiting until the request deadline."""
    value = _header(scope, b"content-length")
    return int(value) if value is not None and value.isdigit() else 0


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None if it exceeds ``limit`` bytes.

    An oversized body is still drained (up to a bound) so the client reads the 413 instead of a reset.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body", False) or size > _DRAIN * limit:
            break
    return b"".join(chunks) if size <= limit else None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the buffered body once, then waits on the real one (for disconnects)."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _respond(send: Send, status: int, body: bytes, content_type: str,
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [] if status == 304 else [(b"content-length", str(len(body)).encode())]
    headers.extend(extra or ())
    if content_type:
        headers.append((b"content-type", content_type.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if status == 304 else body})
