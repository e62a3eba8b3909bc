"""``evesim run``, ``validate``, ``schema``, ``sweep``, ``new`` and ``list`` (boards, defects, actions, events)."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evesim.agent import fixes
from evesim.scenario import executors
from evesim.scenario.progress import RunProgress, hms

if TYPE_CHECKING:  # the simulation (pandas, SimPy) loads only when a command needs it: the CLI starts fast
    from evesim.scenario.journal import Plan
    from evesim.scenario.loader import Loaded
    from evesim.scenario.run import RunResult
    from evesim.scenario.sweep import SweepResult

console = Console(stderr=True)
out_console = Console()
MAX_SEED = 2**63 - 1
"""Seeds are stored as int64 in the sweep's Parquet rows."""


def _overrides(values: list[str]) -> dict[str, Any]:
    """``--set key=value`` options as a dict, each value read as YAML; a bad one is a usage error (exit 2)."""
    parsed: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {item!r}", param_hint="--set")
        try:
            parsed[key] = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or exc
            raise typer.BadParameter(f"{key}: the value {raw!r} is not valid YAML: {problem}",
                                     param_hint="--set") from None
    return parsed


def _load(file: Path, overrides: dict[str, Any]) -> Loaded:
    """The validated scenario; on problems, print each and exit 2."""
    from evesim.scenario import loader

    try:
        return loader.load(file, overrides)
    except loader.ScenarioError as exc:
        for problem in exc.problems:
            _error(str(problem))
        raise typer.Exit(2) from None


