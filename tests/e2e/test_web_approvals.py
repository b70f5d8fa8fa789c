"""The Approvals, Dry-run and Install pages in a real browser against a live daemon: a parked call
shows up within a second and deciding there (with a note) releases the Python MCP client's waiting
call; a decision that lost the race says what won; the dry-run page shows the decision and the
trace, and API errors next to their fields; the install page lists the clients, previews a diff
and installs into a sandboxed home folder; the pages fit a 375 px window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import Home, api, gateway, text_of
from web import (WAIT, base_url, console_errors, open_page, screenshot, sign_in, wait_for, wait_text, wait_visible,
                 web_daemon)  # fmt: skip

PARKED_WITHIN = 1.0  # seconds: the bound from the call to its card on the page


@pytest.fixture
def approve_home(home: Home) -> Home:
    """`home` where fixture__echo needs approval in workspace A."""
    home.add_route("--workspace", "A", "--tool", "fixture__echo", "--policy", "approve", "--name", "ask-echo")
    return home


def run(fn: Any, *args: Any) -> Any:
    """A blocking selenium step off the event loop, so the MCP client keeps running meanwhile."""
    return anyio.to_thread.run_sync(lambda: fn(*args))


def open_approvals(browser: WebDriver, home: Home) -> None:
    """Signs in on the Approvals page and waits until its stream is live."""
    sign_in(browser, home, "approvals")
    wait_visible(browser, '.approvals-page[data-stream="open"]')


def wait_card(browser: WebDriver, tool: str) -> Any:
    """The pending card for `tool`, waited for with the issue's bound and a fine poll."""
    def card(b: WebDriver) -> Any:
        for element in b.find_elements(By.CSS_SELECTOR, "#approvals-pending li.approval"):
            if tool in element.text:
                return element
        return False

    try:
        return WebDriverWait(browser, PARKED_WITHIN, poll_frequency=0.02).until(card)
    except TimeoutException:
        screenshot(browser, "approval-not-within-a-second")
        raise AssertionError(f"the parked {tool} call did not appear within {PARKED_WITHIN} s") from None


def decide(browser: WebDriver, card: Any, note: str, action: str) -> str:
    """Types the note, presses Approve or Deny; returns the approval id."""
    approval_id = card.get_attribute("data-id")
    card.find_element(By.CSS_SELECTOR, 'textarea[name="resolution"]').send_keys(note)
    card.find_element(By.CSS_SELECTOR, f'button[data-action="{action}"]').click()
    return str(approval_id)


def allow_notifications(browser: WebDriver, home: Home) -> None:
    """Grants the page desktop notifications (as a person would in the browser's prompt), reloads
    it, and records the notifications it shows in `window.notified`."""
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": base_url(home), "permissions": ["notifications"]})
    browser.refresh()
    wait_visible(browser, '.approvals-page[data-stream="open"]')
    wait_text(browser, ".approval-notify", "notifications are on")
    browser.execute_script(
        """window.notified = [];
        window.Notification = class extends window.Notification {
          constructor(title, options) { window.notified.push(title); super(title, options); }
        };"""
    )


def shot(browser: WebDriver, name: str, element: Any = None) -> None:
    """A screenshot with `element` scrolled into the middle of the window."""
    if element is not None:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    screenshot(browser, name)


def fits(browser: WebDriver) -> bool:
    """The page does not scroll sideways (wide tables and code scroll in their own box)."""
    return bool(browser.execute_script("return document.documentElement.scrollWidth <= innerWidth"))


def wait_decision(browser: WebDriver, text: str) -> Any:
    """The dry-run's decision once it reads `text` (each run replaces the result)."""
    def decided(b: WebDriver) -> Any:
        element = b.find_element(By.ID, "dry-decision")
        return element if element.is_displayed() and element.text == text else False

    return WebDriverWait(browser, WAIT, ignored_exceptions=[StaleElementReferenceException]).until(decided)


def deny_by_keyboard(browser: WebDriver, card: Any, note: str) -> str:
    """Keyboard only: the note, then Tab past the "remember" group and Approve to Deny, Enter."""
    approval_id = str(card.get_attribute("data-id"))
    field = card.find_element(By.CSS_SELECTOR, 'textarea[name="resolution"]')
    field.click()
    field.send_keys(note)
    active = browser.switch_to.active_element
    for _ in range(3):  # the "remember" group is one stop, then Approve, then Deny
        active.send_keys(Keys.TAB)
        active = browser.switch_to.active_element
    assert active.get_attribute("data-action") == "deny", active.get_attribute("outerHTML")
    active.send_keys(Keys.ENTER)
    return approval_id


