"""The web UI's shell in a real browser: sign-in keeps the key out of the address bar, a wrong
or missing key gets a screen that says how to get the URL, every page loads without a console
error, and the pages carry strict security headers."""

from __future__ import annotations

import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from harness import Home
from web import base_url, console_errors, open_page, screenshot, sign_in, wait_for, wait_visible, web_daemon

PAGES = ["dashboard", "approvals", "audit", "workspaces", "servers", "tools", "routes", "scopes", "settings",
         "dry-run", "install"]  # fmt: skip


def test_sign_in_removes_the_key_from_the_address_and_every_page_loads(home: Home, browser: WebDriver) -> None:
    with web_daemon(home):
        sign_in(browser, home)
        assert "apikey" not in browser.current_url
        stored = browser.execute_script("return sessionStorage.getItem('junction.apiKey')")
        assert stored == home.api_key()
        for page in PAGES:
            open_page(browser, page)
            current = browser.find_element(By.CSS_SELECTOR, f'#nav a[href="#/{page}"]')
            assert current.get_attribute("aria-current") == "page"
            screenshot(browser, f"page-{page}")
            errors = console_errors(browser)
            assert errors == [], f"console errors on {page}: {errors}"


def test_a_missing_or_wrong_key_gets_the_sign_in_screen(home: Home, browser: WebDriver) -> None:
    with web_daemon(home):
        browser.get(base_url(home) + "/#/dashboard")
        reason = wait_visible(browser, "#signin")
        assert "junction ui" in reason.text
        browser.get(f"{base_url(home)}/?apikey=wrong#/dashboard")
        wait_for(browser, lambda b: "not accepted" in b.find_element(By.ID, "signin-reason").text)
        assert "apikey" not in browser.current_url
        # Pasting the right key signs in.
        field = browser.find_element(By.ID, "signin-key")
        field.send_keys(home.api_key())
        browser.find_element(By.CSS_SELECTOR, "#signin-form button").click()
        wait_visible(browser, "main#view h1")
        screenshot(browser, "signed-in")


def test_pages_are_served_with_strict_headers(home: Home) -> None:
    with web_daemon(home):
        with urllib.request.urlopen(base_url(home) + "/", timeout=30) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/html")
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert response.headers["X-Frame-Options"] == "DENY"
        with urllib.request.urlopen(base_url(home) + "/app.js", timeout=30) as response:
            assert response.headers["Content-Type"].startswith("text/javascript")