def _with_fixes(file: Path, overrides: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """``overrides`` with the ``--fix`` names added to the scenario's own fixes; an unknown name exits 2."""
    if not names:
        return overrides
    problem = fixes.unknown(names)
    if problem is not None:
        raise typer.BadParameter(problem, param_hint="--fix")
    own = _load(file, overrides).scenario.fixes
    return {**overrides, "fixes": sorted({*own, *names})}


def _error(message: str) -> None:
    console.print(f"[red]error[/red] {escape(message)}", highlight=False, soft_wrap=True)


def _check_out(out: Path | None) -> None:
    """Refuse an ``--out`` that cannot be written before any simulating (exit 2)."""
    if out is None:
        return
    from evesim.scenario import outputs

    try:
        outputs.check_dir(out)
    except outputs.OutputError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None


def _write(result: RunResult | SweepResult, out: Path | None) -> None:
    """Write the outputs; if they cannot be, say so and exit 2 (no ``summary.json`` is left beside them)."""
    if out is None:
        return
    from evesim.scenario import outputs

    try:
        result.write(out)
    except outputs.OutputError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None
    console.print(f"outputs written to {escape(str(out))}", highlight=False, soft_wrap=True)


def _print_summary(result: RunResult) -> None:
    summary = result.summary()
    table = Table(title=escape(f"{summary['scenario']} (seed {summary['seed']})"), show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("simulated", hms(summary["duration_s"]))
    table.add_row("wall time", f"{summary['wall_s']:.1f} s ({summary['speedup']}x real time)")
    table.add_row("devices", str(summary["devices"]))
    table.add_row("onboarded", str(summary["onboarded"]))
    table.add_row("bricked", str(summary["bricked"]))
    for state, count in summary["states"].items():
        table.add_row(f"state {state}", str(count))
    for version, count in summary["versions"].items():
        table.add_row(escape(f"running {version or '-'}"), str(count))
    for name, count in summary.get("outcomes", {}).items():
        table.add_row(f"outcome {name}", str(count))
    for app, states in summary["apps"].items():
        for state, count in states.items():
            table.add_row(escape(f"app {app} {state}"), str(count))
    table.add_row("controller requests", str(summary["controller"]["requests"]))
    table.add_row("events logged", str(summary["events"]))
    out_console.print(table)
    for campaign in summary["campaigns"]:
        _print_campaign(campaign)
    for exp in summary["expectations"]:
        mark = "[green]PASS[/green]" if exp["passed"] else "[red]FAIL[/red]"
        out_console.print(f"{mark} {escape(exp['name'])}: {escape(exp['detail'])}", highlight=False, soft_wrap=True)
    for action in summary["unfired_actions"]:
        where = f"{summary['file']}:{action['line']}: " if action["line"] else ""
        console.print(f"[yellow]warning[/yellow] {escape(where)}timeline[{action['index']}] ({action['action']}) "
                      "never ran: its time is past the end, or the event it waits for never came", highlight=False,
                      soft_wrap=True)


def _print_campaign(campaign: dict[str, Any]) -> None:
    counts = campaign["counts"]
    reason = f" ({campaign['reason']})" if campaign["reason"] else ""
    table = Table(title=escape(f"rollout {campaign['id']} of {campaign['version']}: {campaign['state']}{reason}, "
                               f"failure rate {campaign['failure_rate']:.3g}"))
    for column in ("batch", "started", "settled", "devices", "updated", "failed", "timed out", "pending"):
        table.add_column(column, justify="right")
    for batch in campaign["batches"]:
        done = batch["counts"]
        settled = hms(batch["settled_s"]) if batch["settled_s"] is not None else "-"
        table.add_row(str(batch["index"]), hms(batch["started_s"]), settled, str(batch["devices"]),
                      *(str(done[name]) for name in ("updated", "failed", "timed_out", "pending")))
    if counts["not_started"]:
        table.caption = f"{counts['not_started']} of {counts['devices']} devices in batches not started"
    out_console.print(table)


def run_command(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seed: Annotated[int | None, typer.Option(min=0, max=MAX_SEED, help="Override the scenario's seed.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a scenario key: path.to.key=value.")] = None,
    fix: Annotated[list[str] | None, typer.Option("--fix", help="Switch on a named fix (evesim list fixes); "
                                                   "repeat for several.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write summary.json and Parquet outputs here.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    live: Annotated[bool, typer.Option(help="Serve the live fleet view on 127.0.0.1 while the scenario runs, and "
                                            "after it ends until Ctrl-C.")] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, help="The live view's port (0: any free one).")] = 8765,
    pace: Annotated[float | None, typer.Option(min=0.001, help="Hold simulated time to this many times real time "
                                                             "(e.g. 60: a minute a second), to watch it live.")]
    = None,
    shards_given: Annotated[str, typer.Option(
        "--shards", metavar="N|auto", help="Split the fleet over N processes (at most one per controller cell); auto: "
        "one per core for a fleet of 50 devices or more that can be split, else one. The outputs are the same.")
    ] = "auto",
    reference: Annotated[bool, typer.Option(help="Run in one process: the reference path (as --shards 1).")] = False,
    scheduler: Annotated[str | None, typer.Option(help="Run the shards as actors on this Dask cluster's workers "
                                                       "(tcp://host:port) instead of local processes.")] = None,
) -> None:
    """Run a scenario; exit 1 if an expectation fails, 2 if the scenario is invalid, 130 if interrupted."""
    loaded = _load(file, _with_fixes(file, _overrides(set_ or []), fix or []))
    _check_out(out)
    progress = RunProgress(console, loaded.scenario.duration, quiet)
    view = _LiveView(port, loaded.scenario.duration) if live else None
    try:
        # the planner and the runner are slow to import: Ctrl-C meanwhile is an interrupt like any other
        shards = _shard_count(loaded, shards_given, reference, live or pace is not None, scheduler)
        used_seed = loaded.scenario.seed if seed is None else seed
        split = _sharding(loaded, shards, shards_given == "auto")
        console.print(escape(f"running {loaded.scenario.name} ({file}) with seed {used_seed}{split}"),
                      highlight=False, soft_wrap=True)
        from evesim.scenario.run import run

        with progress:
            if shards > 1:
                result = _run_sharded(loaded, shards, seed, progress, scheduler)
            else:
                result = run(loaded, seed, view.tick(progress.tick) if view else progress.tick, pace)
    except KeyboardInterrupt:
        now = progress.reached()
        reached = f" at sim {hms(now)}" if now is not None else ""
        _error(f"interrupted{reached}; nothing was written")
        raise typer.Exit(130) from None
    finally:
        if view is not None:
            view.finished()
    _print_summary(result)
    _write(result, out)
    if view is not None:
        view.linger()
    raise typer.Exit(0 if result.passed else 1)


