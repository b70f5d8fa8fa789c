"""The dashboard and audit pages in a real browser against a live daemon, with MCP calls made
through it by the Python SDK: the dashboard's cards, SVG charts, leaderboard and live updates, its
range selector and the restart button; the audit list with filters, its live tail, the detail
dialog and the CSV / JSON Lines exports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import anyio
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from harness import PYTHON, Home, api, gateway
from web import console_errors, screenshot, sign_in, wait_for, wait_text, wait_visible, web_daemon


def call_tools(home: Home, *calls: tuple[str, dict[str, Any]]) -> None:
    """Makes the calls, in order, in workspace A through the running daemon."""

    async def run() -> None:
        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            for name, arguments in calls:
                await session.call_tool(name, arguments)

    anyio.run(run)


def audit_total(home: Home) -> int:
    status, page = api(home, "GET", "/api/v1/audit?limit=1")
    assert status == 200
    return int(page["total"])


def wait_audited(browser: WebDriver, home: Home, total: int) -> None:
    """Until the daemon's audit trail holds `total` records (its writer is asynchronous)."""
    wait_for(browser, lambda _: audit_total(home) >= total)


def read(browser: WebDriver, script: str, *args: Any) -> Any:
    """One read inside the page, so a redraw between finding an element and reading it is harmless."""
    return browser.execute_script(script, *args)


def card_value(browser: WebDriver, key: str) -> str:
    return str(read(browser, "return document.querySelector(`[data-card='${arguments[0]}'] .value`)?.textContent", key))


def chart_label(browser: WebDriver, chart: str) -> str:
    return str(read(browser, "return document.querySelector(`svg[data-chart='${arguments[0]}']`)?.getAttribute('aria-label')", chart))


def text_at(browser: WebDriver, css: str) -> str:
    return str(read(browser, "return document.querySelector(arguments[0])?.textContent ?? ''", css))


def click(browser: WebDriver, css: str) -> None:
    """Clicks the element, finding it again if the page redrew it in between."""

    def clicked(b: WebDriver) -> bool:
        try:
            b.find_element(By.CSS_SELECTOR, css).click()
            return True
        except StaleElementReferenceException:
            return False

    wait_for(browser, clicked)


def audit_rows(browser: WebDriver) -> list[str]:
    return list(read(browser, "return [...document.querySelectorAll('#audit-rows tr')].map(r => r.innerText)"))


