"""Robustness under abuse: a small fleet polls a served controller while others bomb, trickle and fuzz it.

Starts ``evesim controller serve`` on a free loopback port, onboards a fleet that polls its config and posts info
(each post acknowledged with 201). First a baseline phase with the fleet alone, then the abuse phase with, at the
same time: gzip bombs and large valid log uploads, slow connections that trickle their headers, and a fuzzer
sending requests with mutated bodies, methods, paths and headers to every device-API path
(``tests/security/mutations.py``). Prints, per phase, the fleet's polls and worst poll latency, 5xx answers,
dropped connections and acknowledged writes not kept.
Targets: 0 5xx, 0 lost acknowledged writes, fleet polls answered within 1 s.
Usage: ``python benchmarks/abuse.py [--devices 8] [--fuzz 10000] [--slow 300] [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadgen import Device, connect, onboard, post, served  # noqa: E402
from results import record  # noqa: E402

from evesim.api import certs, pb  # noqa: E402
from evesim.api.certs import Issued  # noqa: E402
from evesim.controller.datadir import DataDir  # noqa: E402
from tests.security.mutations import API, mutations, seeds  # noqa: E402

LINE = json.dumps({"severity": "info", "source": "zedagent", "content": "x" * 120, "msgid": "1"}).encode() + b"\n"
TARGET_WORST_POLL_S = 1.0


@dataclass
class Tally:
    """What a phase saw; threads add to it under the lock."""

    polls: int = 0
    worst_poll_s: float = 0.0
    server_errors: int = 0
    dropped: int = 0
    fuzzed: int = 0
    bombs_refused: int = 0
    uploads_kept: int = 0
    acked: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **counts: float) -> None:
        with self.lock:
            for name, value in counts.items():
                if name == "worst_poll_s":
                    self.worst_poll_s = max(self.worst_poll_s, value)
                else:
                    setattr(self, name, getattr(self, name) + value)


def fleet_member(directory: DataDir, device: Device, tally: Tally, until: float) -> None:
    """Poll the config and post an info every 0.2 s until ``until``; time each poll, count acknowledged infos."""
    conn = connect(directory)
    poll = device.seal(pb.config.ConfigRequest(integrity_token=device.token).SerializeToString())
    n = 0
    while time.monotonic() < until:
        started = time.monotonic()
        status, _ = post(conn, f"{API}/id/{device.uuid}/config", poll)
        tally.add(polls=1, worst_poll_s=time.monotonic() - started, server_errors=status >= 500)
        info = pb.info.ZInfoMsg(ztype=pb.info.ZiApp, devId=device.uuid)
        info.ainfo.AppID, info.ainfo.AppName = device.uuid, f"ack-{n}"
        status, _ = post(conn, f"{API}/id/{device.uuid}/info", device.seal(info.SerializeToString()))
        if status == 201:
            n += 1
        tally.add(server_errors=status >= 500)
        time.sleep(0.2)
    with tally.lock:
        tally.acked[device.uuid] = tally.acked.get(device.uuid, 0) + n
    conn.close()


def bomber(directory: DataDir, device: Device, tally: Tally, until: float) -> None:
    """Upload gzip bombs and large valid log bundles until ``until``."""
    conn = connect(directory)
    bomb = device.seal(gzip.compress(b"\n" * (64 << 20), 9))
    lines = b"".join(LINE.replace(b'"1"', f'"{n}"'.encode()) for n in range(20_000))
    large = device.seal(gzip.compress(lines, 6))
    while time.monotonic() < until:
        status, _ = post(conn, f"{API}/id/{device.uuid}/newlogs", bomb)
        tally.add(server_errors=status >= 500, bombs_refused=status == 413)
        status, _ = post(conn, f"{API}/id/{device.uuid}/newlogs", large)
        tally.add(server_errors=status >= 500, uploads_kept=status == 201)
    conn.close()


def trickler(directory: DataDir, count: int, until: float) -> None:
    """Hold ``count`` connections that send a request line's first bytes and then one byte a second."""
    host, _, port = directory.server_file.read_text().strip().rpartition(":")
    context = ssl.create_default_context(cafile=str(directory.root_cert))
    sockets = []
    for _ in range(count):
        sock = context.wrap_socket(socket.create_connection((host, int(port)), timeout=5), server_hostname=host)
        sock.sendall(b"POST /api/v2/edgedevice/ping HTTP/1.1\r\n")
        sockets.append(sock)
    while time.monotonic() < until:
        for sock in sockets:
            try:
                sock.sendall(b"X")
            except OSError:
                pass
        time.sleep(1.0)
    for sock in sockets:
        sock.close()