def _run_sharded(loaded: Loaded, shards: int, seed: int | None, progress: RunProgress,
                 scheduler: str | None) -> RunResult:
    """``--shards``: the run over shard processes or Dask actors; a fleet that cannot be split, a cluster that
    cannot be reached or a failed shard exits 2."""
    from evesim.scenario.shards import ShardingError, run_sharded

    try:
        return run_sharded(loaded, shards, seed, progress.tick, scheduler)
    except ShardingError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None


def _shard_count(loaded: Loaded, given: str, reference: bool, watched: bool, scheduler: str | None) -> int:
    """The processes a run uses: ``--shards N``; one with ``--reference``, ``--live`` or ``--pace``; else as many as
    ``auto_shards`` picks (exit 2 on a bad or clashing value)."""
    from evesim.scenario.shards import MAX_SHARDS, auto_shards

    if given != "auto" and not (given.isdigit() and 1 <= int(given) <= MAX_SHARDS):
        _error(f"--shards must be 'auto' or a number from 1 to {MAX_SHARDS}, not {given!r}")
        raise typer.Exit(2)
    asked = None if given == "auto" else int(given)
    if asked is not None and asked > 1 and (reference or watched):
        _error(f"--shards cannot be used with {'--reference' if reference else '--live or --pace'} (they run "
               "one process's world)")
        raise typer.Exit(2)
    if scheduler is not None and (asked is None or asked == 1):
        _error("--scheduler runs the shards of a sharded run: give --shards N (more than 1)")
        raise typer.Exit(2)
    if asked is not None:
        return asked
    return 1 if reference or watched else auto_shards(loaded.scenario)


def _sharding(loaded: Loaded, shards: int, auto: bool) -> str:
    """How the run is split, for its first line ("" for one process)."""
    if shards == 1:
        return ""
    from evesim.scenario.shards import cell_count, plan

    count, cells = len(plan(loaded.scenario, shards)), cell_count(loaded.scenario)
    why = (" (--shards auto; --reference runs one process)" if auto else "" if count == shards
           else f" (the controller has {cells} cell{'s' if cells > 1 else ''})" if cells < shards
           else " (devices that send each other app traffic run on one shard)")
    return f" on {count} shard{'s' if count > 1 else ''}{why}"


class _LiveView:
    """``--live``: the fleet view, started with the world and left up after the run until Ctrl-C."""

    def __init__(self, port: int, duration: float) -> None:
        self.port = port
        self.duration = duration
        self.source: Any = None
        self.server: Any = None

    def tick(self, then: Callable[[float, float, Any], None]) -> Callable[[float, float, Any], None]:
        """The run's ``on_tick``: start the view on the first tick (the world exists), then call ``then``."""

        def on_tick(now: float, total: float, world: Any) -> None:
            if self.server is None:
                self._start(world)
            then(now, total, world)

        return on_tick

    def _start(self, world: Any) -> None:
        from evesim.scenario.fleetsource import WorldSource
        from evesim.scenario.live import LiveServer

        self.source = WorldSource(world, self.duration)
        self.server = LiveServer(self.source, self.port)
        try:
            url = self.server.start()
        except RuntimeError as exc:
            _error(f"--live: {exc}")
            raise typer.Exit(2) from None
        console.print(f"live fleet view: {url}", highlight=False, soft_wrap=True)

    def finished(self) -> None:
        if self.source is not None:
            self.source.done = True

    def linger(self) -> None:
        """Keep serving the finished run until Ctrl-C."""
        if self.server is None:
            return
        console.print("the run is over; the live view stays up until Ctrl-C", highlight=False)
        try:
            while self.server.thread.is_alive():
                self.server.thread.join(0.5)
        except KeyboardInterrupt:
            pass
        self.server.stop()


