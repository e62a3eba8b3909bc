"""Where sweep replicas run: a local process pool, or a Dask cluster (the optional ``dist`` extra)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

from evesim.scenario.vocab import EXECUTORS, ExecutorKind

CONNECT_TIMEOUT_S = 10.0
STOP_JOIN_S = 2.0
"""After an interrupted sweep, how long an idle worker gets to exit before it is killed."""


class ExecutorError(RuntimeError):
    """An executor that cannot be started (missing extra, unreachable scheduler, bad option)."""


@dataclass
class Pool:
    """A ``concurrent.futures`` executor and how many replicas it runs at once."""

    kind: ExecutorKind
    executor: Executor
    slots: int
    workers: Callable[[], list[BaseProcess]] = list
    """The pool's worker processes (none known for Dask's)."""
    interrupted: bool = False

    def interrupt(self) -> None:
        """Ask each running replica to stop (SIGINT to the local workers), keeping the finished ones."""
        self.interrupted = True
        for process in self.workers():
            _signal(process, signal.SIGINT)


def quiet_worker() -> None:
    """A local worker ignores SIGINT but while it runs a chunk (``sweep.interruptible``): an idle one is not
    killed by a terminal's Ctrl-C, a busy one hands over the replicas it finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _signal(process: BaseProcess, signum: int) -> None:
    if process.pid is not None and process.is_alive():
        with suppress(ProcessLookupError):
            os.kill(process.pid, signum)


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
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=quiet_worker)
    processes: list[BaseProcess] = []

    def known() -> list[BaseProcess]:
        # the executor keeps its processes in a private map; remember them, as shutdown drops the map
        processes[:] = list((getattr(executor, "_processes", None) or {}).values()) or processes
        return processes

    pool = Pool("local", executor, workers, known)
    try:
        yield pool
    except BaseException:
        pool.interrupted = True
        raise
    finally:
        if pool.interrupted:
            _tear_down(executor, known())
        else:
            executor.shutdown(wait=True, cancel_futures=True)


def _tear_down(executor: ProcessPoolExecutor, processes: list[BaseProcess]) -> None:
    """Shut an interrupted pool down without waiting on a replica: a worker still busy after
    ``STOP_JOIN_S`` is killed, so no process outlives the sweep."""
    executor.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + STOP_JOIN_S
    try:
        for process in processes:
            process.join(max(deadline - time.monotonic(), 0.0))
    except KeyboardInterrupt:  # one more Ctrl-C: stop waiting
        pass
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()


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
