"""A served controller's data directory, and serving it over HTTPS with uvicorn.

First start creates, in DIR: the controller PKI (``root-certificate.pem`` is the root devices
trust), ``admin-token``, ``server`` (``host:port``), a test-fleet onboarding cert and key
(``onboard.cert.pem``, ``onboard.key.pem``; on the allow-list for any serial) and the SQLite store
``controller.sqlite``; serving with ``--admin-auth mtls`` adds an admin client cert and key issued by the root
(``admin.cert.pem``, ``admin.key.pem``) and ``admin-server`` (``host:port`` of the admin listener). Later starts
reuse all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import resource
import secrets
import signal
import socket
import ssl
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from evesim.api.certs import Usage, issue
from evesim.controller.admin import LiveStreams
from evesim.controller.adminauth import AdminAuth, AdminGate, exposure_problem
from evesim.controller.app import create_app
from evesim.controller.core import Controller
from evesim.controller.datafiles import DataDir
from evesim.controller.identity import ControllerIdentity
from evesim.controller.limits import (
    DEFAULT_PORT,
    INFO_OBJECTS,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_CLIENT,
    REQUEST_TIMEOUT_S,
    SERIES_BYTES,
)
from evesim.controller.policy import Policy
from evesim.controller.private_files import create_private, narrow, private_dir, write_private
from evesim.controller.stores import KINDS, Limits, SqliteStore
from evesim.controller.stores.base import UNBOUNDED, SeriesKind

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from evesim.controller.protocol import GuardedProtocol

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
_LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
_DNS_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?")


def open_controller(directory: str | os.PathLike[str], host: str = "127.0.0.1", policy: Policy | None = None,
                    names: Sequence[str] = (), limits: Limits | None = None) -> tuple[Controller, DataDir]:
    """The controller of ``directory``, creating identity, token, onboarding files and store on first use; the store
    keeps what ``limits`` allow (default ``served_limits()``).

    Its TLS certificate covers ``host`` (the machine's names and addresses when ``host`` is a wildcard), localhost
    and ``names``; a name it lacks gets a new certificate from the same root, so devices keep trusting it.
    """
    data = DataDir(Path(directory))
    private_dir(data.path)
    narrow(data.private_files())
    if ControllerIdentity.exists(data.path):
        identity = ControllerIdentity.load(data.path)
    else:
        identity = ControllerIdentity.generate()
    served = identity.with_server_hosts(served_names(host, names))
    if served is not identity or not ControllerIdentity.exists(data.path):
        served.save(data.path)
    if not data.token_file.exists():
        write_private(data.token_file, secrets.token_urlsafe(32).encode())
    create_private(data.store_file)  # SQLite gives its -wal and -shm files the database file's mode
    ctl = Controller(store=SqliteStore(data.store_file, limits or served_limits()), identity=served, policy=policy)
    if not data.onboard_cert.exists():
        onboard = issue("evesim-test-fleet-onboarding", Usage.ONBOARDING)
        write_private(data.onboard_key, onboard.key_pem)
        data.onboard_cert.write_bytes(onboard.cert_pem)
        ctl.onboard_add(onboard.cert_pem, ["*"])
    return ctl, data




def served_limits(sizes: Mapping[SeriesKind, int] | None = None, max_objects: int = INFO_OBJECTS) -> Limits:
    """A served controller's retention: each series bounded by bytes (``sizes``, else ``SERIES_BYTES``; 0 also
    means the default, as for Adam's flags), not by a count of items; at most ``max_objects`` info objects."""
    given = sizes or {}
    size = {kind: given.get(kind) or SERIES_BYTES for kind in KINDS}
    counts: dict[str, int] = {kind: UNBOUNDED for kind in KINDS}
    return replace(Limits(), **counts, max_bytes=tuple(size.items()), max_objects=max_objects)


FILE_HEADROOM = 64
"""Open files besides connections: the store, logs, listening sockets."""
KEEP_ALIVE_S = 90
"""Idle keep-alive: longer than EVE's config poll interval, so polling devices keep their TLS session."""


@dataclass(frozen=True)
class Options:
    """How ``serve`` runs besides where: who may administer it, what it keeps, where it writes device files."""

    admin_auth: AdminAuth = "token"
    admin_port: int | None = None
    none_anywhere: bool = False
    limits: Limits | None = None
    conf_dir: Path | None = None
    request_timeout: float = REQUEST_TIMEOUT_S
    """Seconds a connection has to deliver a request whole (and its first one after connecting)."""
    max_connections: int | None = None
    """Open connections and requests in progress beyond which new requests are answered 503 (None: ``MAX_CONNECTIONS``
    or as many as the open-file limit allows)."""
    max_connections_per_client: int = MAX_CONNECTIONS_PER_CLIENT
    """Open connections one client address may have; past it a new one is answered 429 and closed (0: no cap)."""
    access_log: bool = False
    """Log every request to standard output (uvicorn's access log)."""


def serve(directory: str | os.PathLike[str], host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          policy: Policy | None = None, names: Sequence[str] = (), options: Options = Options()) -> None:
    """Serve the controller of ``directory`` over HTTPS until interrupted (port 0 picks a free one).

    ``admin_auth`` "none" needs a loopback ``host`` unless ``none_anywhere``; "mtls" serves the admin API on
    ``admin_port`` (default ``port`` + 1, or a free one when ``port`` is 0) with client certificates. With a
    ``conf_dir``, the files a device's ``/config`` needs to reach this controller are written there.
    """
    admin_auth, admin_port, none_anywhere = options.admin_auth, options.admin_port, options.none_anywhere
    import uvicorn

    problem = exposure_problem(admin_auth, host, none_anywhere)
    if problem:
        raise ValueError(problem)
    ctl, data = open_controller(directory, host, policy, names, options.limits)
    gate = AdminGate(admin_auth, data.token())
    sock = _listen(host, port)
    admin_sock = _listen(host, _admin_port(port, admin_port)) if admin_auth == "mtls" else None
    bound_port = sock.getsockname()[1]
    data.server_file.write_text(f"{_reachable(host)}:{bound_port}\n")
    data.admin_server_file.unlink(missing_ok=True)
    if options.conf_dir is not None:
        device_host = names[0] if host in _WILDCARDS and names else _reachable(host)
        write_device_config(data, options.conf_dir, f"{device_host}:{bound_port}\n".encode())
    app = create_app(ctl, gate)
    cap = allow_open_files(options.max_connections or MAX_CONNECTIONS)
    if options.max_connections and cap < options.max_connections:
        print(f"evesim controller: WARNING: the open-file limit allows {cap} connections, not "
              f"{options.max_connections}: raise it (ulimit -n)", file=sys.stderr, flush=True)
    options = replace(options, max_connections=cap)
    from evesim.controller.protocol import GuardedProtocol

    config = uvicorn.Config(app, **_settings(data, options, GuardedProtocol))  # type: ignore[arg-type]
    servers = [(_server(config, app.state.streams, own_signals=admin_sock is None), sock)]
    print(f"evesim controller: serving https://{_reachable(host)}:{bound_port} (data in {data.path})", flush=True)
    print(f"evesim controller: its certificate is valid for {', '.join(ctl.identity.server_hosts)}", flush=True)
    if admin_sock is not None:
        servers.append((_admin_server(app, data, options), admin_sock))
        admin_address = f"{_reachable(host)}:{admin_sock.getsockname()[1]}"
        data.admin_server_file.write_text(admin_address + "\n")
        print(f"evesim controller: admin API on https://{admin_address} for client certificates issued by "
              f"root-certificate.pem ({data.admin_cert.name} and {data.admin_key.name} are one)", flush=True)
    if admin_auth == "none":
        print(f"evesim controller: WARNING: the admin API on {host} has no authentication (--admin-auth none, "
              "as Adam): whoever reaches it administers every device", file=sys.stderr, flush=True)
    try:
        _run(servers)
    finally:
        ctl.store.close()


DEVICE_FILES = ("server", "root-certificate.pem", "onboard.cert.pem", "onboard.key.pem")
"""What a device's ``/config`` needs to onboard with the test-fleet cert (Adam's ``--conf-dir`` writes the first
two)."""


def write_device_config(data: DataDir, conf_dir: Path, server: bytes) -> None:
    """Write ``DEVICE_FILES`` into ``conf_dir``: ``server`` as given (behind a wildcard ``--host`` it names the first
    ``--name``), the others copied (the onboarding key readable by the owner only)."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    (conf_dir / "server").write_bytes(server)
    for name in DEVICE_FILES[1:]:
        content = (data.path / name).read_bytes()
        if name.endswith(".key.pem"):
            write_private(conf_dir / name, content)
        else:
            (conf_dir / name).write_bytes(content)


def _settings(data: DataDir, options: Options, protocol: type[GuardedProtocol]) -> dict[str, object]:
    """uvicorn's settings for one listener: TLS, quiet logs, keep-alive, the request deadline, the connection cap."""
    from evesim.controller.protocol import guarded

    return {
        "ssl_certfile": str(data.path / "server.cert.pem"),
        "ssl_keyfile": str(data.path / "server.key.pem"),
        "log_level": "info" if options.access_log else "warning",
        "access_log": options.access_log,
        "proxy_headers": False,
        "timeout_keep_alive": KEEP_ALIVE_S,
        "timeout_graceful_shutdown": 2,
        "http": guarded(protocol, options.request_timeout, options.max_connections_per_client),
        "limit_concurrency": options.max_connections,
    }


def allow_open_files(connections: int) -> int:
    """Raise this process's open-file limit (soft, up to the hard one) so ``connections`` sockets fit; the number of
    connections that fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + FILE_HEADROOM
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return connections if soft == resource.RLIM_INFINITY else min(connections, soft - FILE_HEADROOM)


def _admin_port(port: int, admin_port: int | None) -> int:
    if admin_port is not None:
        return admin_port
    return 0 if port == 0 else port + 1


def _admin_server(app: FastAPI, data: DataDir, options: Options) -> uvicorn.Server:
    """The admin listener of ``mtls``: it requires a client certificate from the root and runs no lifespan."""
    import uvicorn

    from evesim.controller.protocol import ClientCertProtocol

    if not data.admin_cert.exists():
        identity = ControllerIdentity.load(data.path)
        admin = issue("evesim-admin", Usage.ADMIN_CLIENT, issuer=identity.root)
        write_private(data.admin_key, admin.key_pem)
        data.admin_cert.write_bytes(admin.cert_pem)
    config = uvicorn.Config(app, **_settings(data, options, ClientCertProtocol), lifespan="off",  # type: ignore[arg-type]
                            ssl_cert_reqs=ssl.CERT_REQUIRED, ssl_ca_certs=str(data.root_cert))
    return _server(config, app.state.streams, own_signals=False)


def _run(servers: list[tuple[uvicorn.Server, socket.socket]]) -> None:
    """Run every server until a signal stops them all."""
    if len(servers) == 1:
        server, sock = servers[0]
        server.run(sockets=[sock])
        return

    def stop_all(sig: int, frame: object) -> None:
        for server, _ in servers:
            server.should_exit = True

    async def together() -> None:
        await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in servers))

    previous = {sig: signal.signal(sig, stop_all) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(together())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _server(config: uvicorn.Config, streams: LiveStreams, own_signals: bool) -> uvicorn.Server:
    """uvicorn's server, ending the live (``X-Stream``) responses first when it shuts down, so that followers see
    their stream end cleanly instead of being cut after the graceful-shutdown timeout.

    Without ``own_signals`` it leaves signal handling to its caller (two servers share one process).
    """
    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            streams.end()
            await super().shutdown(sockets)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if own_signals:
                with super().capture_signals():
                    yield
            else:
                yield

    return Server(config)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def served_names(host: str, names: Sequence[str] = ()) -> list[str]:
    """The names and addresses devices may reach a controller listening on ``host`` by, ``names`` last."""
    found = [_reachable(host), "localhost", "127.0.0.1"]
    if host in _WILDCARDS:
        found += _machine_names()
    for name in names:
        problem = name_problem(name)
        if problem:
            raise ValueError(problem)
    return list(dict.fromkeys([*found, *names]))


def name_problem(name: str) -> str:
    """Why ``name`` cannot go into a TLS certificate ("" if it can): an IP address or a DNS name."""
    try:
        ipaddress.ip_address(name)
        return ""
    except ValueError:
        pass
    if not _DNS_NAME.fullmatch(name) or len(name) > 253:
        return f"{name[:80]!r} is neither an IP address nor a DNS name"
    return ""


def _machine_names() -> list[str]:
    """This machine's host names and the addresses they resolve to (what a wildcard listener is reached by)."""
    hostname = socket.gethostname()
    names = [hostname, socket.getfqdn()]
    try:
        infos = socket.getaddrinfo(hostname, None, proto=socket.IPPROTO_TCP)
    except OSError:
        infos = []
    names += [str(info[4][0]) for info in infos]
    return [n for n in dict.fromkeys(names) if n and not name_problem(n)]


def _reachable(host: str) -> str:
    """The address devices should use for ``host`` (a wildcard bind is reached via loopback)."""
    return _WILDCARDS.get(host, host)