def validate_command(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a scenario key: path.to.key=value.")] = None,
) -> None:
    """Check a scenario without running it; errors name file, line, column and field."""
    loaded = _load(file, _overrides(set_ or []))
    scenario = loaded.scenario
    devices = sum(g.count for g in scenario.fleet)
    out_console.print(escape(f"{file}: ok ({scenario.name}: {devices} devices, {len(scenario.timeline)} timeline "
                             f"actions, {len(scenario.expectations)} expectations)"), highlight=False, soft_wrap=True)


def schema_command() -> None:
    """Print the JSON Schema of the scenario language."""
    from evesim.scenario import model

    out_console.print_json(json.dumps(model.schema()))


# ---------------------------------------------------------------- evesim sweep


def _print_sweep(result: SweepResult) -> None:
    summary = result.summary()
    table = Table(title=escape(f"{summary['scenario']}: {summary['replicas']} replicas"), show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    seeds = summary["seeds"]
    table.add_row("seeds", f"{seeds['first']}..{seeds['last']}" if seeds else "-")
    table.add_row("executor", f"{summary['executor']} ({summary['workers']} workers)")
    table.add_row("wall time", f"{summary['wall_s']:.1f} s ({summary['replicas_per_s']} replicas/s)")
    table.add_row("passed", str(summary["passed"]))
    table.add_row("failed an expectation", str(summary["failed"]))
    table.add_row("raised an error", str(summary["errors"]))
    for exp in summary["expectations"].values():
        table.add_row(escape(f"passed: {exp['name']}"), f"{exp['passed']} / {summary['replicas'] - summary['errors']}")
    for name, stats in summary["outcomes"].items():
        table.add_row(f"outcome {name} (mean)", f"{stats['mean']:g}")
    out_console.print(table)
    if result.failing_seeds:
        shown = ", ".join(str(s) for s in result.failing_seeds[:20])
        more = f" (+{len(result.failing_seeds) - 20} more)" if len(result.failing_seeds) > 20 else ""
        out_console.print(f"[red]failing seeds[/red]: {shown}{more}; replay one with: evesim run FILE --seed SEED",
                          highlight=False)
    for seed, error in list(result.errors.items())[:20]:
        _error(f"seed {seed}: {error}")


def sweep_command(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seeds: Annotated[int | None, typer.Option(min=1, help="How many seeded replicas to run.")] = None,
    first_seed: Annotated[int | None, typer.Option(min=0, max=MAX_SEED,
                                                      help="First seed (default: the scenario's).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: CPU count).")] = None,
    executor: Annotated[str, typer.Option(help="Where replicas run: local (process pool) or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (with --executor dask).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a scenario key: path.to.key=value.")] = None,
    fix: Annotated[list[str] | None, typer.Option("--fix", help="Switch on a named fix (evesim list fixes); "
                                                   "repeat for several.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write replicas.parquet and summary.json here.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Continue the interrupted sweep whose --out was DIR: "
                                                "its seeds, overrides and fixes, only the replicas not yet run.",
                                                metavar="DIR")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run seeded replicas of a scenario; exit 1 if any fails an expectation, 2 if the scenario is invalid,
    3 if a replica raised an error, 130 if interrupted (the finished replicas are kept: --resume continues)."""
    if resume is not None:
        given = [name for name, value in (("--seeds", seeds), ("--first-seed", first_seed), ("--set", set_),
                                          ("--fix", fix), ("--out", out)) if value]
        if given:
            raise typer.BadParameter(f"{', '.join(given)} cannot be given with --resume: the sweep in {resume} "
                                     "says its seeds, overrides and fixes, and its outputs go back there",
                                     param_hint="--resume")
        loaded, plan, done = _resumed(file, resume)
        out = resume
    else:
        if seeds is None:
            raise typer.BadParameter("how many replicas? give --seeds N (or --resume DIR)", param_hint="--seeds")
        overrides = _with_fixes(file, _overrides(set_ or []), fix or [])
        loaded = _load(file, overrides)
        start = loaded.scenario.seed if first_seed is None else first_seed
        if start + seeds - 1 > MAX_SEED:
            raise typer.BadParameter(f"the last seed {start + seeds - 1} is above {MAX_SEED}", param_hint="--seeds")
        _check_out(out)
        from evesim.scenario.journal import Plan

        plan, done = Plan(start, seeds, loaded.digest, overrides), []
    with CtrlC().handling():
        _finish_sweep(file, loaded, plan, done, out, (executor, workers, scheduler), quiet)


def _finish_sweep(file: Path, loaded: Loaded, plan: Plan, done: list[dict[str, Any]], out: Path | None,
                  where: tuple[str, int | None, str | None], quiet: bool) -> None:
    """Run the sweep, print and write what it gives, and exit with its outcome."""
    try:
        result = _sweep(loaded, plan, done, out, where, quiet)
    except KeyboardInterrupt:
        _error("interrupted before the sweep started; nothing was written")
        raise typer.Exit(130) from None
    _print_sweep(result)
    _write(result, out)
    if out is not None:
        (out / "sweep.journal").unlink(missing_ok=True)  # the outputs now hold every row it had
    if not result.complete:
        hint = f"; continue with: evesim sweep {file} --resume {out}" if out else "; give --out DIR to keep them"
        _error(f"interrupted: {len(result.replicas)} of {len(result.requested)} replicas finished{hint}")
        raise typer.Exit(130)
    raise typer.Exit(3 if result.errors else 1 if result.failing_seeds else 0)


class CtrlC:
    """``evesim sweep``'s SIGINT handler: the first Ctrl-C stops the sweep, and from then on Ctrl-C is ignored but
    while the sweep waits for its running replicas (``sweep.sigint_raises``), so that stopping the workers, writing
    the finished replicas and exiting cannot be cut short."""

    def __init__(self) -> None:
        self.pressed = False

    def __call__(self, signum: int, frame: object) -> None:
        self.pressed = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the OS's own ignoring: it holds while the interpreter exits
        raise KeyboardInterrupt

    @contextmanager
    def handling(self) -> Iterator[None]:
        """Handle SIGINT in the block (in the main thread only); the previous handler comes back unless it was
        pressed (the command is then exiting)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self)
        try:
            yield
        finally:
            if not self.pressed and previous is not None:
                signal.signal(signal.SIGINT, previous)


def _resumed(file: Path, folder: Path) -> tuple[Loaded, Plan, list[dict[str, Any]]]:
    """The scenario, plan and finished rows of the sweep whose outputs are in ``folder``; exit 2 if it cannot
    be resumed with ``file``."""
    from evesim.scenario import journal

    try:
        plan, rows = journal.resumable(folder)
    except journal.JournalError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None
    if set(plan.seeds) <= {int(row["seed"]) for row in rows}:
        console.print(escape(f"the sweep in {folder} is complete: nothing to resume"), highlight=False,
                      soft_wrap=True)
        raise typer.Exit(0)
    loaded = _load(file, plan.overrides)
    if loaded.digest != plan.scenario_sha256:
        _error(f"{file} is not the scenario the sweep in {folder} ran (its sha256 differs): "
               "resuming would mix replicas of two scenarios")
        raise typer.Exit(2)
    console.print(escape(f"resuming: {len(rows)} of {plan.count} replicas already in {folder}"), highlight=False,
                  soft_wrap=True)
    return loaded, plan, rows


def _sweep(loaded: Loaded, plan: Plan, done: list[dict[str, Any]], out: Path | None,
           where: tuple[str, int | None, str | None], quiet: bool) -> SweepResult:
    """Run the plan's replicas not in ``done`` with a progress bar; the journal in ``out`` follows each chunk."""
    seeds = plan.seeds
    console.print(escape(f"sweeping {loaded.scenario.name} ({loaded.path}) over seeds {seeds.start}..{seeds.stop - 1}"),
                  highlight=False, soft_wrap=True)
    from evesim.scenario.journal import Journal
    from evesim.scenario.sweep import sweep

    record = Journal(out, plan, done) if out is not None else None
    try:
        with executors.open_pool(*where) as pool, Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failures]}"),
            TimeElapsedColumn(), console=console, disable=quiet, transient=True,
        ) as progress:
            failures = sum(1 for row in done if not row["passed"])
            task = progress.add_task("replicas", total=len(seeds), completed=len(done), failures=f"{failures} failed")

            def on_rows(rows: list[dict[str, Any]]) -> None:
                nonlocal failures
                failures += sum(1 for row in rows if not row["passed"])
                progress.update(task, advance=len(rows), failures=f"{failures} failed")
                if record is not None:
                    record.append(rows)

            result = sweep(loaded, seeds, pool.executor, pool.slots, pool.kind, on_rows, plan.overrides, done,
                           pool.interrupt)
    except executors.ExecutorError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None
    finally:
        if record is not None:
            record.close()
    return result


