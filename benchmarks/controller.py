"""Controller service-core throughput: 304 config polls and info posts per second, both crypto modes.

Runs on one core (pinned where the OS allows) with ``MemoryStore`` and prints each rate next to
the cost of only parsing and serialising the same messages, measured in the same run. Then it
measures how the core scales over processes, as a served controller (full crypto) would: 1 and
``--processes`` cores polling at once, each with a store of its own, then all over one SQLite file.
Usage: ``python benchmarks/controller.py [--devices N] [--seconds S] [--processes N]``.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import multiprocessing
import os
import random
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from tempfile import TemporaryDirectory

from google.protobuf import json_format
from results import record

from evesim.api import certs, envelope, pb
from evesim.api.certs import Usage
from evesim.api.envelope import CryptoMode
from evesim.controller import Controller, ControllerIdentity
from evesim.controller.stores import MemoryStore, SqliteStore, Store

API = "/api/v2/edgedevice"
PROTO = {"content-type": "application/x-proto-binary"}
TARGETS = {("poll-304", "trusted"): 20_000, ("poll-304", "full"): 2_000}


@dataclass(frozen=True)
class Fleet:
    """A controller with onboarded, attested devices and their ready-made request bodies."""

    ctl: Controller
    polls: list[tuple[str, bytes]]
    infos: list[tuple[str, bytes]]
    sealers: list[Callable[[bytes], bytes]]


def build_fleet(crypto: CryptoMode, devices: int, store: Store | None = None) -> Fleet:
    """Register ``devices`` devices, attest them and precompute one signed poll and info body each (in
    ``store``, a fresh ``MemoryStore`` by default)."""
    clock = [1_767_225_600.0]
    ctl = Controller(
        store=MemoryStore() if store is None else store,
        identity=ControllerIdentity.generate(seed=b"bench"),
        crypto=crypto,
        clock=lambda: clock[0],
        rng=random.Random(1),
    )
    onboard = certs.issue("bench-onboard", Usage.ONBOARDING, seed=b"bench")
    ctl.onboard_add(onboard.cert_pem)
    polls, infos, sealers = [], [], []
    for n in range(devices):
        device = certs.issue(f"bench-{n}", Usage.DEVICE, seed=b"bench")
        uuid = ctl.device_add(device.cert_pem)
        seal = _sealer(device)
        quote = pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_QUOTE).SerializeToString()
        answer = ctl.handle("POST", f"{API}/id/{uuid}/attest", seal(quote), PROTO)
        token = pb.attest.ZAttestResponse.FromString(
            envelope.open_envelope(answer.body).payload
        ).quoteResp.integrity_token
        request = pb.config.ConfigRequest(integrity_token=token).SerializeToString()
        first = ctl.handle("POST", f"{API}/id/{uuid}/config", seal(request), PROTO)
        config_hash = pb.config.ConfigResponse.FromString(envelope.open_envelope(first.body).payload).configHash
        poll = pb.config.ConfigRequest(configHash=config_hash, integrity_token=token).SerializeToString()
        polls.append((f"{API}/id/{uuid}/config", seal(poll)))
        infos.append((f"{API}/id/{uuid}/info", seal(_device_info(uuid))))
        sealers.append(seal)
    return Fleet(ctl, polls, infos, sealers)


def _sealer(device: certs.Issued) -> Callable[[bytes], bytes]:
    cert_hash = certs.der_hash(device.cert)
    return lambda payload: envelope.seal(payload, certs.sign_raw(device.key, payload), cert_hash)


def _device_info(uuid: str) -> bytes:
    """A ZInfoDevice about the size EVE sends: two partitions, a management port, a few counters."""
    msg = pb.info.ZInfoMsg(ztype=pb.info.ZiDevice, devId=uuid)
    info = msg.dinfo
    info.machineArch, info.cpuArch, info.platform = "x86_64", "x86_64", "qemu"
    info.ncpu, info.memory, info.storage = 4, 8192, 65536
    for label, state in (("IMGA", "active"), ("IMGB", "unused")):
        info.swList.add(partitionLabel=label, partitionState=state, shortVersion="14.5.1", activated=state == "active")
    info.lastRebootReason = "BOOT_REASON_FIRST"
    msg.atTimeStamp.seconds = 1_767_225_600
    return msg.SerializeToString()


def rate(call: Callable[[], None], seconds: float) -> float:
    """Calls per second of ``call`` over about ``seconds`` (batches of 1,000)."""
    done, start = 0, time.perf_counter()
    while True:
        for _ in range(1000):
            call()
        done += 1000
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def measure(fleet: Fleet, kind: str, seconds: float) -> tuple[float, float]:
    """(requests/s through ``handle``, parse+serialise-only ops/s) for ``poll-304`` or ``info``."""
    ctl = fleet.ctl
    bodies = fleet.polls if kind == "poll-304" else fleet.infos
    expected = 304 if kind == "poll-304" else 201
    inner = pb.config.ConfigRequest if kind == "poll-304" else pb.info.ZInfoMsg
    assert all(ctl.handle("POST", path, body, PROTO).status == expected for path, body in bodies)
    cycle = _cycler(bodies)

    def through_core() -> None:
        path, body = cycle()
        ctl.handle("POST", path, body, PROTO)

    def codec_only() -> None:
        _, body = cycle()
        container = pb.auth.AuthContainer.FromString(body)
        inner.FromString(container.protectedPayload.payload).SerializeToString()

    return rate(through_core, seconds), rate(codec_only, seconds)


def _cycler(items: list[tuple[str, bytes]]) -> Callable[[], tuple[str, bytes]]:
    index = [0]
    size = len(items)

    def next_item() -> tuple[str, bytes]:
        index[0] = (index[0] + 1) % size
        return items[index[0]]

    return next_item


def memory_per_device(devices: int = 200) -> float:
    """Bytes a ``MemoryStore`` holds per device once every default history is full (TRUSTED mode)."""
    fleet = build_fleet(CryptoMode.TRUSTED, devices)
    ctl, limits = fleet.ctl, fleet.ctl.store.limits
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    line = json_format.MessageToJson(pb.logs.LogEntry(source="zedagent", content="x" * 160, msgid=1), indent=None)
    payloads = {
        "metrics": _metrics(),
        "newlogs": gzip.compress("\n".join([line] * limits.logs).encode(), mtime=0),
    }
    for seal, (poll_path, poll), (info_path, info) in zip(fleet.sealers, fleet.polls, fleet.infos, strict=True):
        base = poll_path.rsplit("/", 1)[0]
        for _ in range(max(limits.requests, limits.info)):
            ctl.handle("POST", poll_path, poll, PROTO)
            ctl.handle("POST", info_path, info, PROTO)
        for _ in range(limits.metrics):
            ctl.handle("POST", f"{base}/metrics", seal(payloads["metrics"]), PROTO)
        ctl.handle("POST", f"{base}/newlogs", seal(payloads["newlogs"]), PROTO)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / devices


Poll = tuple[str, bytes]


def _poll_for(ctl: Controller, polls: list[Poll], seconds: float, start: Barrier) -> float:
    """304 polls per second through ``ctl`` for ``seconds``, from when every process has reached ``start``."""
    cycle = _cycler(polls)

    def poll() -> None:
        path, body = cycle()
        if ctl.handle("POST", path, body, PROTO).status != 304:
            raise RuntimeError(f"{path} was not answered 304")

    start.wait()
    return rate(poll, seconds)


def _unpin(cores: set[int]) -> None:
    """Let this process run on every core the benchmark was given (the parent pins itself to one)."""
    if cores:
        os.sched_setaffinity(0, cores)


def _own_store(cores: set[int], devices: int, seconds: float, start: Barrier, rates: Queue[float]) -> None:
    """A process with a core and a ``MemoryStore`` of its own: its poll rate."""
    _unpin(cores)
    fleet = build_fleet(CryptoMode.FULL, devices)
    rates.put(_poll_for(fleet.ctl, fleet.polls, seconds, start))


def _shared_store(cores: set[int], path: str, polls: list[Poll], seconds: float, start: Barrier,
                  rates: Queue[float]) -> None:
    """A process with a core over the SQLite file at ``path``, as a served controller's worker would be: its rate."""
    _unpin(cores)
    ctl = Controller(store=SqliteStore(path), identity=ControllerIdentity.generate(seed=b"bench"))
    rates.put(_poll_for(ctl, polls, seconds, start))


