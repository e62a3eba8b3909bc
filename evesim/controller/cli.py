"""``evesim controller ...``: serve a controller, and administer one over its admin API."""

from __future__ import annotations

import base64
import enum
import itertools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from evesim.controller import admincli
from evesim.controller.limits import (
    DEFAULT_PORT,
    INFO_OBJECTS,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_CLIENT,
    REQUEST_TIMEOUT_S,
    SERIES_BYTES,
)

if TYPE_CHECKING:  # the client (httpx) and the server load only when a command needs them: the CLI starts fast
    from evesim.controller.client import AdminClient

app = typer.Typer(help="evesim's EVE controller: serve it, and administer it over its admin API.", no_args_is_help=True)
onboard_app = typer.Typer(help="The onboarding allow-list.", no_args_is_help=True)
device_app = typer.Typer(help="Registered devices.", no_args_is_help=True)
config_app = typer.Typer(help="A device's config, as JSON (protojson of EdgeDevConfig).", no_args_is_help=True)
app.add_typer(onboard_app, name="onboard")
app.add_typer(device_app, name="device")
app.add_typer(config_app, name="config")
device_app.command("list")(admincli.devices_command)
app.command("items")(admincli.items_command)
app.command("baseos")(admincli.baseos_command)
app.command("ports")(admincli.ports_command)
app.command("reboot")(admincli.reboot_command)
app.add_typer(admincli.app_app, name="app")
app.add_typer(admincli.netinst_app, name="netinst")
app.add_typer(admincli.rollout_app, name="rollout")
app.command("call")(admincli.call_command)


class AdminAuthMode(enum.StrEnum):
    """``--admin-auth`` choices (``evesim.controller.adminauth.AdminAuth``)."""

    token = "token"
    none = "none"
    mtls = "mtls"


def _bytes(*names: str) -> typer.models.OptionInfo:
    """A per-series byte limit option (the second name, if any, is adam server's)."""
    return typer.Option(*names, min=0, metavar="BYTES", show_default=False,
                        help=f"Bytes each device keeps of this series, oldest dropped first (default and 0: "
                             f"{SERIES_BYTES >> 20} MiB, as Adam)")


Server = Annotated[str | None, typer.Option("--server", envvar="EVESIM_CONTROLLER", help="https://host:port")]
Data = Annotated[
    Path | None, typer.Option("--data", envvar="EVESIM_CONTROLLER_DATA", help="Data dir: server, token and CA")
]
Token = Annotated[str | None, typer.Option("--token", envvar="EVESIM_ADMIN_TOKEN", help="Admin bearer token")]
Ca = Annotated[Path | None, typer.Option("--ca", help="PEM of the root CA that signed the controller's TLS cert")]


def _device_uuid(value: str) -> str:
    """A device UUID argument in canonical form (it goes into a URL path): a usage error if it is not a UUID."""
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a UUID") from None


Uuid = Annotated[str, typer.Argument(help="Device UUID", callback=_device_uuid)]
Follow = Annotated[bool, typer.Option("--follow", "-f", help="Print new items as they arrive (X-Stream), until Ctrl-C")]
Count = Annotated[int | None, typer.Option("--count", min=1, help="With --follow: stop after this many items")]
Backfill = Annotated[int, typer.Option("--backfill", min=0, help="With --follow: first print this many of the most "
                                       "recent kept items")]


