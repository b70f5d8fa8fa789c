"""Browser-test support for the web UI: a daemon with fixture data, headless Chromium driven by
selenium, console-error collection and screenshots (kept under tests/e2e/artifacts/, not committed).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from harness import START_TIMEOUT, Home, serve

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
WAIT = 10.0  # seconds for any element or state the page should reach


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("no Chromium found: install Debian's chromium and chromium-driver (scripts/e2e does)")


def make_browser() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_binary()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--disable-extensions"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    browser = webdriver.Chrome(service=Service(driver), options=options)
    browser.set_page_load_timeout(30)
    return browser


@contextmanager
def web_daemon(home: Home) -> Iterator[subprocess.Popen[str]]:
    """`junction serve` on a free port for the home; stopped (SIGTERM) afterwards."""
    proc = serve(home)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()


def base_url(home: Home) -> str:
    info = home.daemon_info()
    assert info is not None, "the daemon is not running"
    return str(info["url"])


def sign_in(browser: WebDriver, home: Home, page: str = "dashboard") -> None:
    """Opens the sign-in URL (the key in the address once), then the page."""
    browser.get(f"{base_url(home)}/?apikey={home.api_key()}#/{page}")
    wait_for(browser, lambda b: "apikey" not in b.current_url)
    wait_visible(browser, "main#view h1")


def open_page(browser: WebDriver, page: str) -> None:
    browser.execute_script("location.hash = arguments[0]", f"#/{page}")
    wait_for(browser, lambda b: b.execute_script("return location.hash") == f"#/{page}")
    wait_visible(browser, "main#view h1")


def wait_for(browser: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = WAIT) -> Any:
    try:
        return WebDriverWait(browser, timeout).until(condition)
    except TimeoutException:
        screenshot(browser, "timeout")
        raise


def wait_visible(browser: WebDriver, css: str, timeout: float = WAIT) -> WebElement:
    def visible(b: WebDriver) -> WebElement | bool:
        for element in b.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed():
                return element
        return False

    return wait_for(browser, visible, timeout)


def wait_text(browser: WebDriver, css: str, text: str, timeout: float = WAIT) -> WebElement:
    def has_text(b: WebDriver) -> WebElement | bool:
        for element in b.find_elements(By.CSS_SELECTOR, css):
            if text in element.text:
                return element
        return False

    return wait_for(browser, has_text, timeout)


def console_errors(browser: WebDriver) -> list[str]:
    """Severe console messages since the last call (errors, failed loads)."""
    return [entry["message"] for entry in browser.get_log("browser") if entry.get("level") == "SEVERE"]


def screenshot(browser: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{time.strftime('%H%M%S')}-{name}.png"
    browser.save_screenshot(str(path))
    return path


def browser_available() -> tuple[bool, str]:
    try:
        chromium_binary()
    except RuntimeError as error:
        return False, str(error)
    if not (shutil.which("chromedriver") or os.path.exists("/usr/bin/chromedriver")):
        return False, "chromedriver not found: install Debian's chromium-driver (scripts/e2e does)"
    return True, ""