def test_dashboard_follows_calls_switches_range_and_restarts_a_server(home: Home, browser: WebDriver) -> None:
    # A server that cannot start: its restart answers an error, shown next to its button.
    home.cli_json("server", "add", "broken", "--", PYTHON, "-c", "raise SystemExit(3)")
    with web_daemon(home):
        sign_in(browser, home, "dashboard")
        wait_visible(browser, 'svg[data-chart="calls"]')
        # No calls yet: zeros, charts that say so, and no latency.
        assert card_value(browser, "requests") == "0"
        assert card_value(browser, "p50") == "—"
        assert "no calls" in chart_label(browser, "calls")
        assert "no calls" in chart_label(browser, "latency")
        assert text_at(browser, "#chart-calls .chart-empty") == "No calls in this range"
        screenshot(browser, "dashboard-empty")

        # Calls made elsewhere appear without a reload (the page follows /events).
        browser.execute_script("window.stillThisPage = true")
        call_tools(home, ("fixture__echo", {"text": "one"}), ("fixture__echo", {"text": "two"}),
                   ("fixture__echo", {"text": "three"}), ("fixture__add", {"a": 1, "b": 2}))  # fmt: skip
        wait_for(browser, lambda _: card_value(browser, "requests") == "4")
        assert browser.execute_script("return window.stillThisPage") is True
        chart = read(browser, """const svg = document.querySelector('svg[data-chart="calls"]');
            return {role: svg.getAttribute('role'), label: svg.getAttribute('aria-label'),
                    title: svg.querySelector('title').textContent, bars: svg.querySelectorAll('rect.bar-ok').length}""")
        assert chart["role"] == "img"
        assert "4 calls" in chart["label"] and "per minute" in chart["label"] and "the last hour" in chart["label"]
        assert chart["title"] == chart["label"]
        assert chart["bars"] > 0, "no bar drawn for the calls"
        assert "0%" in chart_label(browser, "error-rate")
        assert card_value(browser, "p50").endswith("ms") or card_value(browser, "p50").endswith(" s")

        leaders = read(browser, "return [...document.querySelectorAll('#dashboard-tools tbody tr')]"
                                ".map(row => [...row.cells].map(cell => cell.textContent))")
        assert [row[0] for row in leaders] == ["fixture__echo", "fixture__add"]
        assert [row[2] for row in leaders] == ["3", "1"]
        screenshot(browser, "dashboard-calls")

        # The range: a button per range, remembered in the address and across a reload.
        day = browser.find_element(By.CSS_SELECTOR, 'button[data-range="24h"]')
        day.click()
        wait_for(browser, lambda _: "the last 24 hours" in chart_label(browser, "calls"))
        assert day.get_attribute("aria-pressed") == "true"
        assert browser.find_element(By.CSS_SELECTOR, 'button[data-range="1h"]').get_attribute("aria-pressed") == "false"
        assert "per 15 minutes" in chart_label(browser, "calls")
        assert browser.execute_script("return location.hash") == "#/dashboard?range=24h"
        assert card_value(browser, "requests") == "4"
        browser.refresh()
        wait_visible(browser, 'svg[data-chart="calls"]')
        assert "the last 24 hours" in chart_label(browser, "calls")
        # Keyboard: focus a range button and press Enter.
        week = browser.find_element(By.CSS_SELECTOR, 'button[data-range="7d"]')
        week.send_keys(Keys.ENTER)
        wait_for(browser, lambda _: "the last 7 days" in chart_label(browser, "calls"))
        screenshot(browser, "dashboard-7d")

        # Restart the fixture server: the answer shows next to its button, focus stays on it.
        fixture_row = 'tr[data-server="fixture"]'
        assert browser.find_element(By.CSS_SELECTOR, f"{fixture_row} button").get_attribute("aria-label") == "Restart fixture"
        click(browser, f"{fixture_row} button")
        wait_for(browser, lambda _: text_at(browser, f"{fixture_row} .restart-result") == "Restarted: running")
        assert "running" in text_at(browser, f"{fixture_row} .state")
        assert browser.switch_to.active_element.get_attribute("aria-label") == "Restart fixture"
        screenshot(browser, "dashboard-restarted")

        broken_row = 'tr[data-server="broken"]'
        click(browser, f"{broken_row} button")
        wait_for(browser, lambda _: text_at(browser, f'{broken_row} .restart-result.bad[role="alert"]'))
        assert "exited with status 3" in text_at(browser, f"{broken_row} .restart-result")
        # The refused restart is logged by Chromium as a failed load (a 409): nothing else is.
        refused = console_errors(browser)
        assert len(refused) == 1 and "/restart" in refused[0] and "409" in refused[0], refused
        screenshot(browser, "dashboard-restart-error")

        # A narrow window: the page does not scroll sideways (wide tables scroll in their box).
        browser.set_window_size(375, 900)
        wait_for(browser, lambda b: b.execute_script("return document.querySelector('main').scrollWidth <= innerWidth"))
        screenshot(browser, "dashboard-narrow")
        assert console_errors(browser) == []


