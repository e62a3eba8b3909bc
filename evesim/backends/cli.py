"""``evesim agent``: run EVE's agents on this machine with the ``host`` backend."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evesim.agent.device import Settings
from evesim.api.envelope import CryptoMode
from evesim.backends.runner import Options, run_agent

def agent_command(
    state_dir: Annotated[Path, typer.Option("--state-dir", help="Device state: DIR/config, DIR/persist, DIR/run")],
    crypto: Annotated[CryptoMode, typer.Option(help="Sign and check envelopes (full) or not (trusted)")] = CryptoMode.FULL,
    duration: Annotated[float | None, typer.Option(min=0, help="Stop after this many seconds")] = None,
    quiet: Annotated[bool, typer.Option(help="Print only warnings and errors")] = False,
) -> None:
    """Run EVE's agents for the device of DIR until Ctrl-C, SIGTERM, a power-off command or --duration.

    Like EVE, it waits (and says so) until DIR/config holds `server` and `root-certificate.pem`.
    """
    if not state_dir.is_dir():
        typer.echo(f"error: state directory {state_dir} does not exist", err=True)
        raise typer.Exit(2)
    try:
        code = run_agent(state_dir, Settings(crypto=crypto), Options(quiet=quiet), duration)
    except OSError as exc:
        typer.echo(f"error: cannot use state directory {state_dir}: {exc}", err=True)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)
