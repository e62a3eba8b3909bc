"""Where a sharded run's shards live: forked processes of this machine, or Dask actors on a cluster's workers.

Each shard is a ``ShardWorker``: its part of the world and the commands it answers. A host sends one
command to every shard and gathers their answers in shard order; a shard that fails or vanishes ends
the run with a ``ShardingError`` naming it.
"""

from __future__ import annotations

import signal
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from evesim.scenario import build
from evesim.scenario.executors import CONNECT_TIMEOUT_S
from evesim.scenario.expect import meters
from evesim.scenario.loader import Loaded
from evesim.scenario.run import FleetEnd, sample
from evesim.scenario.timeline import Timeline
from evesim.sim.sharding import Shard


class ShardingError(ValueError):
    """The scenario cannot be split over shards (the message says why), or a shard failed."""


class ShardWorker:
    """One shard of a run: its part of the world, armed and started, and the commands it answers."""

    def __init__(self, loaded: Loaded, seed: int, shard: Shard) -> None:
        scenario = loaded.scenario
        self.apps = [a.name for a in scenario.apps]
        self.world = build.world(scenario, seed, shard)
        Timeline(self.world, scenario).arm()
        self.meters: list[Callable[[], tuple[float, int]]] = meters(self.world, list(scenario.expectations))
        self.world.start()

    def do(self, command: str, argument: Any = None) -> Any:
        """``advance`` to a stop (the campaigns' report if they settle there), ``settle`` on the merged report,
        ``look`` (the meters asked for, and the sample if asked), ``end`` (the shard's ``FleetEnd``)."""
        world = self.world
        if command == "advance":
            return world.campaigns.report() if world.advance(argument) else None
        if command == "settle":
            world.settle(argument)
            return None
        if command == "look":
            sampled, wanted = argument
            return [self.meters[i]() for i in wanted], sample(world) if sampled else None
        if command == "end":
            return FleetEnd.of(world, self.apps)
        raise ValueError(f"unknown shard command {command!r}")


class Host(Protocol):
    """Shards somewhere, each answering the same command."""

    def all(self, command: str, argument: Any = None) -> list[Any]: ...

    def close(self) -> None: ...


class Forked:
    """Shards as processes forked from this one, over pipes (not spawned: that would import the caller's main
    module again)."""

    def __init__(self, loaded: Loaded, seed: int, shards: list[Shard]) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.conns: list[Connection] = []
        self.procs: list[BaseProcess] = []
        for shard in shards:
            here, there = context.Pipe()
            proc = context.Process(target=_serve, args=(there, loaded, seed, shard),
                                   name=f"evesim-shard-{shard.index}", daemon=True)
            proc.start()
            there.close()
            self.conns.append(here)
            self.procs.append(proc)

    def all(self, command: str, argument: Any = None) -> list[Any]:
        for conn in self.conns:
            conn.send((command, argument))
        return [self._answer(index, conn) for index, conn in enumerate(self.conns)]

    def _answer(self, index: int, conn: Connection) -> Any:
        try:
            kind, value = conn.recv()
        except EOFError:
            proc = self.procs[index]
            proc.join(timeout=5)
            raise ShardingError(f"shard {index} ended without answering (exit code {proc.exitcode})") from None
        if kind == "error":
            raise ShardingError(f"shard {index} failed:\n{value}")
        return value

    def close(self) -> None:
        """Close the pipes (a shard waiting for a command ends) and end any shard still busy a second later."""
        for conn in self.conns:
            conn.close()
        for proc in self.procs:
            proc.join(timeout=1)
            if proc.is_alive():
                proc.kill()
                proc.join()


def _serve(conn: Connection, loaded: Loaded, seed: int, shard: Shard) -> None:
    """A forked shard: build its part of the world, then answer commands until ``end`` or the pipe closes (the
    driving process ended, as after Ctrl-C: then there is no one to answer)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driving process handles Ctrl-C and ends the shards
    try:
        _answer(conn, loaded, seed, shard)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        conn.close()


def _answer(conn: Connection, loaded: Loaded, seed: int, shard: Shard) -> None:
    try:
        worker = ShardWorker(loaded, seed, shard)
        while True:
            try:
                command, argument = conn.recv()
            except EOFError:
                return
            conn.send(("ok", worker.do(command, argument)))
            if command == "end":
                return
    except (BrokenPipeError, ConnectionResetError):
        raise
    except Exception:
        conn.send(("error", traceback.format_exc()))


class DaskActors:
    """Shards as Dask actors on the workers of the cluster at ``scheduler`` (spread over them in turn), driven
    over Dask's own comms."""

    def __init__(self, loaded: Loaded, seed: int, shards: list[Shard], scheduler: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ShardingError("--scheduler needs the dist extra: pip install 'evesim[dist]'") from None
        try:
            self.client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ShardingError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
        workers = sorted(self.client.scheduler_info()["workers"])
        if not workers:
            self.client.close()
            raise ShardingError(f"the Dask cluster at {scheduler} has no workers")
        futures = [self.client.submit(ShardWorker, loaded, seed, shard, actor=True, pure=False,
                                      workers=[workers[shard.index % len(workers)]]) for shard in shards]
        try:
            self.actors = [self._result(k, future) for k, future in enumerate(futures)]
        except ShardingError:
            self.client.close()
            raise

    def all(self, command: str, argument: Any = None) -> list[Any]:
        futures = [actor.do(command, argument) for actor in self.actors]
        return [self._result(k, future) for k, future in enumerate(futures)]

    @staticmethod
    def _result(index: int, future: Any) -> Any:
        try:
            return future.result()
        except Exception as exc:
            raise ShardingError(f"shard {index} failed: {type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        self.client.close()
