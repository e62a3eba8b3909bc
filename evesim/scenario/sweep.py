"""Sweeps: many seeded replicas of one scenario on an executor, one row per replica.

Rows hold no wall-clock values, so a sweep's ``replicas.parquet`` is byte-identical whatever
the executor and the worker count.
"""

from __future__ import annotations

import json
import math
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, as_completed, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

import evesim
from evesim.scenario import model, outputs
from evesim.scenario.expect import describe
from evesim.scenario.loader import Loaded
from evesim.scenario.run import run
from evesim.scenario.vocab import ExecutorKind
from evesim.sim.events import write_parquet
from evesim.sim.outcome import OUTCOMES

MAX_CHUNK = 64
STOP_GRACE_S = 10.0
"""After Ctrl-C, how long running chunks get to hand over the replicas they finished."""
CHUNKS_PER_SLOT = 4
COUNTS = ("devices", "onboarded", "bricked", "events")
TOTALS = (*COUNTS, "controller_requests")
Row = dict[str, Any]
ColumnType = Literal["int64", "bool", "string", "boolean", "Int64"]
"""The pandas dtypes of the replica table's columns."""


def slug(text: str) -> str:
    """A lower-case identifier made of ``text``'s letters and digits."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60].rstrip("_") or "expectation"


def expectation_columns(scenario: model.Scenario) -> list[str]:
    """One stable, unique column name per expectation: ``expect_`` + a slug of its name."""
    columns: list[str] = []
    for exp in scenario.expectations:
        base = "expect_" + slug(exp.name or f"{exp.kind} {describe(exp.check)}")
        name, n = base, 2
        while name in columns:
            name, n = f"{base}_{n}", n + 1
        columns.append(name)
    return columns


def schema(scenario: model.Scenario) -> dict[str, ColumnType]:
    """The columns of ``replicas.parquet`` and their pandas dtypes."""
    return {
        "seed": "int64", "passed": "bool", "error": "string",
        **{column: "boolean" for column in expectation_columns(scenario)},
        **{f"outcome_{name}": "Int64" for name in OUTCOMES},
        **{name: "Int64" for name in COUNTS},
        "event_log_sha256": "string", "controller_requests": "Int64",
    }


def replica(loaded: Loaded, seed: int) -> Row:
    """Run one seeded replica and return its row."""
    summary = run(loaded, seed).summary()
    columns = expectation_columns(loaded.scenario)
    return {
        "seed": seed, "passed": summary["passed"], "error": "",
        **{column: exp["passed"] for column, exp in zip(columns, summary["expectations"], strict=False)},
        **{f"outcome_{name}": count for name, count in summary["outcomes"].items()},
        **{name: summary[name] for name in COUNTS},
        "event_log_sha256": summary["event_log_sha256"], "controller_requests": summary["controller"]["requests"],
    }


def error_row(seed: int, exc: BaseException) -> Row:
    """The row of a replica that raised ``exc``."""
    return {"seed": seed, "passed": False, "error": f"{type(exc).__name__}: {exc}".strip()}


def run_chunk(loaded: Loaded, seeds: Sequence[int]) -> list[Row]:
    """Run the replicas of ``seeds`` in turn; an exception becomes that replica's error row.

    In a sweep's worker, SIGINT stops the chunk: the replica it cut short has no row, the finished
    ones are returned.
    """
    rows: list[Row] = []
    with interruptible() as armed:
        try:
            for seed in seeds:
                if _interrupted.is_set():
                    break
                try:
                    rows.append(replica(loaded, seed))
                except Exception as exc:  # a replica's crash is data, reported with its seed
                    rows.append(error_row(seed, exc))
        except KeyboardInterrupt:
            if not armed:  # not a sweep's worker: Ctrl-C is the caller's
                raise
    return rows


@contextmanager
def interruptible() -> Iterator[bool]:
    """In a worker process that ignores SIGINT (``executors.quiet_worker``), let one SIGINT interrupt this block
    (True); elsewhere leave SIGINT alone (False)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) != signal.SIG_IGN:
        yield False
        return
    signal.signal(signal.SIGINT, _interrupt_once)
    try:
        yield True
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def sigint_raises() -> Iterator[None]:
    """In the main thread, let Ctrl-C raise KeyboardInterrupt in this block even where the caller ignores it (the
    CLI does once a sweep is stopping), then put the caller's handling back; elsewhere do nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        _put_back(previous)


def _put_back(handler: Any) -> None:
    """Install ``handler`` for SIGINT (SIG_DFL if Python does not know the previous one)."""
    while True:
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL if handler is None else handler)
            return
        except KeyboardInterrupt:  # a press as the block ended: signal.signal runs it first; it ends nothing more
            continue


def _interrupt_once(signum: int, frame: object) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _interrupted.set()
    raise KeyboardInterrupt


_interrupted = threading.Event()
"""Set in a worker once its sweep was interrupted: chunks already queued to it return at once."""


def chunk(seeds: Sequence[int], slots: int) -> list[list[int]]:
    """Split seeds into contiguous chunks: at least ``CHUNKS_PER_SLOT`` per slot, at most ``MAX_CHUNK`` seeds each."""
    size = min(MAX_CHUNK, max(1, math.ceil(len(seeds) / (max(slots, 1) * CHUNKS_PER_SLOT))))
    return [list(seeds[i:i + size]) for i in range(0, len(seeds), size)]


def frame(rows: Sequence[Row], scenario: model.Scenario) -> pd.DataFrame:
    """Rows sorted by seed, with every column of ``schema`` (missing values are NA)."""
    dtypes = schema(scenario)
    ordered = sorted(rows, key=lambda r: r["seed"])
    data = {name: pd.array([r.get(name) for r in ordered], dtype=dtype) for name, dtype in dtypes.items()}
    return pd.DataFrame(data, columns=list(dtypes))


@dataclass
class SweepResult:
    """What a sweep produced: one row per finished replica, sorted by seed."""

    loaded: Loaded
    replicas: pd.DataFrame
    executor: ExecutorKind
    workers: int
    wall_s: float
    overrides: dict[str, Any] = field(default_factory=dict)
    requested: range = range(0)
    """The seeds asked for (an interrupted sweep has rows for some of them only)."""

    @property
    def complete(self) -> bool:
        """True when every requested seed has its row."""
        return set(self.requested) <= set(int(s) for s in self.replicas["seed"])


    @property
    def ok(self) -> pd.DataFrame:
        """Replicas that ran to the end."""
        return self.replicas[self.replicas["error"] == ""]

    @property
    def failing_seeds(self) -> list[int]:
        """Seeds whose replica ran but failed an expectation."""
        return [int(s) for s in self.ok.loc[~self.ok["passed"], "seed"]]

    @property
    def errors(self) -> dict[int, str]:
        """Seeds whose replica raised, with the error."""
        failed = self.replicas[self.replicas["error"] != ""]
        return {int(s): str(e) for s, e in zip(failed["seed"], failed["error"], strict=False)}

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content."""
        ok, seeds = self.ok, self.replicas["seed"]
        count = len(self.replicas)
        columns = expectation_columns(self.loaded.scenario)
        expectations = [e.name or column for e, column in zip(self.loaded.scenario.expectations, columns, strict=False)]
        return {
            "scenario": self.loaded.scenario.name,
            "file": self.loaded.path,
            "scenario_sha256": self.loaded.digest,
            "overrides": self.overrides,
            "fixes": sorted(self.loaded.scenario.fixes),
            "evesim_version": evesim.__version__,
            "seeds": {"first": int(seeds.min()), "last": int(seeds.max())} if count else None,
            "requested": {"first": self.requested.start, "count": len(self.requested)},
            "complete": self.complete,
            "replicas": count,
            "passed": int(ok["passed"].sum()),
            "failed": len(self.failing_seeds),
            "errors": len(self.errors),
            "failing_seeds": self.failing_seeds,
            "error_seeds": {str(s): e for s, e in self.errors.items()},
            "expectations": {column: {"name": name, "passed": int(ok[column].sum())}
                             for column, name in zip(columns, expectations, strict=False)},
            "outcomes": {name: _total_mean(ok[f"outcome_{name}"]) for name in OUTCOMES},
            "totals": {name: _total_mean(ok[name]) for name in TOTALS},
            "executor": self.executor,
            "workers": self.workers,
            "wall_s": round(self.wall_s, 3),
            "replicas_per_s": round(count / self.wall_s, 3) if self.wall_s else None,
        }

    def write(self, out: Path) -> None:
        """Write ``replicas.parquet`` and then ``summary.json`` into ``out`` (all or none)."""
        summary = json.dumps(self.summary(), indent=2) + "\n"
        outputs.write_all(out, {
            "replicas.parquet": lambda path: write_parquet(self.replicas, path),
            "summary.json": lambda path: path.write_text(summary),
        })