@app.command()
def serve(
    data: Annotated[Path, typer.Option("--data", help="Data directory (created on first start)")],
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0 = any free port)")] = DEFAULT_PORT,
    policy: Annotated[str, typer.Option(
        "--policy", help="How the device API answers: evesim (lf-edge/eve-api APIv2.md) or adam (as lf-edge/adam)")
    ] = "evesim",
    unknown_device: Annotated[int | None, typer.Option(
        "--unknown-device-status", help="Answer to an unknown device certificate: 400 or 401 (default: the policy's)")
    ] = None,
    name: Annotated[list[str] | None, typer.Option(
        "--name", help="Another name or address devices reach this controller by (repeatable); the TLS "
        "certificate covers it besides --host, localhost and, with a wildcard --host, this machine's names")
    ] = None,
    admin_auth: Annotated[AdminAuthMode, typer.Option(
        "--admin-auth", help="Who may use /admin: token (the bearer token in DIR/admin-token), none (anyone, as "
        "Adam; loopback --host only unless --admin-auth-none-anywhere) or mtls (a client certificate issued by "
        "DIR/root-certificate.pem, such as DIR/admin.cert.pem, on --admin-port)")
    ] = AdminAuthMode.token,
    none_anywhere: Annotated[bool, typer.Option(
        "--admin-auth-none-anywhere", help="Allow --admin-auth none on a --host other networks reach")
    ] = False,
    admin_port: Annotated[int | None, typer.Option(
        "--admin-port", min=0, max=65535,
        help="With --admin-auth mtls: the admin API's port (default --port + 1; 0 = any free port)")
    ] = None,
    conf_dir: Annotated[Path | None, typer.Option(
        "--conf-dir", help="Also write there what a device's /config needs to onboard here: server, "
        "root-certificate.pem and the test-fleet onboarding cert and key (as adam server --conf-dir)")
    ] = None,
    request_timeout: Annotated[float, typer.Option(
        "--request-timeout", min=0.1, metavar="SECONDS", help="A connection must deliver each request whole within "
        "this many seconds of its first byte (and its first request of connecting), else it is closed")
    ] = REQUEST_TIMEOUT_S,
    max_connections: Annotated[int | None, typer.Option(
        "--max-connections", min=1, show_default=False, help=f"Connections and requests in progress beyond which "
        f"new requests get 503 (the open-file limit is raised to fit). Devices keep their connection between polls: "
        f"give more than the fleet's size. Default: {MAX_CONNECTIONS}, or what the open-file limit allows")
    ] = None,
    max_per_client: Annotated[int, typer.Option(
        "--max-connections-per-client", min=0, help="Open connections one client address may have; past it a new "
        "one is answered 429 and closed. Devices behind one NAT address share it. 0: no cap")
    ] = MAX_CONNECTIONS_PER_CLIENT,
    max_logs: Annotated[int, _bytes("--max-logs-bytes", "--max-log-size")] = 0,
    max_info: Annotated[int, _bytes("--max-info-bytes", "--max-info-size")] = 0,
    max_metrics: Annotated[int, _bytes("--max-metrics-bytes", "--max-metric-size")] = 0,
    max_requests: Annotated[int, _bytes("--max-requests-bytes", "--max-requests-size")] = 0,
    max_flowlog: Annotated[int, _bytes("--max-flowlog-bytes", "--max-flow-message-size")] = 0,
    max_app_logs: Annotated[int, _bytes("--max-app-logs-bytes", "--max-app-logs-size")] = 0,
    max_hardwarehealth: Annotated[int, _bytes("--max-hardwarehealth-bytes")] = 0,
    max_objects: Annotated[int, typer.Option(
        "--max-info-objects", min=1, help="Distinct info objects whose latest info each device keeps; past it the "
        "one reported least recently is dropped")
    ] = INFO_OBJECTS,
    access_log: Annotated[bool, typer.Option(
        "--access-log", help="Log every request (client, method, path, status) to standard output")
    ] = False,
) -> None:
    """Serve the device and admin APIs over HTTPS; DIR keeps identity and data across restarts."""
    from evesim.controller.adminauth import exposure_problem
    from evesim.controller.datadir import Options, name_problem, served_limits
    from evesim.controller.datadir import serve as run
    from evesim.controller.policy import profile

    for given in name or ():
        if name_problem(given):
            raise typer.BadParameter(name_problem(given), param_hint="--name")
    changes = {} if unknown_device is None else {"unknown_device_status": unknown_device}
    try:
        chosen = profile(policy, **changes)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--policy" if policy not in _profiles() else
                                 "--unknown-device-status") from exc
    if admin_port is not None and admin_auth is not AdminAuthMode.mtls:
        raise typer.BadParameter("only --admin-auth mtls has an admin port of its own", param_hint="--admin-port")
    if admin_auth is AdminAuthMode.mtls and admin_port is None and port == 65535:
        raise typer.BadParameter("--port 65535 leaves no --port + 1: give --admin-port", param_hint="--admin-port")
    if admin_auth is AdminAuthMode.mtls and admin_port is not None and admin_port == port != 0:
        raise typer.BadParameter("the admin port must differ from --port", param_hint="--admin-port")
    problem = exposure_problem(admin_auth.value, host, none_anywhere)
    if problem:
        raise typer.BadParameter(problem, param_hint="--admin-auth")
    sizes = {"logs": max_logs, "info": max_info, "metrics": max_metrics, "requests": max_requests,
             "flowlog": max_flowlog, "applogs": max_app_logs, "hardwarehealth": max_hardwarehealth}
    limits = served_limits(sizes, max_objects)  # type: ignore[arg-type]
    options = Options(admin_auth.value, admin_port, none_anywhere, limits, conf_dir, request_timeout, max_connections,
                      max_per_client, access_log)
    try:
        run(data, host, port, chosen, name or (), options)
    except OSError as exc:
        typer.echo(f"error: cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc


def _profiles() -> tuple[str, ...]:
    from evesim.controller.policy import PROFILES

    return tuple(PROFILES)


def _call(
    server: str | None, data: Path | None, token: str | None, ca: Path | None, method: str, path: str, **kw: object
) -> str:
    from evesim.controller.client import AdminClient, AdminError

    try:
        client = AdminClient.resolve(server, data, token, ca)
        try:
            return client.call(method, path, **kw).text
        finally:
            client.close()
    except AdminError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _read_text(path: Path) -> str:
    """The file's text; a clean error and exit code 1 if it cannot be read."""
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        typer.echo(f"error: cannot read {path}: {reason}", err=True)
        raise typer.Exit(1) from exc


def _out(text: str) -> None:
    if text:
        typer.echo(text, nl=not text.endswith("\n"))


@onboard_app.command("add")
def onboard_add(
    cert: Annotated[Path, typer.Option("--cert", exists=True, dir_okay=False, help="Onboarding cert PEM")],
    serial: Annotated[str, typer.Option(help="Allowed serials, comma-separated; * allows any")] = "*",
    server: Server = None,
    data: Data = None,
    token: Token = None,
    ca: Ca = None,
) -> None:
    """Allow an onboarding cert to register devices with the given serials."""
    body = {"Cert": base64.b64encode(cert.read_bytes()).decode(), "Serial": serial}
    _out(json.loads(_call(server, data, token, ca, "POST", "/onboard", json=body))["cn"])


@onboard_app.command("list")
def onboard_list(server: Server = None, data: Data = None, token: Token = None, ca: Ca = None) -> None:
    """CNs of the allowed onboarding certs."""
    _out(_call(server, data, token, ca, "GET", "/onboard"))


@onboard_app.command("remove")
def onboard_remove(
    cn: Annotated[str, typer.Argument(help="CN of the onboarding cert")],
    server: Server = None,
    data: Data = None,
    token: Token = None,
    ca: Ca = None,
) -> None:
    """Take an onboarding cert off the allow-list."""
    _call(server, data, token, ca, "DELETE", f"/onboard/{admincli.segment(cn, 'CN')}")


@device_app.command("get")
def device_get(uuid: Uuid, server: Server = None, data: Data = None, token: Token = None, ca: Ca = None) -> None:
    """A device's certificate, onboarding certificate and serial (JSON)."""
    _out(_call(server, data, token, ca, "GET", f"/device/{uuid}"))


@device_app.command("remove")
def device_remove(uuid: Uuid, server: Server = None, data: Data = None, token: Token = None, ca: Ca = None) -> None:
    """Forget a device and everything it reported."""
    _call(server, data, token, ca, "DELETE", f"/device/{uuid}")


@config_app.command("get")
def config_get(uuid: Uuid, server: Server = None, data: Data = None, token: Token = None, ca: Ca = None) -> None:
    """Print the device's current config (protojson, indented for editing)."""
    config = json.loads(_call(server, data, token, ca, "GET", f"/device/{uuid}/config"))
    _out(json.dumps(config, indent=2, ensure_ascii=False))


@config_app.command("set")
def config_set(
    uuid: Uuid,
    file: Annotated[str, typer.Argument(help="JSON file with the config, or - for stdin")],
    server: Server = None,
    data: Data = None,
    token: Token = None,
    ca: Ca = None,
) -> None:
    """Replace the device's config; prints the new version."""
    text = sys.stdin.read() if file == "-" else _read_text(Path(file))
    headers = {"Content-Type": "application/json"}
    answer = _call(server, data, token, ca, "PUT", f"/device/{uuid}/config", content=text, headers=headers)
    _out(str(json.loads(answer)["version"]))


@app.command()
def info(
    uuid: Uuid,
    latest: Annotated[bool, typer.Option(help="Only the latest message per object")] = False,
    follow: Follow = False,
    count: Count = None,
    backfill: Backfill = 0,
    server: Server = None,
    data: Data = None,
    token: Token = None,
    ca: Ca = None,
) -> None:
    """A device's info messages (NDJSON)."""
    if latest and follow:
        raise typer.BadParameter("--latest and --follow do not go together", param_hint="--follow")
    _report(server, data, token, ca, f"/device/{uuid}/info" + ("/latest" if latest else ""), follow, count, backfill)


@app.command()
def metrics(uuid: Uuid, follow: Follow = False, count: Count = None, backfill: Backfill = 0, server: Server = None,
            data: Data = None, token: Token = None, ca: Ca = None) -> None:
    """A device's kept metrics (NDJSON)."""
    _report(server, data, token, ca, f"/device/{uuid}/metrics", follow, count, backfill)


@app.command()
def logs(uuid: Uuid, follow: Follow = False, count: Count = None, backfill: Backfill = 0, server: Server = None,
         data: Data = None, token: Token = None, ca: Ca = None) -> None:
    """A device's kept log entries (NDJSON)."""
    _report(server, data, token, ca, f"/device/{uuid}/logs", follow, count, backfill)


def _report(server: str | None, data: Path | None, token: str | None, ca: Path | None, path: str, follow: bool,
            count: int | None, backfill: int = 0) -> None:
    """Print what is kept at ``path``, or with ``follow`` the last ``backfill`` kept items and then each new item as
    it arrives (``count`` in all)."""
    if count is not None and not follow:
        raise typer.BadParameter("--count needs --follow", param_hint="--count")
    if not follow:
        _out(_call(server, data, token, ca, "GET", path))
        return
    from evesim.controller.client import AdminClient, AdminError

    try:
        client: AdminClient = AdminClient.resolve(server, data, token, ca)
        try:
            kept = client.call("GET", path).text.splitlines()[-backfill:] if backfill else []
            for n, line in enumerate(itertools.chain(kept, client.stream(path)), 1):
                typer.echo(line)
                sys.stdout.flush()
                if count is not None and n >= count:
                    return
            typer.echo("the controller ended the stream (it stopped)", err=True)
        finally:
            client.close()
    except AdminError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        return
