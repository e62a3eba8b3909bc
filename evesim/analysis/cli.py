"""``evesim report`` (a run's HTML page, or two runs compared) and ``evesim events`` (query a run's event log)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evesim.api import units

if TYPE_CHECKING:
    import pandas as pd

    from evesim.analysis.load import Run

console = Console(stderr=True)
out_console = Console()
EventFormat = Literal["table", "csv", "json"]
SEVERITY_STYLES = {"warning": "yellow", "error": "red"}


def _error(message: str) -> None:
    console.print(f"[red]error[/red] {escape(message)}", highlight=False, soft_wrap=True)


def _load(path: Path) -> Run:
    from evesim.analysis.load import AnalysisError, load_run

    try:
        return load_run(path)
    except AnalysisError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None


def report_command(
    run_dir: Annotated[Path, typer.Argument(help="The --out directory of `evesim run`.", metavar="RUN_DIR")],
    other: Annotated[Path | None, typer.Argument(help="A second run's directory: compare the two.",
                                                 metavar="[OTHER_RUN_DIR]")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the HTML file (default: RUN_DIR/report.html, or "
                                                  "OTHER_RUN_DIR/compare.html when comparing).")] = None,
) -> None:
    """Write one self-contained HTML report of a run (verdicts, outcomes, campaigns, plots, the first failing
    device's events), or of two runs compared (outcome differences, the first event where they diverge)."""
    first = _load(run_dir)
    if other is None:
        from evesim.analysis import report

        html, target = report.render(first), out or run_dir / "report.html"
    else:
        from evesim.analysis import compare

        html, target = compare.render(first, _load(other)), out or other / "compare.html"
    try:
        target.write_text(html, encoding="utf-8")
    except OSError as exc:
        _error(f"cannot write {target}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    console.print(f"report written to {escape(str(target))} ({len(html) // 1024} KiB)", highlight=False,
                  soft_wrap=True)


def _seconds(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        return units.duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def events_command(
    run_dir: Annotated[Path, typer.Argument(help="The --out directory of `evesim run`.", metavar="RUN_DIR")],
    device: Annotated[list[str] | None, typer.Option("--device", "-d", help="Only this device (repeat for "
                                                     "several; `world` for the world's own events).")] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", "-k", help="Only this event kind (repeat for several).")]
    = None,
    agent: Annotated[list[str] | None, typer.Option("--agent", "-a", help="Only events this agent logged.")] = None,
    severity: Annotated[str | None, typer.Option(help="Only events at least this severe: info, warning, error.")]
    = None,
    since: Annotated[str | None, typer.Option(help="Only from this simulated time on (90s, 15m, 2h30m).")] = None,
    until: Annotated[str | None, typer.Option(help="Only up to this simulated time (inclusive).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many events (the first ones).")] = None,
    format_: Annotated[EventFormat, typer.Option("--format", "-f", help="table, csv or json (one object a line).")]
    = "table",
) -> None:
    """Print a run's events that match every filter given, in time order."""
    from evesim.analysis.events import SEVERITY_ORDER, select

    if severity is not None and severity not in SEVERITY_ORDER:
        raise typer.BadParameter(f"expected one of {', '.join(SEVERITY_ORDER)}, got {severity!r}",
                                 param_hint="--severity")
    run = _load(run_dir)
    unknown = sorted(set(kind or ()) - set(run.events["kind"].unique()))
    if unknown:
        console.print(escape(f"note: no event of kind {', '.join(unknown)} in this run"), highlight=False)
    chosen = select(run.events, devices=device, kinds=kind, agents=agent, severity=severity,
                    since=_seconds(since, "--since"), until=_seconds(until, "--until"), limit=limit)
    _print_events(chosen, format_, len(run.events))


def _print_events(events: pd.DataFrame, format_: EventFormat, total: int) -> None:
    if format_ == "csv":
        typer.echo(events.to_csv(index=False), nl=False)
    elif format_ == "json":
        for record in events.to_dict("records"):
            record["fields"] = json.loads(str(record["fields"]))
            typer.echo(json.dumps(record))
    else:
        table = Table(caption=f"{len(events)} of {total} events")
        table.add_column("time", justify="right")
        for column in ("device", "agent", "kind", "severity"):
            table.add_column(column)
        table.add_column("fields", overflow="fold")
        for time, *texts in zip(events["time"].astype(float), events["device"], events["agent"], events["kind"],
                                events["severity"], events["fields"], strict=True):
            cells = [escape(str(value)) for value in texts]
            table.add_row(f"{time:g}", *cells, style=SEVERITY_STYLES.get(cells[3]))
        out_console.print(table)
