"""``evesim controller`` commands for everyday administration: devices with their phases, config items, base OS,
apps, reboots, rollout campaigns, and a raw call for anything else. Each is a typed command over the admin API."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evesim.api import units
from evesim.controller.appnet import NiKind

if TYPE_CHECKING:
    from evesim.controller.client import AdminClient

out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
"""Tables keep whole UUIDs when piped (a terminal's own width otherwise)."""
Server = Annotated[str | None, typer.Option("--server", envvar="EVESIM_CONTROLLER", help="https://host:port")]
Data = Annotated[
    Path | None, typer.Option("--data", envvar="EVESIM_CONTROLLER_DATA", help="Data dir: server, token and CA")
]
Token = Annotated[str | None, typer.Option("--token", envvar="EVESIM_ADMIN_TOKEN", help="Admin bearer token")]
Ca = Annotated[Path | None, typer.Option("--ca", help="PEM of the root CA that signed the controller's TLS cert")]
Targets = Annotated[list[str] | None, typer.Argument(help="Device UUIDs (or give --all)", show_default=False)]
All = Annotated[bool, typer.Option("--all", help="Every registered device")]
Json = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table")]

rollout_app = typer.Typer(help="Rollout campaigns: create, list, status, halt (pause), resume.", no_args_is_help=True)
app_app = typer.Typer(help="Apps on devices: set, list, restart, purge, remove.", no_args_is_help=True)
netinst_app = typer.Typer(help="Network instances for apps on devices: set, list.", no_args_is_help=True)


class Admin:
    """An admin client for one command, failing with a clean message (exit 1)."""

    def __init__(self, server: str | None, data: Path | None, token: str | None, ca: Path | None) -> None:
        from evesim.controller.client import AdminClient, AdminError

        self.error = AdminError
        try:
            self.client: AdminClient = AdminClient.resolve(server, data, token, ca)
        except AdminError as exc:
            _fail(str(exc))

    def call(self, method: str, path: str, **kw: Any) -> Any:
        """The answer's JSON (or text when it is not JSON)."""
        try:
            answer = self.client.call(method, path, **kw)
        except self.error as exc:
            _fail(str(exc))
        try:
            return answer.json()
        except ValueError:
            return answer.text

    def targets(self, uuids: list[str] | None, every: bool) -> list[str]:
        """The devices a command acts on: the UUIDs given, or every registered one with ``--all``."""
        if every and uuids:
            raise typer.BadParameter("give device UUIDs or --all, not both", param_hint="--all")
        if every:
            return [str(row["uuid"]) for row in self.call("GET", "/fleet/devices")]
        if not uuids:
            raise typer.BadParameter("which devices? give their UUIDs, or --all", param_hint="DEVICES")
        import uuid as uuidlib

        try:
            return [str(uuidlib.UUID(value)) for value in uuids]
        except ValueError as exc:
            raise typer.BadParameter(f"not a UUID: {exc}", param_hint="DEVICES") from None

    def each(self, devices: list[str], method: str, path: str, what: str, **kw: Any) -> None:
        """Call ``path`` (with ``{uuid}``) for each device and say the config version it made."""
        for device in devices:
            answer = self.call(method, path.format(uuid=device), **kw)
            version = answer.get("version") if isinstance(answer, dict) else None
            out.print(escape(f"{device}: {what}" + (f" (config version {version})" if version is not None else "")))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def segment(value: str, what: str) -> str:
    """``value`` as one URL path segment (``client.segment``); a usage error if it cannot be one."""
    from evesim.controller.client import segment as encoded

    try:
        return encoded(value, what)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def devices_command(server: Server = None, data: Data = None, token: Token = None, ca: Ca = None,
                    uuids: Annotated[bool, typer.Option("--uuids", help="Only the UUIDs, one a line")] = False,
                    json_: Json = False) -> None:
    """Registered devices with their names (serials), phases and running versions, in registration order."""
    rows = Admin(server, data, token, ca).call("GET", "/fleet/devices")
    if uuids:
        for row in rows:
            out.print(row["uuid"])
        return
    _rows(rows, ("name", "uuid", "phase", "version"), "devices", json_)


def _rows(rows: list[dict[str, Any]], columns: tuple[str, ...], what: str, json_: bool) -> None:
    """The API's rows as a table of ``columns`` (captioned with their count), or as its JSON."""
    if json_:
        out.print_json(json.dumps(rows))
        return
    table = Table(caption=f"{len(rows)} {what}")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(str(row[column])) for column in columns))
    out.print(table)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {value!r}", param_hint=option)
        pairs[key] = item
    return pairs