# ---------------------------------------------------------------- evesim list


def new_command(
    template: Annotated[str | None, typer.Argument(help="power-loss, staged-rollout, partition or bad-image "
                                                        "(none: list them)", show_default=False)] = None,
    file: Annotated[Path | None, typer.Argument(help="Where to write it (default: TEMPLATE.yaml here)",
                                                show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists")] = False,
) -> None:
    """Write a commented starter scenario to edit and run."""
    from evesim.scenario.templates import TEMPLATES, render

    if template is None:
        _lines({name: what for name, (what, _) in TEMPLATES.items()})
        return
    if template not in TEMPLATES:
        import difflib

        near = difflib.get_close_matches(template, list(TEMPLATES), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise typer.BadParameter(f"no template {template!r}{hint} (one of: {', '.join(TEMPLATES)})",
                                 param_hint="TEMPLATE")
    target = file or Path(f"{template}.yaml")
    if target.exists() and not force:
        _error(f"{target} exists: give another FILE, or --force to overwrite it")
        raise typer.Exit(2)
    try:
        target.write_text(render(template, target.stem, str(target)), encoding="utf-8")
    except OSError as exc:
        _error(f"cannot write {target}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    console.print(escape(f"wrote {target}; run it with: evesim run {target}"), highlight=False, soft_wrap=True)


def _lines(entries: dict[str, str]) -> None:
    width = max(len(name) for name in entries)
    for name, line in entries.items():
        out_console.print(escape(f"{name:<{width}}  {line}"), highlight=False, soft_wrap=True)


def list_boards_command() -> None:
    """List the board profiles a fleet group may name (board: NAME), with their figures."""
    from evesim.hw.board import PROFILES, BoardProfile

    def line(p: BoardProfile) -> str:
        watchdog = f"hardware watchdog {p.hw_watchdog_timeout_s:g} s" if p.has_hw_watchdog else "no hardware watchdog"
        return (f"{p.product_name} ({p.manufacturer}): {p.ncpu} CPUs, {p.ram_mb} MiB RAM, {p.disk_gb} GB disk, "
                f"flash {p.flash_write_bps / 1e6:g} MB/s write, {'a TPM' if p.has_tpm else 'no TPM'}, {watchdog}")

    _lines({name: line(p) for name, p in sorted(PROFILES.items())})


def list_defects_command() -> None:
    """List the defects an EVE image (images: defects) or an app image (apps: defects) may have."""
    from evesim.scenario import catalog

    _lines({**{f"image {name}": line for name, line in catalog.IMAGE_DEFECTS.items()},
            **{f"app {name}": line for name, line in catalog.APP_DEFECTS.items()}})


def list_actions_command() -> None:
    """List the timeline actions (action: NAME)."""
    from evesim.scenario import catalog

    _lines(dict(sorted(catalog.ACTIONS.items())))


def list_events_command() -> None:
    """List the event kinds the event log holds (for when: {event: KIND} and metric: events)."""
    from evesim.scenario import catalog

    _lines(dict(sorted(catalog.EVENTS.items())))


def list_fixes_command() -> None:
    """List the named fixes, one a line: improvements on EVE's behaviour, off unless a scenario or --fix asks
    (or the device runs an EVE release that has the fix)."""
    width = max(len(name) for name in fixes.FIXES)
    for name, info in fixes.FIXES.items():
        since = f"; on by default from EVE {info.since}" if info.since else ""
        out_console.print(escape(f"{name:<{width}}  {info.summary} [{info.upstream}{since}]"), highlight=False,
                          soft_wrap=True)
