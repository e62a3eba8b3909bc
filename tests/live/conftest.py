"""A real browser for the live view's tests: Debian's chromium, driven by Selenium through Debian's chromedriver."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("EVESIM_ARTIFACTS", ROOT / "out" / "test-artifacts"))
"""Where the tests leave their screenshots."""


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "the live view's tests need Debian's chromium and chromium-driver (make test " \
                                "installs them)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1100", "--ignore-certificate-errors"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield chrome
    finally:
        chrome.quit()


def screenshot(chrome: webdriver.Chrome, name: str) -> Path:
    """Save what the browser shows as ARTIFACTS/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert chrome.save_screenshot(str(path))
    return path