def items_command(
    devices: Targets = None, every: All = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="key=value (repeat for several)")] = None,
    unset: Annotated[list[str] | None, typer.Option("--unset", help="A key to remove (repeat for several)")] = None,
    server: Server = None, data: Data = None, token: Token = None, ca: Ca = None,
) -> None:
    """Set or remove config items (EVE's global config, e.g. timer.config.interval=30) on devices."""
    items: dict[str, str | None] = {**_pairs(set_ or [], "--set"), **dict.fromkeys(unset or [])}
    if not items:
        raise typer.BadParameter("nothing to change: give --set key=value or --unset key", param_hint="--set")
    admin = Admin(server, data, token, ca)
    admin.each(admin.targets(devices, every), "PUT", "/device/{uuid}/configitems", f"{len(items)} config items",
               json={"items": items})


def baseos_command(
    devices: Targets = None, every: All = False,
    version: Annotated[str, typer.Option(help="The EVE version, e.g. 14.6.0")] = "",
    url: Annotated[str, typer.Option(help="The image: http(s)://, docker:// or oci://")] = "",
    sha256: Annotated[str, typer.Option(help="The image's sha256 (64 hex digits)")] = "",
    size: Annotated[str, typer.Option(help="The image's size (bytes, or 300MB)")] = "0",
    activate: Annotated[bool, typer.Option(help="Activate it (--no-activate only downloads)")] = True,
    retry: Annotated[bool, typer.Option("--retry", help="Retry a failed update instead (EVE's retry counter)")]
    = False,
    server: Server = None, data: Data = None, token: Token = None, ca: Ca = None,
) -> None:
    """Give devices a base OS image to run (their update starts at the next config poll), or --retry a failed one."""
    admin = Admin(server, data, token, ca)
    targets = admin.targets(devices, every)
    if retry:
        admin.each(targets, "POST", "/device/{uuid}/baseos/retry", "retry asked")
        return
    if not (version and url and sha256):
        raise typer.BadParameter("give --version, --url and --sha256 (and --size)", param_hint="--version")
    body = {"version": version, "url": url, "sha256": sha256, "size_bytes": _size(size), "activate": activate}
    admin.each(targets, "PUT", "/device/{uuid}/baseos", f"base OS {version}", json=body)


def ports_command(
    devices: Targets = None, every: All = False,
    port: Annotated[list[str] | None, typer.Option(
        "--port", help="NAME[:COST][:app] — a port (cost 0 by default; ':app' keeps it off management); repeat for "
        "several, cheapest used first")] = None,
    server: Server = None, data: Data = None, token: Token = None, ca: Ca = None, json_: Json = False,
) -> None:
    """Show a device's network ports, or replace them on devices with --port (EVE tests the new set and falls back
    to the last one that worked if it cannot reach the controller over it)."""
    admin = Admin(server, data, token, ca)
    targets = admin.targets(devices, every)
    if not port:
        for device in targets:
            _rows(admin.call("GET", f"/device/{device}/network")["ports"], ("name", "mgmt", "cost", "addressing"),
                  f"ports of {device}", json_)
        return
    body = {"ports": [_port(value) for value in port]}
    admin.each(targets, "PUT", "/device/{uuid}/network", f"{len(port)} ports", json=body)


def _port(value: str) -> dict[str, Any]:
    name, _, rest = value.partition(":")
    parts = [part for part in rest.split(":") if part]
    cost = next((part for part in parts if part.isdigit()), "0")
    unknown = [part for part in parts if not part.isdigit() and part != "app"]
    if not name or unknown:
        raise typer.BadParameter(f"expected NAME[:COST][:app], got {value!r}", param_hint="--port")
    return {"name": name, "cost": int(cost), "mgmt": "app" not in parts}