def fuzzer(directory: DataDir, device: Device, fleet: Issued, count: int, seed: int, tally: Tally) -> None:
    """Send ``count`` mutated requests on a kept-alive connection; count 5xx and connections the server dropped."""
    conn = connect(directory)
    valid = seeds(device.uuid, device.token, device.seal, fleet)
    for request in mutations(valid, device.seal, count, seed):
        try:
            conn.request(request.method, request.path, request.body, request.headers)
            answer = conn.getresponse()
            answer.read()
            status = answer.status
        except (http.client.HTTPException, OSError):
            tally.add(dropped=1)
            conn.close()
            conn = connect(directory)
            continue
        tally.add(fuzzed=1, server_errors=status >= 500)
    conn.close()


def kept_infos(directory: DataDir, uuid: str) -> int:
    """Acknowledged infos the controller still has for a device (its ``ack-N`` app infos)."""
    conn = connect(directory)
    conn.request("GET", f"/admin/device/{uuid}/info", headers={"Authorization": f"Bearer {directory.token()}"})
    lines = conn.getresponse().read().decode().splitlines()
    conn.close()
    return sum('"ack-' in line for line in lines)


def phase(directory: DataDir, fleet: list[Device], seconds: float, attack: list[threading.Thread]) -> Tally:
    """Run the fleet for ``seconds`` while the ``attack`` threads run; the fleet's and the attackers' tally."""
    tally = Tally()
    until = time.monotonic() + seconds
    members = [threading.Thread(target=fleet_member, args=(directory, d, tally, until)) for d in fleet]
    for thread in (*attack, *members):
        thread.start()
    for thread in members:
        thread.join()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=8, help="fleet size")
    parser.add_argument("--fuzz", type=int, default=10_000, help="mutated requests (two fuzzers share them)")
    parser.add_argument("--slow", type=int, default=300, help="slow connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the baseline phase (minimum of the "
                        "abuse phase, which lasts until the fuzzers are done)")
    args = parser.parse_args()
    with served(None) as (directory, _):
        fleet_cert = Issued(key=certs.load_key(directory.onboard_key.read_bytes()),
                            cert=certs.load_cert(directory.onboard_cert.read_bytes()))
        fleet = [onboard(directory, f"fleet-{n}") for n in range(args.devices)]
        attackers = [onboard(directory, f"attacker-{n}") for n in range(3)]
        baseline = phase(directory, fleet, args.seconds, [])
        abuse = Tally()
        fuzzers = [threading.Thread(target=fuzzer, args=(directory, attackers[n], fleet_cert, args.fuzz // 2, n,
                                                          abuse)) for n in range(2)]
        started = time.monotonic()
        until = started + args.seconds
        others = [threading.Thread(target=bomber, args=(directory, attackers[2], abuse, until)),
                  threading.Thread(target=trickler, args=(directory, args.slow, until))]
        attacked = phase(directory, fleet, args.seconds, [*fuzzers, *others])
        for thread in (*fuzzers, *others):
            thread.join()
        took = time.monotonic() - started
        acked = {uuid: baseline.acked.get(uuid, 0) + attacked.acked.get(uuid, 0) for uuid in baseline.acked}
        lost = sum(max(0, count - kept_infos(directory, uuid)) for uuid, count in acked.items())
    print(f"fleet of {args.devices}, {args.seconds:g} s per phase; abuse: {abuse.fuzzed:,} mutated requests "
          f"in {took:.1f} s, {args.slow} slow connections, {abuse.bombs_refused} gzip bombs refused (413) and "
          f"{abuse.uploads_kept} 3 MB log uploads stored")
    print(f"{'phase':<10} {'fleet polls':>11} {'worst poll':>11} {'5xx':>5} {'dropped':>8}")
    for name, tally in (("baseline", baseline), ("abuse", attacked)):
        errors = tally.server_errors + (abuse.server_errors if name == "abuse" else 0)
        dropped = abuse.dropped if name == "abuse" else 0
        print(f"{name:<10} {tally.polls:>11,} {tally.worst_poll_s:>10.3f}s {errors:>5} {dropped:>8}")
    print(f"acknowledged infos: {sum(acked.values()):,}, lost: {lost}")
    ratio = attacked.worst_poll_s / baseline.worst_poll_s if baseline.worst_poll_s else float("inf")
    print(f"worst poll under abuse: {ratio:.1f}x the baseline's")
    met = (attacked.server_errors + abuse.server_errors == 0 and lost == 0 and abuse.dropped == 0
           and attacked.worst_poll_s < TARGET_WORST_POLL_S and abuse.fuzzed >= args.fuzz - abuse.dropped)
    print("targets (0 5xx, 0 dropped, 0 lost, worst poll < 1 s):", "met" if met else "NOT met")
    name = f"abuse ({args.devices} devices, {abuse.fuzzed:,} mutated requests, {args.slow} slow connections)"
    record(name, "worst fleet poll under abuse (s)", round(attacked.worst_poll_s, 3), f"< {TARGET_WORST_POLL_S:g}",
           attacked.worst_poll_s < TARGET_WORST_POLL_S)
    record(name, "5xx answers", attacked.server_errors + abuse.server_errors, "0",
           attacked.server_errors + abuse.server_errors == 0)
    record(name, "acknowledged writes lost", lost, "0", lost == 0)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
