"""``evesim agent``: run EVE's agents on this machine with the ``host`` or ``xen`` backend."""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
from pathlib import Path
from typing import Annotated

import typer

from evesim.api.certs import CertError, load_cert, load_key
from evesim.api.envelope import CryptoMode
from evesim.backends.statedir import ROOTS
from evesim.backends.vocab import Backend

DEFAULT_TCTI = "device:/dev/tpmrm0"
"""The kernel's TPM resource manager, as EVE's ``TpmDevicePath``."""
REBOOT_COMMAND = ("reboot", "-n", "-f")
"""EVE's ``zboot reset``: reboot at once, without sync or init (pkg/gpt-tools/files/zboot)."""


def agent_command(
    state_dir: Annotated[str, typer.Option("--state-dir", help="Device state: DIR/config, DIR/persist, DIR/run")],
    crypto: Annotated[
        CryptoMode, typer.Option(help="Sign and check envelopes (full) or not (trusted)")
    ] = CryptoMode.FULL,
    duration: Annotated[float | None, typer.Option(min=0, help="Stop after this many seconds")] = None,
    quiet: Annotated[bool, typer.Option(help="Print only warnings and errors")] = False,
    backend: Annotated[
        Backend, typer.Option(help="host: effects on this machine; xen: also run app domains with Xen's xl")
    ] = "host",
    xl: Annotated[str, typer.Option("--xl", help="The xl command the xen backend runs")] = "xl",
    disk: Annotated[str | None, typer.Option(
        "--disk", help="The xen backend's GPT boot disk with IMGA and IMGB (a block device or an image file)")
    ] = None,
    watchdog: Annotated[str | None, typer.Option(
        "--watchdog", help="Watchdog device the xen backend keeps alive (default: /dev/watchdog if there is one)")
    ] = None,
    no_watchdog: Annotated[bool, typer.Option(
        "--no-watchdog", help="Leave the watchdog device alone (another daemon holds it)")
    ] = False,
    tpm: Annotated[str | None, typer.Option(
        "--tpm", help="TCTI of the TPM 2.0 holding the device key, quotes and the vault key, e.g. device:/dev/tpmrm0"
                      " or swtpm:host=127.0.0.1,port=2321 (default on Xen: /dev/tpmrm0 if there is one)")
    ] = None,
    no_tpm: Annotated[bool, typer.Option("--no-tpm", help="Use no TPM: a soft device key in DIR/config")] = False,
    reboot_command: Annotated[str | None, typer.Option(
        "--reboot-command", help="What reboots the board on a reboot (xen default: 'reboot -n -f', as EVE's zboot)")
    ] = None,
    no_reboot: Annotated[bool, typer.Option(
        "--no-reboot", help="On a reboot, restart the agents in place and leave the machine up (the host default)")
    ] = False,
    port: Annotated[list[str] | None, typer.Option(
        "--port", help="A port as NAME=ADDRESS, its traffic leaving from that local address (repeat for several;"
                       " default: one port, eth0, over whatever address routes to the controller)")
    ] = None,
) -> None:
    """Run EVE's agents for the device of DIR until Ctrl-C, SIGTERM, a power-off command or --duration.

    Like EVE, it waits (and says so) until DIR/config holds `server` and `root-certificate.pem`.
    """
    problem = _unusable(state_dir) or _mismatched_identity(state_dir) or (_no_xl(xl) if backend == "xen" else "")
    if watchdog is not None and backend != "xen":
        problem = problem or "--watchdog needs --backend xen (the host backend leaves the watchdog alone)"
    if reboot_command is not None and backend != "xen":
        problem = problem or "--reboot-command needs --backend xen (the host backend never reboots the machine)"
    reboot = None if no_reboot else _reboot(backend, reboot_command)
    if reboot is not None:
        problem = problem or _no_reboot(reboot)
    if disk is not None:
        problem = problem or _no_disk(backend, Path(disk))
    ports, bad_port = _ports(port or [])
    problem = problem or bad_port
    tcti = None if no_tpm else _tpm(backend, tpm)
    if tcti is not None:
        problem = problem or _no_tpm(tcti)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    try:
        from evesim.agent.device_steps import Settings
        from evesim.backends.runner import Options, run_agent

        options = Options(quiet=quiet, backend=backend, xl_path=xl,
                          watchdog=None if no_watchdog else _watchdog(backend, watchdog),
                          disk=Path(disk) if disk is not None else None, tpm=tcti,
                          reboot_command=reboot, ports=ports)
        code = run_agent(Path(state_dir), Settings(crypto=crypto), options, duration)
    except OSError as exc:
        typer.echo(f"error: cannot use state directory {state_dir} or the watchdog: {exc}", err=True)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


