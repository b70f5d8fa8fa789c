"""The tools page in a real browser against a live daemon: a search box over every server's
tools (BM25, best match first), with the chosen workspace's decision for each hit."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from harness import Home, api
from web import console_errors, open_page, sign_in, wait_for, wait_text, web_daemon


def first_tool(browser: WebDriver) -> str | None:
    rows = browser.find_elements(By.CSS_SELECTOR, "#tools-results tbody tr")
    return rows[0].get_attribute("data-tool") if rows else None


def test_the_search_box_finds_tools_and_shows_a_workspace_decision(home: Home, browser: WebDriver) -> None:
    home.add_route("--workspace", "A", "--tool", "fixture__add", "--policy", "deny", "--name", "a-no-add")
    with web_daemon(home):
        status, discovered = api(home, "POST", "/api/v1/downstreams/fixture/discover")
        assert status == 200, discovered
        sign_in(browser, home)
        open_page(browser, "tools")
        box = browser.find_element(By.ID, "tools-q")
        box.send_keys("text unchanged")
        wait_for(browser, lambda b: first_tool(b) == "fixture__echo")
        wait_text(browser, "#tools-results tbody tr", "Return text unchanged.")

        box.clear()
        box.send_keys("fixture__add")
        wait_for(browser, lambda b: first_tool(b) == "fixture__add")
        workspaces = Select(browser.find_element(By.ID, "tools-workspace"))
        wait_for(browser, lambda b: len(workspaces.options) > 1)
        workspaces.select_by_visible_text("A")
        wait_for(
            browser,
            lambda b: b.find_elements(By.CSS_SELECTOR, '#tools-results tr[data-tool="fixture__add"] [data-decision="deny"]'),
        )
        assert console_errors(browser) == []