def over_processes(cores: set[int], devices: int, seconds: float, processes: int) -> dict[str, dict[int, float]]:
    """Total 304 polls per second (full crypto) of 1 and ``processes`` cores polling at once: each with a
    ``MemoryStore`` of its own (what the machine gives), then all over one SQLite file in WAL mode."""
    spawn = multiprocessing.get_context("spawn")
    totals: dict[str, dict[int, float]] = {"own": {}, "shared": {}}
    with TemporaryDirectory() as scratch:
        path = str(Path(scratch) / "store.sqlite")
        store = SqliteStore(path)
        polls = build_fleet(CryptoMode.FULL, devices, store).polls
        store.close()
        for count in (1, processes):
            for kind in totals:
                start, rates = spawn.Barrier(count), spawn.Queue()
                args = [(cores, devices, seconds, start, rates) if kind == "own" else
                        (cores, path, polls[k::count], seconds, start, rates) for k in range(count)]
                workers = [spawn.Process(target=_own_store if kind == "own" else _shared_store, args=a)
                           for a in args]
                for worker in workers:
                    worker.start()
                totals[kind][count] = sum(rates.get(timeout=600) for _ in workers)
                for worker in workers:
                    worker.join(timeout=60)
    return totals


def report_processes(cores: set[int], devices: int, seconds: float, processes: int) -> None:
    """Print and record ``over_processes``: each total and the scaling from 1 to ``processes``."""
    totals = over_processes(cores, devices, seconds, processes)
    name = f"controller core over processes ({devices} devices, crypto full)"
    print(f"\n304 polls through the core (crypto full, as served), 1 and {processes} processes polling at once")
    print(f"{'stores':<28} {'1 process/s':>12} {f'{processes} processes/s':>15} {'scaling':>8}")
    for kind, label in (("own", "a MemoryStore each"), ("shared", "one SQLite file (WAL)")):
        one, many = totals[kind][1], totals[kind][processes]
        print(f"{label:<28} {one:>12,.0f} {many:>15,.0f} {many / one:>7.2f}x")
        record(name, f"poll-304, 1 process, {label} (per s)", round(one))
        record(name, f"poll-304, {processes} processes, {label} (per s)", round(many))
        record(name, f"scaling, {processes} processes / 1, {label}", f"{many / one:.2f}x")