def resolved_row(browser: WebDriver, approval_id: str) -> Any:
    return wait_visible(browser, f'#approvals-resolved li[data-id="{approval_id}"]')


@pytest.mark.anyio
async def test_a_parked_call_appears_within_a_second_and_approving_it_releases_the_client(
    approve_home: Home, browser: WebDriver
) -> None:
    home = approve_home
    with web_daemon(home):
        await run(open_approvals, browser, home)
        # Notifications are offered with a button, never asked for on load.
        assert await run(browser.execute_script, "return Notification.permission") == "default"
        button = await run(wait_visible, browser, "#approvals-notify")
        assert "Notify me" in button.text
        await run(screenshot, browser, "approvals-empty")
        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            await session.list_tools()  # the session is up before the clock starts
            outcome: dict[str, Any] = {}

            async def parked() -> None:
                outcome["result"] = await session.call_tool("fixture__echo", {"text": "ship it"})

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(parked)
                card = await run(wait_card, browser, "fixture__echo")
                await run(screenshot, browser, "approvals-pending")
                text = card.text
                assert "ship it" in text and "A" in text and "junction-e2e" in text and "fixture" in text
                assert "result" not in outcome
                approval_id = await run(decide, browser, card, "looks fine", "approve")
            assert text_of(outcome["result"]) == "ship it"

        row = await run(resolved_row, browser, approval_id)
        assert row.get_attribute("data-status") == "approved"
        assert "looks fine" in row.text
        assert await run(browser.find_elements, By.CSS_SELECTOR, "#approvals-pending li.approval") == []
        # Focus moved to the outcome (no other card waits), not lost to the page.
        focused = await run(browser.execute_script, "return document.activeElement.dataset.id || null")
        assert focused == approval_id
        await run(screenshot, browser, "approvals-approved")
        status, approval = api(home, "GET", f"/api/v1/approvals/{approval_id}")
        assert status == 200 and approval["status"] == "approved" and approval["resolution"] == "looks fine"
        assert await run(console_errors, browser) == []


@pytest.mark.anyio
async def test_deny_with_a_note_gives_the_client_an_error_with_the_note(
    approve_home: Home, browser: WebDriver
) -> None:
    home = approve_home
    with web_daemon(home):
        await run(open_approvals, browser, home)
        await run(allow_notifications, browser, home)
        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            outcome: dict[str, Any] = {}

            async def parked() -> None:
                outcome["result"] = await session.call_tool("fixture__echo", {"text": "rm -rf"})

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(parked)
                card = await run(wait_text, browser, "#approvals-pending li.approval", "rm -rf")
                notified = await run(browser.execute_script, "return window.notified")
                assert notified == ["Approval needed: fixture__echo"]
                # A pending card in a narrow window (375 px): nothing scrolls sideways.
                await run(browser.set_window_size, 375, 900)
                await run(wait_for, browser, fits)
                await run(shot, browser, "approvals-pending-narrow", card)
                approval_id = await run(deny_by_keyboard, browser, card, "not on a Friday")
            result = outcome["result"]
            assert result.is_error
            assert "not on a Friday" in result.content[0].text

        row = await run(resolved_row, browser, approval_id)
        assert row.get_attribute("data-status") == "denied"
        assert "not on a Friday" in row.text
        await run(shot, browser, "approvals-denied-narrow", row)
        # The history survives a reload.
        await run(browser.refresh)
        row = await run(resolved_row, browser, approval_id)
        assert "Denied" in row.text and "not on a Friday" in row.text
        assert await run(console_errors, browser) == []


# Installed before the page loads: while `window.holdResolutions` is set, the approvals streams
# drop `approval.resolved` events, so the page has not heard of a decision made elsewhere.
HOLD_RESOLUTIONS = """
const realFetch = window.fetch;
window.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  if (!String(input).includes("/approvals/stream") || !response.body) return response;
  const decoder = new TextDecoder();
  const held = new TransformStream({
    transform(chunk, controller) {
      if (!(window.holdResolutions && decoder.decode(chunk).includes("approval.resolved"))) controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(held), { status: response.status, headers: response.headers });
};
"""