def _ports(given: list[str]) -> tuple[tuple[tuple[str, str], ...], str]:
    """The ``--port`` options as (name, address) pairs, and why they cannot be used ("" if they can)."""
    from evesim.backends.machine import parse_port

    try:
        ports = tuple(parse_port(text) for text in given)
    except ValueError as exc:
        return (), f"--port: {exc}"
    names = [name for name, _ in ports]
    twice = sorted({name for name in names if names.count(name) > 1})
    return ports, f"--port: {twice[0]} is given twice" if twice else ""


def _watchdog(backend: Backend, given: str | None) -> Path | None:
    """The watchdog device to keep alive: the one given, else ``/dev/watchdog`` on Xen if it exists."""
    if given is not None:
        return Path(given)
    default = Path("/dev/watchdog")
    return default if backend == "xen" and default.exists() else None


def _reboot(backend: Backend, given: str | None) -> tuple[str, ...] | None:
    """The command that reboots the board: the one given, else zboot's ``reboot -n -f`` on Xen."""
    if given is None:
        return REBOOT_COMMAND if backend == "xen" else None
    try:
        return tuple(shlex.split(given))
    except ValueError as exc:  # an unclosed quote
        raise typer.BadParameter(f"{given!r}: {exc}", param_hint="--reboot-command") from exc


def _no_reboot(command: tuple[str, ...]) -> str:
    """Why ``command`` cannot reboot the board ("" if its program can be found)."""
    if not command:
        return "--reboot-command is empty (give a command, or --no-reboot)"
    if shutil.which(command[0]) is None:
        return f"the reboot command {command[0]!r} is not an executable (give --reboot-command CMD or --no-reboot)"
    return ""


def _tpm(backend: Backend, given: str | None) -> str | None:
    """The TPM's TCTI: the one given, else the kernel's resource manager on Xen if it exists."""
    if given is not None:
        return given
    return DEFAULT_TCTI if backend == "xen" and Path(DEFAULT_TCTI.removeprefix("device:")).exists() else None


def _no_tpm(tcti: str) -> str:
    """Why the TPM at ``tcti`` cannot be used ("" if it can be opened)."""
    if importlib.util.find_spec("tpm2_pytss") is None:
        return f"the TPM ({tcti}) needs tpm2-pytss: pip install 'evesim[tpm]' (or run with --no-tpm)"
    from evesim.backends.tpm_effects import TpmError

    try:
        from evesim.backends.runner import open_tpm

        open_tpm(tcti).close()  # type: ignore[union-attr]  # a TCTI gives a TPM
    except TpmError as exc:
        return f"{exc} (or run with --no-tpm)"
    return ""


def _no_disk(backend: Backend, disk: Path) -> str:
    """Why ``disk`` cannot be the boot disk ("" if it can)."""
    if backend != "xen":
        return "--disk needs --backend xen (the host backend has no A/B disk)"
    if not disk.exists() or not os.access(disk, os.R_OK | os.W_OK):
        return f"boot disk {disk} does not exist or is not readable and writable"
    from evesim.backends.gptdisk import DiskError, GptDisk

    try:
        GptDisk(disk, Path(os.devnull)).view()
    except (DiskError, OSError) as exc:
        return f"boot disk {disk} is not EVE's: {exc}"
    return ""


def _no_xl(xl: str) -> str:
    """Why ``xl`` cannot be run ("" if it can be found)."""
    if shutil.which(xl) is None:
        return f"--backend xen needs Xen's xl, and {xl!r} is not an executable (install xen-utils, or give --xl PATH)"
    return ""


def _mismatched_identity(state_dir: str) -> str:
    """Why DIR's soft device key and cert cannot be the device's identity ("" if they can, or one is missing): a cert
    made for another key would register and then fail every signed request (401), then 409 on each new register."""
    config = Path(state_dir) / "config"
    cert_file, key_file = config / "device.cert.pem", config / "device.key.pem"
    if not (cert_file.is_file() and key_file.is_file()):
        return ""
    try:
        cert, key = load_cert(cert_file.read_bytes()), load_key(key_file.read_bytes())
    except (CertError, OSError):
        return ""  # unreadable files are EVE's to handle: the agent makes the identity again
    if cert.public_key() != key.public_key():
        return (f"{cert_file} was not made for {key_file}: the device could not sign its requests; restore the "
                f"matching key, or remove {cert_file.name} to make a new cert for this key (a new identity)")
    return ""


def _unusable(state_dir: str) -> str:
    """Why ``state_dir`` cannot hold a device ("" if it can): empty, missing, not a directory, read-only."""
    if not state_dir.strip():
        return "--state-dir is empty (an unset variable?): give the device's state directory"
    path = Path(state_dir)
    if not path.exists():
        return f"state directory {state_dir} does not exist"
    if not path.is_dir():
        return f"state directory {state_dir} is not a directory"
    for directory in (path, *(path / root for root in ROOTS if (path / root).is_dir())):
        if not os.access(directory, os.W_OK | os.X_OK):
            return f"state directory {directory} is not writable (EVE needs /config, /persist and /run writable)"
    return ""