def _total_mean(column: pd.Series) -> dict[str, float]:
    total = int(column.sum())
    return {"total": total, "mean": round(total / len(column), 6) if len(column) else 0.0}


def sweep(loaded: Loaded, seeds: range, executor: Executor, slots: int, kind: ExecutorKind = "local",
          on_rows: Callable[[list[Row]], None] | None = None, overrides: dict[str, Any] | None = None,
          done: Sequence[Row] = (), interrupt: Callable[[], None] = lambda: None) -> SweepResult:
    """Run one replica per seed of ``seeds`` without a row in ``done`` on ``executor``, in chunks; ``on_rows``
    sees each finished chunk's rows.

    A chunk that cannot finish (a worker process died, a task could not be sent) gives error rows
    for each of its seeds; the sweep still returns. Ctrl-C (KeyboardInterrupt) stops it: chunks not
    started are cancelled, ``interrupt`` asks the running ones to stop, and the result holds every
    replica that finished (``complete`` is False).
    """
    started = time.perf_counter()
    have = {int(row["seed"]) for row in done}
    todo = [seed for seed in seeds if seed not in have]
    pending: dict[Future[list[Row]], list[int]] = {
        executor.submit(run_chunk, loaded, part): part for part in chunk(todo, slots)
    }
    rows: list[Row] = list(done)
    left = set(pending)

    def take(future: Future[list[Row]]) -> None:
        left.discard(future)
        try:
            finished = future.result()
        except Exception as exc:  # the chunk never ran to its end: report every seed in it
            finished = [error_row(seed, exc) for seed in pending[future]]
        rows.extend(finished)
        if on_rows is not None:
            on_rows(finished)

    try:
        for future in as_completed(pending):
            take(future)
    except KeyboardInterrupt:
        for future in _stop(left, interrupt):
            take(future)
    wall = time.perf_counter() - started
    return SweepResult(loaded, frame(rows, loaded.scenario), kind, slots, wall, dict(overrides or {}), seeds)


def _stop(pending: set[Future[list[Row]]], interrupt: Callable[[], None]) -> list[Future[list[Row]]]:
    """Cancel the chunks not started, interrupt the running ones; the chunks that give their rows within
    ``STOP_GRACE_S`` (a second Ctrl-C gives up waiting)."""
    for future in pending:
        future.cancel()
    interrupt()
    running = [future for future in pending if not future.cancelled()]
    try:
        with sigint_raises():
            wait(running, timeout=STOP_GRACE_S)
    except KeyboardInterrupt:
        pass
    return [future for future in running if future.done() and future.exception() is None]