@pytest.mark.anyio
async def test_a_decision_that_lost_the_race_says_what_won(approve_home: Home, browser: WebDriver) -> None:
    home = approve_home
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOLD_RESOLUTIONS})
    with web_daemon(home):
        await run(open_approvals, browser, home)
        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            outcome: dict[str, Any] = {}

            async def parked() -> None:
                outcome["result"] = await session.call_tool("fixture__echo", {"text": "race"})

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(parked)
                card = await run(wait_text, browser, "#approvals-pending li.approval", "race")
                await run(browser.execute_script, "window.holdResolutions = true")
                approval_id = await run(card.get_attribute, "data-id")
                status, _ = api(home, "POST", f"/api/v1/approvals/{approval_id}/resolve",
                                body={"approved": False, "resolution": "someone else was first"})  # fmt: skip
                assert status == 200
                await run(decide, browser, card, "too late", "approve")
            assert outcome["result"].is_error

        row = await run(resolved_row, browser, approval_id)
        await run(wait_text, browser, f'#approvals-resolved li[data-id="{approval_id}"] .conflict', "Already denied")
        assert "someone else was first" in row.text and "too late" not in row.text
        assert await run(browser.execute_script, "return document.activeElement.dataset.id || null") == approval_id
        await run(shot, browser, "approvals-conflict", row)
        refused = await run(console_errors, browser)  # Chromium logs the 409 as a failed load
        assert len(refused) == 1 and "/resolve" in refused[0] and "409" in refused[0], refused