def _metrics() -> bytes:
    """A device metrics message of typical size: memory, two disks, two interfaces."""
    msg = pb.metrics.ZMetricMsg(devID="x")
    msg.dm.memory.usedMem, msg.dm.memory.availMem = 2048, 6144
    for disk in ("/persist", "/"):
        msg.dm.disk.add(
            disk=disk, mountPath=disk, readBytes=10**9, writeBytes=10**9, total=65536, used=1024, free=64512
        )
    for name in ("eth0", "eth1"):
        msg.dm.network.add(iName=name, txBytes=10**9, rxBytes=10**9, txPkts=10**6, rxPkts=10**6)
    return msg.SerializeToString()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--processes", type=int, default=2, help="processes in the scaling measurement (0: skip it)")
    args = parser.parse_args()
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if cores:
        os.sched_setaffinity(0, {min(cores)})
    print(f"controller service core, {args.devices} devices, MemoryStore, one core")
    print(f"{'request':<10} {'crypto':<8} {'per second':>12} {'codec only/s':>13} {'target':>8}")
    for crypto in (CryptoMode.TRUSTED, CryptoMode.FULL):
        fleet = build_fleet(crypto, args.devices)
        for kind in ("poll-304", "info"):
            through_core, codec = measure(fleet, kind, args.seconds)
            target = TARGETS.get((kind, crypto.value))
            verdict = "" if target is None else f"{target:>8,}" + (" ok" if through_core >= target else " MISSED")
            print(f"{kind:<10} {crypto.value:<8} {through_core:>12,.0f} {codec:>13,.0f} {verdict}")
            record(f"controller core ({args.devices} devices, one core)", f"{kind}, crypto {crypto.value} (per s)",
                   round(through_core), "" if target is None else f">= {target:,}",
                   None if target is None else through_core >= target)
    per_device = memory_per_device()
    print(f"MemoryStore with full default histories: {per_device / 1024:,.0f} KiB per device", end="")
    print(f" ({per_device * 10_000 / 2**30:,.1f} GiB for 10,000 devices)")
    record(f"controller core ({args.devices} devices, one core)", "MemoryStore per device, full histories (KiB)",
           round(per_device / 1024))
    if args.processes > 1:
        report_processes(cores, args.devices, args.seconds, args.processes)


if __name__ == "__main__":
    main()
