"""The ``evesim`` command."""

from __future__ import annotations

import typer

from evesim.backends.cli import agent_command
from evesim.controller.cli import app as controller_app
from evesim.scenario.cli import list_fixes_command, run_command, schema_command, sweep_command, validate_command

app = typer.Typer(
    help="evesim: a simulation-first digital twin of a fleet of LF Edge EVE devices.", no_args_is_help=True
)
app.command("run")(run_command)
app.command("validate")(validate_command)
app.command("schema")(schema_command)
app.command("sweep")(sweep_command)
list_app = typer.Typer(help="List what evesim knows.", no_args_is_help=True)
list_app.command("fixes")(list_fixes_command)
app.add_typer(list_app, name="list")
app.add_typer(controller_app, name="controller")
app.command("agent")(agent_command)


def main() -> None:
    """Entry point of the ``evesim`` console script."""
    app()


if __name__ == "__main__":
    main()