def test_dry_run_shows_the_decision_and_the_trace(home: Home, browser: WebDriver) -> None:
    home.add_route("--workspace", "A", "--tool", "fixture__echo", "--policy", "deny", "--name", "no-echo")
    with web_daemon(home):
        status, _ = api(home, "POST", "/api/v1/downstreams/fixture/discover")
        assert status == 200, "the fixture server's catalog feeds the completion"
        sign_in(browser, home, "dry-run")
        form = wait_visible(browser, "#dry-run-form")
        Select(form.find_element(By.NAME, "workspace_id")).select_by_visible_text(
            f"A — {(home.work / 'ws' / 'A').resolve()}"
        )
        tool = form.find_element(By.NAME, "tool_name")
        tool.send_keys("echo")
        # Completion from the catalog.
        wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, '#dry-tools option[value="fixture__echo"]'))
        tool.clear()
        tool.send_keys("fixture__echo")
        form.find_element(By.NAME, "arguments").send_keys('{"text": "hi"}')
        form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()

        decision = wait_decision(browser, "Deny")
        assert "decision-deny" in str(decision.get_attribute("class"))
        result = browser.find_element(By.ID, "dry-run-result")
        assert "no-echo" in result.text and "fixture" in result.text
        rows = browser.find_elements(By.CSS_SELECTOR, "#dry-trace tbody tr")
        cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
        deciding = [c for c in cells if "no-echo" in c[0] and c[1] == "A" and c[2] == "yes"]
        assert deciding and "decides: deny" in deciding[0][3], cells
        assert browser.execute_script("return document.activeElement.id") == "dry-result-title"
        shot(browser, "dry-run-deny", browser.find_element(By.ID, "dry-trace"))

        # An allowed tool in the same workspace.
        tool.clear()
        tool.send_keys("fixture__add")
        form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
        wait_decision(browser, "Allow")
        assert "does not match 'fixture__add'" in browser.find_element(By.ID, "dry-trace").text

        # Errors sit next to their field: bad JSON (checked here), a relative folder (the API's).
        arguments = form.find_element(By.NAME, "arguments")
        arguments.clear()
        arguments.send_keys("{not json")
        form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
        wait_text(browser, "#dry-arguments + .field-error", "Not valid JSON")
        assert arguments.get_attribute("aria-invalid") == "true"
        arguments.clear()
        form.find_element(By.ID, "dry-mode-cwd").click()
        form.find_element(By.NAME, "cwd").send_keys("relative/folder")
        form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
        error = wait_text(browser, "#dry-cwd + .field-error", "absolute")
        shot(browser, "dry-run-cwd-error", error)
        # Chromium logs the API's refusal (a 400) as a failed load; nothing else is logged.
        refused = console_errors(browser)
        assert len(refused) == 1 and "/api/v1/dry-run" in refused[0] and "400" in refused[0], refused

        cwd = form.find_element(By.NAME, "cwd")
        cwd.clear()
        cwd.send_keys(str(home.work / "ws" / "A"))
        tool.clear()
        tool.send_keys("fixture__echo")
        form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
        wait_decision(browser, "Deny")
        assert not browser.find_elements(By.CSS_SELECTOR, "#dry-run-form .field-error")
        assert console_errors(browser) == []


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME for the daemon (`serve` passes this process's environment on): the AI clients'
    configuration files live in a sandbox, never in the real home."""
    path = tmp_path / "user-home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    for name in ("XDG_CONFIG_HOME", "CODEX_HOME", "APPDATA"):
        monkeypatch.delenv(name, raising=False)
    return path


def test_install_lists_the_clients_previews_a_diff_and_installs(
    home: Home, browser: WebDriver, user_home: Path
) -> None:
    (user_home / ".cursor").mkdir()  # Cursor is "detected"; the others are not
    with web_daemon(home):
        sign_in(browser, home, "install")
        cursor = wait_visible(browser, '#install-clients li[data-client="cursor"]')
        names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#install-clients li h3")]
        assert {"Claude Code", "Cursor", "VS Code"} <= set(names), names
        assert "Detected" in cursor.text and "Not installed" in cursor.text
        assert str(user_home / ".cursor" / "mcp.json") in cursor.text
        screenshot(browser, "install-clients")

        Select(browser.find_element(By.ID, "install-workspace")).select_by_visible_text("A")
        cursor.find_element(By.CSS_SELECTOR, 'button[data-action="preview"]').click()
        diff = wait_visible(browser, "#client-cursor-diff")
        added = [e.text for e in diff.find_elements(By.CSS_SELECTOR, ".diff-add")]
        assert any('"junction"' in line for line in added), added
        assert any('"A"' in line for line in added), added  # the chosen workspace is in the entry
        assert diff.find_elements(By.CSS_SELECTOR, ".diff-file")
        shot(browser, "install-preview", diff)

        cursor.find_element(By.CSS_SELECTOR, 'button[data-action="install"]').click()
        wait_text(browser, "#client-cursor-outcome", "Installed")
        # Installed for workspace A: the status compares with the entry without a workspace.
        cursor_badges = '#install-clients li[data-client="cursor"] .badges'
        wait_text(browser, cursor_badges, "Installed, differs from the default entry")
        assert '"junction"' in (user_home / ".cursor" / "mcp.json").read_text()

        # A client that is not on this machine: the API's 409 offers "Install anyway".
        windsurf = browser.find_element(By.CSS_SELECTOR, '#install-clients li[data-client="windsurf"]')
        windsurf.find_element(By.CSS_SELECTOR, 'button[data-action="install"]').click()
        anyway = wait_visible(browser, '#client-windsurf-outcome button[data-action="force"]')
        assert "was not found on this machine" in windsurf.text
        shot(browser, "install-not-detected", anyway)
        refused = console_errors(browser)  # Chromium logs the 409 as a failed load
        assert len(refused) == 1 and "/windsurf/install" in refused[0] and "409" in refused[0], refused
        anyway.click()
        wait_text(browser, "#client-windsurf-outcome", "Installed")
        assert (user_home / ".codeium" / "windsurf" / "mcp_config.json").is_file()

        # Uninstall edits the file again and says where the backup went.
        cursor.find_element(By.CSS_SELECTOR, 'button[data-action="uninstall"]').click()
        outcome = wait_text(browser, "#client-cursor-outcome", "Removed")
        assert "backed up to" in outcome.text
        wait_text(browser, cursor_badges, "Not installed")
        assert '"junction"' not in (user_home / ".cursor" / "mcp.json").read_text()
        shot(browser, "install-uninstalled", outcome)
        assert console_errors(browser) == []


def test_the_pages_fit_a_narrow_window(approve_home: Home, browser: WebDriver, user_home: Path) -> None:
    """375 px wide: no page scrolls sideways."""
    with web_daemon(approve_home):
        browser.set_window_size(375, 800)
        sign_in(browser, approve_home, "approvals")
        for page in ("approvals", "dry-run", "install"):
            open_page(browser, page)
            wait_visible(browser, "main#view h1")
            wait_for(browser, fits)
            screenshot(browser, f"narrow-{page}")
        assert console_errors(browser) == []
