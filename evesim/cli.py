"""The ``evesim`` command.

``evesim agent`` builds only the agent's command, so a device that installed evesim without the ``full`` extra runs
it without pandas, numpy, SimPy or FastAPI; every other command needs them.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Annotated, Any

import typer

from evesim.backends.cli import agent_command

HELP = "evesim: a simulation-first digital twin of a fleet of LF Edge EVE devices."
MISSING = ("this evesim was installed for a device (the agent only): `{what}` needs the simulation and controller "
           "packages, `pip install 'evesim[full]'` ({error})")
FULL_ONLY = frozenset({"simpy", "numpy", "pandas", "pyarrow", "networkx", "yaml", "pydantic", "fastapi", "uvicorn",
                       "starlette", "httptools", "uvloop"})
"""What the ``full`` extra installs: an ImportError of anything else is a real error, not a device install."""
OPTIONAL = frozenset({"uvloop"})
"""Of those, what an install may lack and still run every command."""


def agent_app() -> typer.Typer:
    """The ``evesim`` command with only ``agent`` (what a board needs)."""
    board = typer.Typer(help=HELP, no_args_is_help=True)
    board.callback()(_group)
    board.command("agent")(agent_command)
    return board


def _version(shown: bool) -> None:
    if shown:
        from evesim import __version__

        typer.echo(f"evesim {__version__}")
        raise typer.Exit()


def _group(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                 help="Print evesim's version and exit.")] = False) -> None:
    """Keeps ``agent`` a subcommand when it is the only one, and reads ``--version``."""


def full_app() -> typer.Typer:
    """Every ``evesim`` command (ImportError without the ``full`` extra).

    The commands load the simulation and the server only when they run, so the extra is checked up front.
    """
    for name in sorted(FULL_ONLY - OPTIONAL):
        if importlib.util.find_spec(name) is None:
            raise ImportError(f"No module named {name!r}", name=name)
    from evesim.analysis.cli import events_command, report_command
    from evesim.controller.cli import app as controller_app
    from evesim.scenario import cli as scenario_cli
    from evesim.scenario.cli import run_command, schema_command, sweep_command, validate_command

    full = typer.Typer(help=HELP, no_args_is_help=True)
    full.callback()(_group)
    full.command("run")(run_command)
    full.command("validate")(validate_command)
    full.command("schema")(schema_command)
    full.command("sweep")(sweep_command)
    full.command("report")(report_command)
    full.command("events")(events_command)
    list_app = typer.Typer(help="List what evesim knows.", no_args_is_help=True)
    for name in ("actions", "boards", "defects", "events", "fixes"):
        list_app.command(name)(getattr(scenario_cli, f"list_{name}_command"))
    full.command("new")(scenario_cli.new_command)
    full.add_typer(list_app, name="list")
    full.add_typer(controller_app, name="controller")
    full.command("agent")(agent_command)
    return full


def __getattr__(name: str) -> Any:
    """``evesim.cli.app``: the full command, built on first use."""
    if name == "app":
        return full_app()
    raise AttributeError(name)


def main() -> None:
    """Entry point of the ``evesim`` console script."""
    if sys.argv[1:2] == ["agent"]:
        agent_app()()
        return
    try:
        command = full_app()
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] not in FULL_ONLY:
            raise
        if sys.argv[1:2] in ([], ["--help"], ["-h"]):
            agent_app()()  # what this install can do
            return
        print(MISSING.format(what=sys.argv[1], error=exc), file=sys.stderr)
        raise SystemExit(2) from exc
    command()


if __name__ == "__main__":
    main()
