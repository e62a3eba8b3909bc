"""Where sweep replicas run: a local process pool, or a Dask cluster (the optional ``dist`` extra)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from evesim.scenario.vocab import EXECUTORS, ExecutorKind

CONNECT_TIMEOUT_S = 10.0


class ExecutorError(RuntimeError):
    """An executor that cannot be started (missing extra, unreachable scheduler, bad option)."""


@dataclass(frozen=True)
class Pool:
    """A ``concurrent.futures`` executor and how many replicas it runs at once."""

    kind: ExecutorKind
    executor: Executor
    slots: int


def default_workers() -> int:
    """One worker per CPU."""
    return os.cpu_count() or 1


@contextmanager
def local(workers: int) -> Iterator[Pool]:
    """A process pool of ``workers`` processes, forked from a clean server that preloads evesim."""
    if workers < 1:
        raise ExecutorError(f"--workers must be at least 1, got {workers}")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["evesim.scenario.sweep"])
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        yield Pool("local", executor, workers)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def dask(workers: int, scheduler: str | None = None) -> Iterator[Pool]:
    """A Dask client: connected to ``scheduler`` if given, else to a new LocalCluster of ``workers`` processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorError("the dask executor needs the dist extra: pip install 'evesim[dist]'") from None
    if scheduler is None:
        if workers < 1:
            raise ExecutorError(f"--workers must be at least 1, got {workers}")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        cluster = None
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
    try:
        slots = sum(client.nthreads().values()) or 1
        yield Pool("dask", client.get_executor(pure=False), slots)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def open_pool(kind: str, workers: int | None = None, scheduler: str | None = None) -> Iterator[Pool]:
    """The pool an ``evesim sweep`` asks for (``workers`` defaults to the CPU count)."""
    if kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {kind!r}; expected one of: {', '.join(EXECUTORS)}")
    if scheduler is not None and kind != "dask":
        raise ExecutorError("--scheduler needs --executor dask")
    count = default_workers() if workers is None else workers
    with (local(count) if kind == "local" else dask(count, scheduler)) as pool:
        yield pool
