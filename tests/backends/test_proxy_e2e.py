"""nim's DPC logic on the host backend, through a real HTTP proxy (Debian's tinyproxy, started here): a device
shipped with a proxy in ``/config/DevicePortConfig/override.json`` onboards through it; when the controller sends a
configuration without the proxy, the device tests it and its requests go direct from then on. With two ports (two
loopback addresses), the device fails over to the second port when the first one's proxy dies."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from evesim.controller.client import AdminClient
from tests.backends.test_e2e import Process, _device_dir, _fetches, _ndjson, _wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(shutil.which("tinyproxy") is None,
                                                  reason="tinyproxy is not installed (make proxy installs it)")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def tinyproxy(tmp_path: Path) -> Iterator[tuple[int, Path, subprocess.Popen[bytes]]]:
    """tinyproxy in the foreground on a free loopback port, logging every connection: (port, log file, process)."""
    port, log = _free_port(), tmp_path / "tinyproxy.log"
    conf = tmp_path / "tinyproxy.conf"
    conf.write_text(f"Port {port}\nListen 127.0.0.1\nAllow 127.0.0.1\nLogFile \"{log}\"\nLogLevel Connect\n"
                    "MaxClients 50\nTimeout 120\n")
    proc = subprocess.Popen(["tinyproxy", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            proc.wait(0.05) if proc.poll() is not None else None
            assert proc.poll() is None, "tinyproxy exited"
            __import__("time").sleep(0.05)
        yield port, log, proc
    finally:
        proc.terminate()
        proc.wait(10)


def _tunnels(log: Path, server: str) -> int:
    """CONNECT requests tinyproxy logged for the controller."""
    return log.read_text(errors="replace").count(f"CONNECT {server}") if log.exists() else 0


@dataclass
class Site:
    """A served controller and one host agent whose device ships with ``override.json``."""

    server: str
    admin: AdminClient
    agent: Process


@contextmanager
def _site(tmp_path: Path, ports: list[dict[str, object]], *options: str) -> Iterator[Site]:
    """Serve a controller, and run an agent whose device ships with these ports in its ``override.json``."""
    data = tmp_path / "ctrl"
    served = Process(tmp_path / "controller.log", "controller", "serve", "--data", str(data), "--port", "0")
    try:
        server = _wait_for(lambda: (data / "server").exists() and (data / "server").read_text().strip(), served,
                           "serve")
        dev = _device_dir(tmp_path, data)
        (dev / "config/DevicePortConfig").mkdir()
        (dev / "config/DevicePortConfig/override.json").write_text(
            json.dumps({"Version": 1, "Key": "override", "Ports": ports}))
        admin = AdminClient.resolve(None, data, None, None)
        agent = Process(tmp_path / "agent.log", "agent", "--state-dir", str(dev), *options)
        try:
            yield Site(server, admin, agent)
        finally:
            agent.terminate()
            admin.close()
    finally:
        served.kill()


def _first_dpc(agent: Process) -> tuple[str, str]:
    first = next(e for e in agent.events() if e["kind"] == "dpc")
    return first["fields"]["key"], first["fields"]["state"]


def test_the_host_agent_onboards_through_a_real_proxy_and_follows_the_controller_off_it(
        tmp_path: Path, tinyproxy: tuple[int, Path, subprocess.Popen[bytes]]) -> None:
    proxy_port, proxy_log, _ = tinyproxy
    ports: list[dict[str, object]] = [{"IfName": "eth0", "IsMgmt": True, "Dhcp": 4, "Proxies": [
        {"type": 1, "server": "127.0.0.1", "port": proxy_port}]}]
    with _site(tmp_path, ports) as site:
        admin, agent = site.admin, site.agent
        uuid = _wait_for(lambda: admin.call("GET", "/device").text.split(), agent, "registration", timeout=60)[0]
        assert _tunnels(proxy_log, site.server) >= 1, "registration went through the proxy"
        admin.call("PUT", f"/device/{uuid}/configitems", json={"items": {"timer.config.interval": "5"}})
        _wait_for(lambda: _fetches(admin, uuid) >= 1, agent, "a config fetch", timeout=90)
        # the controller's own DPC, without the proxy: tested on arrival, then requests go direct
        admin.call("PUT", f"/device/{uuid}/network", json={"ports": [{"name": "eth0"}]})
        _wait_for(lambda: any(e["kind"] == "dpc" and e["fields"]["key"] == "zedagent" and
                              e["fields"]["state"] == "SUCCESS" for e in agent.events()), agent,
                  "the controller's DPC applied", timeout=90)
        tunnels = _tunnels(proxy_log, site.server)
        fetches = _fetches(admin, uuid)
        _wait_for(lambda: _fetches(admin, uuid) >= fetches + 3, agent, "config polls, direct", timeout=60)
        assert _tunnels(proxy_log, site.server) == tunnels, "no request crossed the proxy any more"
    assert _first_dpc(agent) == ("override", "SUCCESS")


def _sources(admin: AdminClient, uuid: str) -> list[str]:
    """The address each answered config poll came from, oldest first."""
    return [r["client-ip"].rpartition(":")[0] for r in _ndjson(admin, f"/device/{uuid}/requests")
            if r["url"].endswith("/config") and r["status"] in (200, 304)]


def test_with_two_ports_the_host_agent_fails_over_when_the_first_ports_proxy_dies(
        tmp_path: Path, tinyproxy: tuple[int, Path, subprocess.Popen[bytes]]) -> None:
    proxy_port, proxy_log, proxy = tinyproxy
    # eth0 (cost 0) reaches the controller only through the proxy; eth1 (cost 1) goes direct
    ports: list[dict[str, object]] = [
        {"IfName": "eth0", "IsMgmt": True, "Dhcp": 4, "Cost": 0,
         "Proxies": [{"type": 1, "server": "127.0.0.1", "port": proxy_port}]},
        {"IfName": "eth1", "IsMgmt": True, "Dhcp": 4, "Cost": 1}]
    with _site(tmp_path, ports, "--port", "eth0=127.0.0.2", "--port", "eth1=127.0.0.3") as site:
        admin, agent = site.admin, site.agent
        uuid = _wait_for(lambda: admin.call("GET", "/device").text.split(), agent, "registration", timeout=60)[0]
        admin.call("PUT", f"/device/{uuid}/configitems", json={"items": {"timer.config.interval": "5"}})
        # the controller's DPC: the same two ports
        admin.call("PUT", f"/device/{uuid}/network", json={"ports": [
            {"name": "eth0", "cost": 0, "proxy": f"127.0.0.1:{proxy_port}"}, {"name": "eth1", "cost": 1}]})
        _wait_for(lambda: any(e["kind"] == "dpc" and e["fields"]["key"] == "zedagent" for e in agent.events()),
                  agent, "the controller's DPC applied", timeout=90)
        polls = len(_sources(admin, uuid))
        _wait_for(lambda: len(_sources(admin, uuid)) >= polls + 2, agent, "config polls", timeout=90)
        assert set(_sources(admin, uuid)[polls:]) == {"127.0.0.1"}, "polls crossed the proxy (tinyproxy's address)"
        assert _tunnels(proxy_log, site.server) >= 2
        proxy.terminate()
        proxy.wait(10)
        failed = len(_sources(admin, uuid))
        _wait_for(lambda: len(_sources(admin, uuid)) >= failed + 2, agent, "config polls over eth1", timeout=90)
        assert set(_sources(admin, uuid)[failed:]) == {"127.0.0.3"}, "polls left from eth1's own address"
    links = [e["fields"] for e in agent.events() if e["kind"] == "link"]
    assert {"port": "eth0", "up": True, "address": "127.0.0.2"} in links
    assert {"port": "eth1", "up": True, "address": "127.0.0.3"} in links


@pytest.fixture
def pac_server(tinyproxy: tuple[int, Path, subprocess.Popen[bytes]]) -> Iterator[str]:
    """An HTTP server handing out, as EVE's WPAD expects it, a PAC file that sends everything to tinyproxy: its URL."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = ('function FindProxyForURL(url, host) { return "PROXY 127.0.0.1:' + str(tinyproxy[0]) + '"; }').encode()

    class Pac(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Pac)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/wpad.dat"
    finally:
        httpd.shutdown()


def test_the_host_agent_finds_a_real_proxy_by_wpad_and_follows_its_pac_file(
        tmp_path: Path, tinyproxy: tuple[int, Path, subprocess.Popen[bytes]], pac_server: str) -> None:
    _, proxy_log, _ = tinyproxy
    ports: list[dict[str, object]] = [
        {"IfName": "eth0", "IsMgmt": True, "Dhcp": 4, "NetworkProxyEnable": True, "NetworkProxyURL": pac_server}]
    with _site(tmp_path, ports) as site:
        _wait_for(lambda: site.admin.call("GET", "/device").text.split(), site.agent, "registration", timeout=60)
        assert _tunnels(proxy_log, site.server) >= 1, "registration went through the proxy the PAC file named"
    assert _first_dpc(site.agent) == ("override", "SUCCESS")
