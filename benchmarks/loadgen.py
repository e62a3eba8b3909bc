"""HTTPS load generator: signed 304 config polls against a served controller over keep-alive connections.

Starts ``evesim controller serve`` on a free loopback port in a temporary data dir (or uses
``--data DIR`` of a running one), onboards one device per connection with the data dir's
onboarding cert, then each connection (its own process) polls its config for ``--seconds``.
Loopback only; every loop is bounded in time. Besides the rate it prints the CPU time one poll costs
the server (when it started it) and the clients: on a small machine they share the cores. Usage:
``python benchmarks/loadgen.py [--connections 1,4] [--seconds 5] [--data DIR]``.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from results import record

from evesim.api import certs, envelope, pb
from evesim.api.certs import Usage
from evesim.controller.datadir import DataDir

API = "/api/v2/edgedevice"
HEADERS = {"Content-Type": "application/x-proto-binary"}
ADAM_FOUR = 5_359
"""Adam's 304 polls per second on four connections with this client on a 2-core machine; the target on four
connections is twice that. Adam (Go) is not built here, so its figure is a constant, not measured in the run."""


@dataclass
class Run:
    """One measurement: polls per second, and CPU microseconds per poll in the server (None when it was not started
    here) and in the clients."""

    rate: float
    server_us: float | None
    client_us: float


@contextmanager
def served(data: Path | None) -> Iterator[tuple[DataDir, int | None]]:
    """A running controller's data dir and, when started here, its process id: the given one, or a fresh server on
    a free port."""
    if data is not None:
        yield DataDir(data), None
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = DataDir(Path(tmp))
        command = [sys.executable, "-c", "from evesim.cli import main; main()", "controller", "serve"]
        process = subprocess.Popen([*command, "--data", tmp, "--port", "0"], stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not (directory.server_file.exists() and directory.server_file.read_text().strip()):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("controller did not start")
                time.sleep(0.1)
            yield directory, process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)


def connect(directory: DataDir) -> http.client.HTTPSConnection:
    """A keep-alive HTTPS connection trusting the data dir's root CA."""
    host, _, port = directory.server_file.read_text().strip().rpartition(":")
    context = ssl.create_default_context(cafile=str(directory.root_cert))
    return http.client.HTTPSConnection(host, int(port), context=context, timeout=30)


def post(conn: http.client.HTTPSConnection, path: str, body: bytes) -> tuple[int, bytes]:
    conn.request("POST", path, body=body, headers=HEADERS)
    response = conn.getresponse()
    return response.status, response.read()


@dataclass
class Device:
    """An onboarded, attested (TPM-less) device: its UUID, key and integrity token."""

    uuid: str
    key: certs.Issued
    token: bytes

    def seal(self, payload: bytes) -> bytes:
        return envelope.seal(payload, certs.sign_raw(self.key.key, payload), certs.der_hash(self.key.cert))


def onboard(directory: DataDir, name: str) -> Device:
    """Register one device with the data dir's onboarding cert, learn its UUID and attest it (TPM-less)."""
    fleet = certs.Issued(
        key=certs.load_key(directory.onboard_key.read_bytes()),
        cert=certs.load_cert(directory.onboard_cert.read_bytes()),
    )
    device = Device("", certs.issue(name, Usage.DEVICE), b"")
    conn = connect(directory)
    for _ in range(300):
        try:
            conn.request("GET", f"{API}/ping")
            conn.getresponse().read()
            break
        except OSError:
            time.sleep(0.1)
            conn = connect(directory)
    register = pb.register.ZRegisterMsg(pemCert=device.key.cert_pem, serial=name).SerializeToString()
    signed = envelope.seal(
        register, certs.sign_raw(fleet.key, register), certs.der_hash(fleet.cert), sender_cert_pem=fleet.cert_pem
    )
    assert post(conn, f"{API}/register", signed)[0] == 201
    _, body = post(conn, f"{API}/uuid", device.seal(b""))
    device.uuid = pb.uuid.UuidResponse.FromString(envelope.open_envelope(body).payload).uuid
    quote = pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_QUOTE).SerializeToString()
    _, body = post(conn, f"{API}/id/{device.uuid}/attest", device.seal(quote))
    device.token = pb.attest.ZAttestResponse.FromString(envelope.open_envelope(body).payload).quoteResp \
        .integrity_token
    conn.close()
    return device