def test_audit_lists_filters_tails_shows_details_and_exports(
    home: Home, browser: WebDriver, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    with web_daemon(home):
        call_tools(home, ("fixture__echo", {"text": "first"}), ("fixture__add", {"a": 2, "b": 40}))
        wait_audited(browser, home, 2)
        sign_in(browser, home, "audit")
        wait_for(browser, lambda _: len(audit_rows(browser)) == 2)
        assert "fixture__add" in audit_rows(browser)[0] and "fixture__echo" in audit_rows(browser)[1]
        wait_text(browser, "#audit-summary", "of 2")
        wait_text(browser, "#audit-live-state", "live")
        screenshot(browser, "audit-list")

        # Filtering by tool narrows the rows, and the address keeps the filter.
        tool = browser.find_element(By.ID, "audit-tool")
        tool.send_keys("fixture__add", Keys.ENTER)
        wait_for(browser, lambda _: len(audit_rows(browser)) == 1)
        assert "fixture__add" in audit_rows(browser)[0]
        assert "tool_name=fixture__add" in browser.execute_script("return location.hash")
        screenshot(browser, "audit-filtered")

        # The live tail adds what the filter lets through, without a reload: the echo made
        # before the second add is not shown.
        browser.execute_script("window.stillThisPage = true")
        call_tools(home, ("fixture__echo", {"text": "filtered out"}), ("fixture__add", {"a": 5, "b": 6}))
        wait_for(browser, lambda _: len(audit_rows(browser)) == 2)
        assert all("fixture__add" in row for row in audit_rows(browser))
        wait_text(browser, "#audit-summary", "of 2")

        # Clearing the filter lists everything; a new call arrives on top.
        browser.find_element(By.XPATH, "//form[@role='search']//button[.='Clear']").click()
        wait_for(browser, lambda _: len(audit_rows(browser)) == 4)
        call_tools(home, ("fixture__echo", {"text": "live tail marker"}))
        wait_for(browser, lambda _: len(audit_rows(browser)) == 5)
        assert "fixture__echo" in audit_rows(browser)[0]
        assert browser.execute_script("return window.stillThisPage") is True
        screenshot(browser, "audit-live")

        # The detail dialog: every field and the parameters, pretty-printed; Esc closes it and
        # gives the focus back to the row's button.
        details = browser.find_element(By.CSS_SELECTOR, "#audit-rows tr:first-child button.details")
        details.send_keys(Keys.ENTER)
        dialog = wait_visible(browser, "dialog#audit-detail[open]")
        params = json.loads(dialog.find_element(By.CSS_SELECTOR, "pre.params").text)
        assert params["text"] == "live tail marker"
        fields = [dt.text for dt in dialog.find_elements(By.CSS_SELECTOR, "dl.fields dt")]
        for name in ("id", "created_at", "tool_name", "status", "workspace_name", "server_name", "latency_ms", "decision"):
            assert name in fields
        assert "fixture__echo" in dialog.text
        screenshot(browser, "audit-detail")
        browser.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait_for(browser, lambda b: not b.execute_script("return document.getElementById('audit-detail').open"))
        assert browser.switch_to.active_element.get_attribute("class") == "details"

        # Exports download the filtered records from /api/v1/audit/export.
        tool = browser.find_element(By.ID, "audit-tool")
        tool.send_keys("fixture__echo", Keys.ENTER)
        wait_for(browser, lambda _: len(audit_rows(browser)) == 3)
        browser.find_element(By.ID, "audit-export-csv").click()
        wait_text(browser, ".export-status", "Downloaded junction-audit.csv")
        csv_file = downloads / "junction-audit.csv"
        wait_for(browser, lambda _: csv_file.exists())
        rows = list(csv.DictReader(io.StringIO(csv_file.read_text())))
        assert [row["tool_name"] for row in rows] == ["fixture__echo"] * 3
        assert any("live tail marker" in row["params"] for row in rows)

        browser.find_element(By.ID, "audit-export-jsonl").click()
        wait_text(browser, ".export-status", "Downloaded junction-audit.jsonl")
        jsonl_file = downloads / "junction-audit.jsonl"
        wait_for(browser, lambda _: jsonl_file.exists())
        lines = [json.loads(line) for line in jsonl_file.read_text().splitlines()]
        assert {line["tool_name"] for line in lines} == {"fixture__echo"} and len(lines) == 3
        fetched = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/audit/export'))"
        )
        assert any("format=csv" in url and "tool_name=fixture__echo" in url for url in fetched)
        screenshot(browser, "audit-exported")

        browser.set_window_size(375, 900)
        wait_for(browser, lambda b: b.execute_script("return document.querySelector('main').scrollWidth <= innerWidth"))
        screenshot(browser, "audit-narrow")
        assert console_errors(browser) == []
