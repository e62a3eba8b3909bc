"""The live fleet view in a real browser: counts change while a scenario runs, a click shows a device's timeline,
and the same page shows a served controller's devices (behind its admin token)."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By

from evesim.api import certs
from evesim.api.certs import Usage

from ..controller.served import Served
from .conftest import screenshot

WATCH = Path(__file__).with_name("watch.yaml")
T = TypeVar("T")


def _until(probe: Callable[[], T], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s: {what}")


def _count(chrome: webdriver.Chrome, phase: str) -> int:
    return int(chrome.find_element(By.CSS_SELECTOR, f'.count[data-phase="{phase}"] b').text)


def _live_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("live fleet view: "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError(f"no live view URL; exit {proc.wait()}")


def test_counts_change_while_the_scenario_runs_and_a_click_shows_a_timeline(browser: webdriver.Chrome) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "evesim.cli", "run", str(WATCH), "--live", "--port", "0",
                             "--pace", "40", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        browser.get(_live_url(proc))
        _until(lambda: browser.find_element(By.ID, "status").text == "live", 20, "the stream to connect")
        seen_running, clocks = set(), set()
        deadline = time.monotonic() + 60
        while "(run finished)" not in (clock := browser.find_element(By.ID, "clock").text):
            assert time.monotonic() < deadline, "the run did not finish in 60 s"
            clocks.add(clock)
            seen_running.add(_count(browser, "running"))
            if len(seen_running) == 2:
                screenshot(browser, "live-view-running")
            time.sleep(0.2)
        assert len(clocks) >= 5, f"the clock barely moved: {sorted(clocks)}"
        assert len(seen_running) >= 2, f"the running count never changed: {seen_running}"
        assert int(browser.find_element(By.ID, "total").text) == 6
        ports = browser.find_element(By.ID, "ports").text
        assert ports.startswith("port devices with an address without") and "eth0" in ports, ports
        assert sum(_count(browser, phase) for phase in ("running", "rolled back", "testing", "updating")) == 6
        browser.find_element(By.CSS_SELECTOR, '#grid span[data-name="edge-00000"]').click()
        _until(lambda: "boot" in browser.find_element(By.ID, "timeline").text, 10, "the device's timeline")
        assert browser.find_element(By.ID, "device").text == "edge-00000"
        screenshot(browser, "live-view-finished")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_the_same_page_shows_a_served_controllers_devices_to_its_admin_only(browser: webdriver.Chrome,
                                                                             tmp_path: Path) -> None:
    served = Served(tmp_path)
    try:
        token = (tmp_path / "admin-token").read_text().strip()
        device = certs.issue("pre-registered", Usage.DEVICE)
        added = httpx.post(f"{served.url()}/admin/device", verify=False,
                           headers={"Authorization": f"Bearer {token}"},
                           json={"Cert": base64.b64encode(device.cert_pem).decode(), "Serial": "lab-7"})
        assert added.status_code == 201, added.text
        browser.get(f"{served.url()}/fleet")
        _until(lambda: browser.find_element(By.ID, "status").text == "refused (401)", 20, "a refusal without token")
        browser.get(f"{served.url()}/fleet#token={token}")
        browser.refresh()
        _until(lambda: browser.find_element(By.ID, "total").text == "1", 20, "the registered device")
        assert _count(browser, "onboarding") == 1
        browser.find_element(By.CSS_SELECTOR, '#grid span[data-name="lab-7"]').click()
        _until(lambda: "no report yet" in browser.find_element(By.ID, "timeline").text, 10, "its timeline")
        screenshot(browser, "live-view-controller")
    finally:
        served.stop()