def onboard_device(directory: DataDir, name: str) -> tuple[str, bytes]:
    """Onboard one device and fetch its config; return its config path and a signed poll the controller answers 304."""
    device = onboard(directory, name)
    conn = connect(directory)
    path = f"{API}/id/{device.uuid}/config"
    _, body = post(conn, path, device.seal(pb.config.ConfigRequest(integrity_token=device.token).SerializeToString()))
    config_hash = pb.config.ConfigResponse.FromString(envelope.open_envelope(body).payload).configHash
    conn.close()
    request = pb.config.ConfigRequest(configHash=config_hash, integrity_token=device.token)
    return path, device.seal(request.SerializeToString())


class RawConnection:
    """A lean keep-alive HTTPS/1.1 client for the hot loop: prebuilt request bytes, minimal response parsing."""

    def __init__(self, directory: DataDir) -> None:
        host, _, port = directory.server_file.read_text().strip().rpartition(":")
        context = ssl.create_default_context(cafile=str(directory.root_cert))
        self.sock = context.wrap_socket(socket.create_connection((host, int(port)), timeout=30), server_hostname=host)
        self.host = f"{host}:{port}"
        self.buffer = b""

    def request_bytes(self, path: str, body: bytes) -> bytes:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: {HEADERS['Content-Type']}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    def send(self, request: bytes) -> int:
        """Send one prebuilt request and read its response; the status code."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += self._recv()
        self.buffer = rest[length:]
        return int(head[9:12])

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("controller closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


def poll_loop(directory: DataDir, path: str, body: bytes, start_at: float, seconds: float, results) -> None:
    """One connection: poll until ``seconds`` after ``start_at``; report (polls, non-304 answers)."""
    conn = RawConnection(directory)
    request = conn.request_bytes(path, body)
    conn.send(request)
    while time.time() < start_at:
        time.sleep(0.001)
    done = bad = 0
    end = start_at + seconds
    cpu = time.process_time()
    while time.time() < end:
        bad += conn.send(request) != 304
        done += 1
    cpu = time.process_time() - cpu
    conn.close()
    results.put((done, bad, cpu))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time process ``pid`` has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(directory: DataDir, server: int | None, connections: int, seconds: float) -> Run:
    """Polls per second with ``connections`` concurrent keep-alive connections, and what a poll cost in CPU."""
    devices = [onboard_device(directory, f"load-{connections}-{n}-{time.time_ns()}") for n in range(connections)]
    results = multiprocessing.Queue()
    start_at = time.time() + 1.0
    workers = [
        multiprocessing.Process(target=poll_loop, args=(directory, path, body, start_at, seconds, results))
        for path, body in devices
    ]
    for worker in workers:
        worker.start()
    before = None if server is None else cpu_seconds(server)
    counts = [results.get(timeout=seconds + 60) for _ in workers]
    used = None if server is None or before is None else cpu_seconds(server) - before
    for worker in workers:
        worker.join(timeout=30)
    if any(bad for _, bad, _ in counts):
        raise RuntimeError(f"non-304 answers during the run: {counts}")
    polls = sum(done for done, _, _ in counts)
    client = sum(cpu for _, _, cpu in counts)
    return Run(polls / seconds, None if used is None else used * 1e6 / polls, client * 1e6 / polls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", default="1,4", help="comma-separated connection counts")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--data", type=Path, help="data dir of a running controller (default: start one)")
    args = parser.parse_args()
    name = "served controller (HTTPS, SQLite store)"
    with served(args.data) as (directory, server):
        print(f"signed 304 config polls over HTTPS keep-alive, {args.seconds:g} s per run")
        for count in (int(c) for c in args.connections.split(",")):
            done = run(directory, server, count, args.seconds)
            costs = "" if done.server_us is None else f", server {done.server_us:,.0f} us of CPU per poll"
            print(f"{count:>3} connection(s): {done.rate:>8,.0f} polls/s{costs}, clients {done.client_us:,.0f} us",
                  flush=True)
            target, met = (f">= {2 * ADAM_FOUR:,} (2x Adam)", done.rate >= 2 * ADAM_FOUR) if count == 4 else ("", None)
            record(name, f"signed 304 polls, {count} connection(s) (per s)", round(done.rate), target, met)
            if done.server_us is not None:
                record(name, f"server CPU per poll, {count} connection(s) (us)", round(done.server_us))
            record(name, f"client CPU per poll, {count} connection(s) (us)", round(done.client_us))


if __name__ == "__main__":
    main()