def _size(value: str) -> int:
    try:
        return units.size(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--size") from None


def _seconds(value: str, option: str) -> float:
    try:
        return units.duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def reboot_command(devices: Targets = None, every: All = False, server: Server = None, data: Data = None,
                   token: Token = None, ca: Ca = None) -> None:
    """Reboot devices (EVE's reboot command counter)."""
    admin = Admin(server, data, token, ca)
    admin.each(admin.targets(devices, every), "POST", "/device/{uuid}/reboot", "reboot asked")


# ---------------------------------------------------------------- apps


@app_app.command("set")
def app_set(
    devices: Targets = None, every: All = False,
    name: Annotated[str, typer.Option(help="The app's name (an existing app of that name is updated)")] = "",
    url: Annotated[str, typer.Option(help="Its image URL")] = "",
    sha256: Annotated[str, typer.Option(help="Its image's sha256")] = "",
    size: Annotated[str, typer.Option(help="Its image's size (bytes, or 50MB)")] = "0",
    memory: Annotated[str, typer.Option(help="Memory (bytes, or 512MiB)")] = "512MiB",
    vcpus: Annotated[int, typer.Option(min=1, help="Virtual CPUs")] = 1,
    activate: Annotated[bool, typer.Option(help="Run it (--no-activate keeps it installed, halted)")] = True,
    network: Annotated[list[str] | None, typer.Option(
        "--network", help="INSTANCE[:CIDR] — an interface on that network instance, allowing traffic to and from "
        "CIDR (without one EVE drops all its traffic); repeat for several")] = None,
    server: Server = None, data: Data = None, token: Token = None, ca: Ca = None,
) -> None:
    """Add or update an app on devices."""
    if not name:
        raise typer.BadParameter("give the app's --name", param_hint="--name")
    admin = Admin(server, data, token, ca)
    body: dict[str, Any] = {"sha256": sha256, "size_bytes": _size(size), "memory_kb": units.size(memory) // 1024,
                            "vcpus": vcpus, "activate": activate, "interfaces": [_interface(n) for n in network or []]}
    if url:
        body["image_url"] = url
    admin.each(admin.targets(devices, every), "PUT", "/device/{uuid}/apps/" + segment(name, "app name"), f"app {name}",
               json=body)


def _interface(value: str) -> dict[str, Any]:
    network, _, cidr = value.partition(":")
    if not network:
        raise typer.BadParameter(f"expected INSTANCE[:CIDR], got {value!r}", param_hint="--network")
    return {"network": network, "acl": [{"ip": cidr}] if cidr else []}


@netinst_app.command("set")
def netinst_set(
    devices: Targets = None, every: All = False,
    name: Annotated[str, typer.Option(help="The instance's name (an existing one of that name is updated)")] = "",
    kind: Annotated[NiKind, typer.Option(help="local: NAT, DHCP in --subnet; switch: bridged onto --port")] = "local",
    port: Annotated[str, typer.Option(help="A port name, or EVE's label uplink, freeuplink or all")] = "uplink",
    subnet: Annotated[str, typer.Option(help="A local instance's IPv4 subnet, e.g. 10.1.0.0/24")] = "",
    flowlog: Annotated[bool, typer.Option(help="Log its apps' flows (EVE's default)")] = True,
    server: Server = None, data: Data = None, token: Token = None, ca: Ca = None,
) -> None:
    """Add or update a network instance on devices (apps attach to it with `app set --network`)."""
    if not name:
        raise typer.BadParameter("give the instance's --name", param_hint="--name")
    admin = Admin(server, data, token, ca)
    body = {"kind": kind, "port": port, "subnet": subnet, "flowlog": flowlog}
    admin.each(admin.targets(devices, every), "PUT", "/device/{uuid}/networkinstances/" +
               segment(name, "instance name"), f"network instance {name}", json=body)


@netinst_app.command("list")
def netinst_list(device: Annotated[str, typer.Argument(help="Device UUID")], server: Server = None,
                 data: Data = None, token: Token = None, ca: Ca = None, json_: Json = False) -> None:
    """A device's configured network instances."""
    admin = Admin(server, data, token, ca)
    found = admin.call("GET", f"/device/{admin.targets([device], False)[0]}/networkinstances")
    _rows(found, ("name", "kind", "port", "subnet", "flowlog", "uuid"), "network instances", json_)


@app_app.command("list")
def app_list(device: Annotated[str, typer.Argument(help="Device UUID")], server: Server = None, data: Data = None,
             token: Token = None, ca: Ca = None, json_: Json = False) -> None:
    """A device's configured apps."""
    admin = Admin(server, data, token, ca)
    apps = admin.call("GET", f"/device/{admin.targets([device], False)[0]}/apps")
    _rows(apps, ("name", "uuid", "version", "activate"), "apps", json_)


def _app_action(command: str) -> Any:
    def action(device: Annotated[str, typer.Argument(help="Device UUID")],
               app: Annotated[str, typer.Argument(help="The app's name or UUID")],
               server: Server = None, data: Data = None, token: Token = None, ca: Ca = None) -> None:
        admin = Admin(server, data, token, ca)
        path = "/device/{uuid}/apps/" + segment(app, "app name or UUID")
        if command == "remove":
            admin.each(admin.targets([device], False), "DELETE", path, f"app {app} removed")
        else:
            admin.each(admin.targets([device], False), "POST", f"{path}/{command}", f"app {app}: {command} asked")

    action.__doc__ = {"restart": "Restart an app.", "purge": "Purge an app: rebuild its volume and restart it.",
                      "remove": "Remove an app from a device."}[command]
    return action


for _command in ("restart", "purge", "remove"):
    app_app.command(_command)(_app_action(_command))


# ---------------------------------------------------------------- rollouts


@rollout_app.command("create")
def rollout_create(
    version: Annotated[str, typer.Option(help="The EVE version to roll out")],
    url: Annotated[str, typer.Option(help="The image URL")],
    sha256: Annotated[str, typer.Option(help="The image's sha256")],
    size: Annotated[str, typer.Option(help="The image's size (bytes, or 300MB)")],
    devices: Annotated[str, typer.Option(help="all, or device UUIDs separated by commas")] = "all",
    batch_size: Annotated[str | None, typer.Option(help="Devices per batch, e.g. 1,10,100 (the last repeats)")]
    = None,
    batch_fraction: Annotated[str | None, typer.Option(help="Fractions of the fleet per batch, e.g. 0.01,0.1,1")]
    = None,
    wait: Annotated[str, typer.Option(help="Pause between batches (10m)")] = "0s",
    deadline: Annotated[str, typer.Option(help="How long a batch may take before a device counts as failed (1h)")]
    = "1h",
    halt_failure_rate: Annotated[float, typer.Option(min=0, max=1, help="Halt above this failure rate")] = 0.0,
    server: Server = None, data: Data = None, token: Token = None, ca: Ca = None,
) -> None:
    """Start a rollout campaign (its first batch starts now)."""
    body: dict[str, Any] = {
        "devices": "all" if devices == "all" else [d.strip() for d in devices.split(",") if d.strip()],
        "version": version, "url": url, "sha256": sha256, "size_bytes": _size(size),
        "wait": _seconds(wait, "--wait"), "deadline": _seconds(deadline, "--deadline"),
        "halt_failure_rate": halt_failure_rate,
    }
    if batch_size is not None:
        body["batch_size"] = [int(n) for n in batch_size.split(",")]
    if batch_fraction is not None:
        body["batch_fraction"] = [float(f) for f in batch_fraction.split(",")]
    made = Admin(server, data, token, ca).call("POST", "/rollouts", json=body)
    out.print(escape(f"rollout {made['id']} of {made['version']}: {made['batches_planned']} batches, {made['state']}"))


@rollout_app.command("list")
def rollout_list(server: Server = None, data: Data = None, token: Token = None, ca: Ca = None,
                 json_: Json = False) -> None:
    """Every campaign's state and counts, oldest first."""
    campaigns = Admin(server, data, token, ca).call("GET", "/rollouts")
    if json_:
        out.print_json(json.dumps(campaigns))
        return
    table = Table(caption=f"{len(campaigns)} campaigns")
    for column in ("id", "version", "state", "batches", "updated", "failed", "pending", "not started",
                   "failure rate"):
        table.add_column(column)
    for c in campaigns:
        counts = c["counts"]
        state = c["state"] + (f" ({c['reason']})" if c.get("reason") else "")
        table.add_row(escape(c["id"]), escape(c["version"]), escape(state),
                      f"{c['batches_started']}/{c['batches_planned']}", str(counts["updated"]),
                      str(counts["failed"] + counts["timed_out"]), str(counts["pending"]), str(counts["not_started"]),
                      f"{c['failure_rate']:.3g}")
    out.print(table)


@rollout_app.command("status")
def rollout_status(rollout: Annotated[str, typer.Argument(help="The campaign's id")], server: Server = None,
                   data: Data = None, token: Token = None, ca: Ca = None, json_: Json = False) -> None:
    """One campaign: its state and each batch's devices and results."""
    status = Admin(server, data, token, ca).call("GET", f"/rollouts/{segment(rollout, 'campaign id')}")
    if json_:
        out.print_json(json.dumps(status))
        return
    reason = f" ({status['reason']})" if status.get("reason") else ""
    table = Table(title=escape(f"rollout {status['id']} of {status['version']}: {status['state']}{reason}"))
    for column in ("batch", "started", "settled", "devices", "updated", "failed", "timed out", "pending"):
        table.add_column(column)
    for batch in status["batches"]:
        counts = batch["counts"]
        table.add_row(str(batch["index"]), _when(batch["started_at"]), _when(batch["settled_at"]),
                      str(len(batch.get("devices", []))),
                      *(str(counts[name]) for name in ("updated", "failed", "timed_out", "pending")))
    out.print(table)


def _when(epoch: float | None) -> str:
    import time

    return "-" if epoch is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def _transition(verb: str, path: str, doc: str) -> Any:
    def change(rollout: Annotated[str, typer.Argument(help="The campaign's id")], server: Server = None,
               data: Data = None, token: Token = None, ca: Ca = None) -> None:
        done = Admin(server, data, token, ca).call("POST", f"/rollouts/{segment(rollout, 'campaign id')}/{path}")
        out.print(escape(f"rollout {done['id']}: {done['state']}"))

    change.__doc__ = doc
    return change


rollout_app.command("halt")(_transition("halt", "halt", "Start no more batches (the one in flight is still watched)."))
rollout_app.command("pause")(_transition("pause", "halt", "The same as halt: resume continues."))
rollout_app.command("resume")(_transition("resume", "resume", "Continue a halted campaign now."))


# ---------------------------------------------------------------- raw


def call_command(
    method: Annotated[str, typer.Argument(help="GET, PUT, POST or DELETE")],
    path: Annotated[str, typer.Argument(help="A path under /admin, e.g. /device/UUID/config")],
    body: Annotated[str | None, typer.Option(help="A JSON body, @FILE for a file's, or - for stdin")] = None,
    server: Server = None, data: Data = None, token: Token = None, ca: Ca = None,
) -> None:
    """Call any admin API path with a raw JSON body, and print the answer (what the typed commands do not cover)."""
    text = None
    if body is not None:
        text = sys.stdin.read() if body == "-" else Path(body[1:]).read_text() if body.startswith("@") else body
    kw: dict[str, Any] = {} if text is None else {"content": text, "headers": {"Content-Type": "application/json"}}
    answer = Admin(server, data, token, ca).call(method.upper(), "/" + path.removeprefix("/admin").lstrip("/"), **kw)
    if isinstance(answer, str):
        typer.echo(answer, nl=not answer.endswith("\n"))
    else:
        out.print_json(json.dumps(answer))
