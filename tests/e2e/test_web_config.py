"""The configuration pages in a real browser against a live daemon: workspaces and route rules
created, edited and deleted through their forms (checked through the API), the API's errors shown
next to the field they concern, bulk rules all or nothing, the servers page with live state,
Discover, tools and stderr tail, auth scopes whose secret values never reach the page, and
settings saved with environment overrides shown and locked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import FIXTURE_SERVER, PYTHON, Home, api
from web import WAIT, console_errors, open_page, screenshot, sign_in, web_daemon


# ---- helpers ------------------------------------------------------------------------------------


def wait_for(browser: WebDriver, condition: Callable[[WebDriver], Any]) -> Any:
    """web.wait_for, polled more often (these pages answer in milliseconds) and looking again at
    an element the page redrew meanwhile (live tables); bounded by web.WAIT."""
    try:
        wait = WebDriverWait(browser, WAIT, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException])
        return wait.until(condition)
    except TimeoutException:
        screenshot(browser, "timeout")
        raise


def wait_visible(browser: WebDriver, css: str) -> WebElement:
    def visible(b: WebDriver) -> WebElement | bool:
        try:
            for element in b.find_elements(By.CSS_SELECTOR, css):
                if element.is_displayed():
                    return element
        except StaleElementReferenceException:
            pass
        return False

    return wait_for(browser, visible)


def get(home: Home, path: str) -> Any:
    status, body = api(home, "GET", path)
    assert status == 200, (path, status, body)
    return body


def fill(browser: WebDriver, css: str, value: str) -> WebElement:
    field = browser.find_element(By.CSS_SELECTOR, css)
    field.clear()
    field.send_keys(value)
    return field


def choose(browser: WebDriver, css: str, *, value: str | None = None, text: str | None = None) -> None:
    select = Select(browser.find_element(By.CSS_SELECTOR, css))
    if value is not None:
        select.select_by_value(value)
    else:
        assert text is not None
        select.select_by_visible_text(text)


def click(browser: WebDriver, css: str) -> None:
    """Clicks the first visible match; a match the page redraws meanwhile is looked up again."""

    def clicked(b: WebDriver) -> bool:
        try:
            for element in b.find_elements(By.CSS_SELECTOR, css):
                if element.is_displayed():
                    element.click()
                    return True
        except StaleElementReferenceException:
            pass
        return False

    wait_for(browser, clicked)


def wait_text(browser: WebDriver, css: str, text: str) -> WebElement:
    """Like web.wait_text, but tolerant of the page redrawing what it looks at (live tables)."""

    def has_text(b: WebDriver) -> WebElement | bool:
        try:
            for element in b.find_elements(By.CSS_SELECTOR, css):
                if text in element.text:
                    return element
        except StaleElementReferenceException:
            pass
        return False

    return wait_for(browser, has_text)


def field_error(browser: WebDriver, form: str, name: str) -> str:
    """The error shown right after the form's field `name` (waits for it)."""
    return str(wait_visible(browser, f'{form} [name="{name}"][aria-invalid="true"] + .field-error').text)


def refused(browser: WebDriver, *expected: tuple[str, int]) -> None:
    """Chromium logs each refused request (4xx) as a failed load: exactly these, in order."""
    errors = console_errors(browser)
    assert len(errors) == len(expected), errors
    for error, (path, status) in zip(errors, expected, strict=True):
        assert path in error and str(status) in error, (error, path, status)


def narrow(browser: WebDriver, name: str) -> None:
    """At 375 px the page does not scroll sideways (wide tables scroll in their own box)."""
    browser.set_window_size(375, 900)
    wait_for(browser, lambda b: b.execute_script("return document.querySelector('main').scrollWidth <= innerWidth"))
    screenshot(browser, f"{name}-narrow")
    browser.set_window_size(1280, 900)


def row_ids(browser: WebDriver, css: str) -> list[str]:
    return [str(row.get_attribute("data-id")) for row in browser.find_elements(By.CSS_SELECTOR, css)]


# ---- workspaces ---------------------------------------------------------------------------------


def test_workspaces_are_created_edited_and_deleted_through_the_form(home: Home, browser: WebDriver) -> None:
    root = (home.work / "ws" / "C").resolve()
    root.mkdir(parents=True)
    with web_daemon(home):
        sign_in(browser, home, "workspaces")
        wait_visible(browser, '#workspaces-table tr[data-name="A"]')
        assert browser.find_elements(By.CSS_SELECTOR, '#workspaces-table tr[data-name="B"]')
        screenshot(browser, "workspaces")

        # A relative root: the API's error sits next to the root path field, and nothing is created.
        form = "#workspace-create"
        fill(browser, f"{form} [name=name]", "C")
        fill(browser, f"{form} [name=root_path]", "relative/path")
        click(browser, f"{form} button[type=submit]")
        assert "must be absolute" in field_error(browser, form, "root_path")
        refused(browser, ("/api/v1/workspaces", 400))
        assert [w["name"] for w in get(home, "/api/v1/workspaces")] == ["A", "B"]

        fill(browser, f"{form} [name=root_path]", str(root))
        choose(browser, f"{form} [name=default_policy]", value="approve")
        fill(browser, f"{form} [name=tags]", "team=web\nowner=me")
        click(browser, f"{form} button[type=submit]")
        wait_visible(browser, '#workspaces-table tr[data-name="C"]')
        created = next(w for w in get(home, "/api/v1/workspaces") if w["name"] == "C")
        assert created["root_path"] == str(root)
        assert created["default_policy"] == "approve"
        assert created["tags"] == {"team": "web", "owner": "me"}
        assert browser.find_element(By.CSS_SELECTOR, f"{form} [name=name]").get_attribute("value") == ""

        # Edit: the same form, filled in; tags replace the whole set.
        click(browser, '#workspaces-table tr[data-name="C"] [data-action="edit"]')
        edit = "#workspace-edit-form"
        wait_visible(browser, edit)
        assert browser.find_element(By.CSS_SELECTOR, f"{edit} [name=root_path]").get_attribute("value") == str(root)
        choose(browser, f"{edit} [name=default_policy]", value="deny")
        fill(browser, f"{edit} [name=tags]", "team=platform")
        click(browser, f"{edit} button[type=submit]")
        wait_for(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, edit))
        edited = get(home, f"/api/v1/workspaces/{created['id']}")
        assert edited["default_policy"] == "deny" and edited["tags"] == {"team": "platform"}
        wait_text(browser, '#workspaces-table tr[data-name="C"]', "team=platform")

        # Delete asks again in place.
        click(browser, '#workspaces-table tr[data-name="C"] .confirm button')
        click(browser, '#workspaces-table tr[data-name="C"] [data-confirm="yes"]')
        wait_for(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, '#workspaces-table tr[data-name="C"]'))
        assert [w["name"] for w in get(home, "/api/v1/workspaces")] == ["A", "B"]
        narrow(browser, "workspaces")
        assert console_errors(browser) == []


# ---- routes -------------------------------------------------------------------------------------


def test_rules_are_added_checked_listed_in_resolver_order_toggled_and_deleted(home: Home, browser: WebDriver) -> None:
    with web_daemon(home):
        workspaces = {w["name"]: w["id"] for w in get(home, "/api/v1/workspaces")}
        sign_in(browser, home, "routes")
        form = "#route-create"
        wait_visible(browser, f"{form} [name=tool_pattern]")

        # An empty tool pattern is caught before any request.
        click(browser, f"{form} button[type=submit]")
        assert "tool pattern" in field_error(browser, form, "tool_pattern")
        assert console_errors(browser) == []

        # The API's errors appear next to the field they concern.
        choose(browser, f"{form} [name=workspace_id]", text="Workspace A")
        fill(browser, f"{form} [name=tool_pattern]", "fixture__echo")
        fill(browser, f"{form} [name=path_glob]", "[")
        click(browser, f"{form} button[type=submit]")
        assert "invalid path glob" in field_error(browser, form, "path_glob")
        fill(browser, f"{form} [name=path_glob]", "**")
        fill(browser, f"{form} [name=priority]", "99999999999999999999")
        click(browser, f"{form} button[type=submit]")
        assert "priority" in field_error(browser, form, "priority")
        assert not browser.find_elements(By.CSS_SELECTOR, f'{form} [name="path_glob"][aria-invalid]')
        fill(browser, f"{form} [name=tool_pattern]", "fixture__[")
        fill(browser, f"{form} [name=priority]", "5")
        click(browser, f"{form} button[type=submit]")
        assert "invalid tool pattern" in field_error(browser, form, "tool_pattern")
        refused(browser, ("/api/v1/routes", 400), ("/api/v1/routes", 400), ("/api/v1/routes", 400))
        assert get(home, "/api/v1/routes") == []
        screenshot(browser, "routes-field-error")

        # A valid rule through the form.
        fill(browser, f"{form} [name=tool_pattern]", "fixture__echo")
        choose(browser, f"{form} [name=policy]", value="deny")
        click(browser, f"{form} button[type=submit]")
        wait_visible(browser, '#routes-table tr[data-tool-pattern="fixture__echo"]')
        [rule] = get(home, "/api/v1/routes")
        assert rule["workspace_id"] == workspaces["A"]
        assert (rule["tool_pattern"], rule["path_glob"], rule["policy"]) == ("fixture__echo", "**", "deny")
        assert rule["priority"] == 5
        assert rule["enabled"] is True and rule["server_id"] is None

        # Bulk: one bad line refuses the whole text, naming the line and the field.
        bulk = "#route-bulk"
        fill(browser, f"{bulk} [name=rules]", "# comment\nA fixture__add allow 3\nB fixture__echo maybe\n")
        click(browser, f"{bulk} button[type=submit]")
        message = field_error(browser, bulk, "rules")
        assert "Line 3" in message and "rules[1].policy" in message, message
        refused(browser, ("/api/v1/routes/bulk", 400))
        assert len(get(home, "/api/v1/routes")) == 1

        # A line that is not a rule is caught in the page.
        fill(browser, f"{bulk} [name=rules]", "A fixture__add")
        click(browser, f"{bulk} button[type=submit]")
        assert "Line 1" in field_error(browser, bulk, "rules")

        lines = ["A fixture__add allow 3", "* fixture__* approve", "B fixture__echo deny 1", "A fixture__* allow 10"]
        fill(browser, f"{bulk} [name=rules]", "\n".join(lines) + "\n")
        click(browser, f"{bulk} button[type=submit]")
        wait_for(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#routes-table tr[data-id]")) == 5)
        rules = get(home, "/api/v1/routes")
        assert len(rules) == 5
        assert {(r["workspace_id"], r["tool_pattern"], r["policy"], r["priority"]) for r in rules} == {
            (workspaces["A"], "fixture__echo", "deny", 5),
            (workspaces["A"], "fixture__add", "allow", 3),
            (None, "fixture__*", "approve", 0),
            (workspaces["B"], "fixture__echo", "deny", 1),
            (workspaces["A"], "fixture__*", "allow", 10),
        }
        # JSON works too.
        as_json = [{"workspace_id": "B", "tool_pattern": "fixture__add", "path_glob": "src/**", "policy": "approve"}]
        fill(browser, f"{bulk} [name=rules]", json.dumps(as_json))
        click(browser, f"{bulk} button[type=submit]")
        wait_for(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#routes-table tr[data-id]")) == 6)

        # The table is in the API's (the resolver's) order, grouped by scope, global last.
        rules = get(home, "/api/v1/routes")
        assert row_ids(browser, "#routes-table tr[data-id]") == [r["id"] for r in rules]
        groups = browser.find_elements(By.CSS_SELECTOR, "#routes-table tbody[data-scope]")
        scopes = [group.get_attribute("data-scope") for group in groups]
        assert scopes == ["A", "B", "*"]
        first = browser.find_element(By.CSS_SELECTOR, '#routes-table tbody[data-scope="A"] tr[data-id]')
        assert first.get_attribute("data-tool-pattern") == "fixture__*"  # priority 10 goes first
        screenshot(browser, "routes")

        # Disable and enable again.
        row = f'#routes-table tr[data-id="{rule["id"]}"]'
        click(browser, f'{row} [data-action="toggle"]')
        wait_for(browser, lambda _: get(home, f"/api/v1/routes/{rule['id']}")["enabled"] is False)
        wait_text(browser, f'{row} [data-action="toggle"]', "Enable")
        click(browser, f'{row} [data-action="toggle"]')
        wait_for(browser, lambda _: get(home, f"/api/v1/routes/{rule['id']}")["enabled"] is True)

        # Edit: the priority moves it, and a server can be chosen.
        click(browser, f'{row} [data-action="edit"]')
        edit = "#route-edit-form"
        wait_visible(browser, edit)
        fill(browser, f"{edit} [name=priority]", "20")
        choose(browser, f"{edit} [name=server_id]", text="fixture (fixture__*)")
        click(browser, f"{edit} button[type=submit]")
        wait_for(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, edit))
        edited = get(home, f"/api/v1/routes/{rule['id']}")
        assert edited["priority"] == 20 and edited["server_id"] is not None and edited["policy"] == "deny"
        wait_for(browser, lambda b: row_ids(b, "#routes-table tr[data-id]")[0] == rule["id"])

        # Delete.
        click(browser, f"{row} .confirm button")
        click(browser, f'{row} [data-confirm="yes"]')
        wait_for(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, row))
        assert rule["id"] not in [r["id"] for r in get(home, "/api/v1/routes")]
        narrow(browser, "routes")
        assert console_errors(browser) == []


# ---- servers ------------------------------------------------------------------------------------


def test_servers_show_live_state_tools_after_discover_and_the_stderr_tail(home: Home, browser: WebDriver) -> None:
    with web_daemon(home):
        sign_in(browser, home, "servers")
        row = '#servers-table tr[data-name="fixture"]'
        wait_visible(browser, row)
        assert browser.find_element(By.CSS_SELECTOR, f"{row} [data-state]").get_attribute("data-state") == "stopped"
        screenshot(browser, "servers")

        click(browser, f"{row} a")
        wait_text(browser, "main h1", "Server fixture")
        wait_text(browser, "#server-tools", "No tools known yet")
        click(browser, '[data-action="discover"]')
        wait_text(browser, "#server-action-result", "Discovered 12 tools")
        wait_visible(browser, '#server-tools tr[data-tool="echo"]')
        assert "fixture__echo" in browser.find_element(By.CSS_SELECTOR, '#server-tools tr[data-tool="echo"]').text
        wait_text(browser, "#server-overview", "running")
        # The fixture (fastmcp) logs its start to stderr.
        wait_text(browser, "#server-logs", "junction-fixture")
        screenshot(browser, "server-detail")
        narrow(browser, "server-detail")

        # Disable, then enable again.
        click(browser, '[data-action="enable"]')
        wait_for(browser, lambda _: get(home, "/api/v1/downstreams/fixture")["enabled"] is False)
        wait_text(browser, '[data-action="enable"]', "Enable")
        click(browser, '[data-action="enable"]')
        wait_for(browser, lambda _: get(home, "/api/v1/downstreams/fixture")["enabled"] is True)
        wait_text(browser, '[data-action="enable"]', "Disable")

        # Stop: the state follows.
        click(browser, '[data-action="stop"]')
        wait_text(browser, "#server-action-result", "Stopped fixture")
        wait_for(browser, lambda _: get(home, "/api/v1/downstreams/fixture")["status"]["state"] == "stopped")
        wait_text(browser, "#server-overview", "stopped")

        # The list follows a restart made elsewhere (the page listens to /events and polls).
        open_page(browser, "servers")
        wait_visible(browser, row)
        assert browser.find_element(By.CSS_SELECTOR, f"{row} [data-tool-count]").text == "12"
        status, _ = api(home, "POST", "/api/v1/downstreams/fixture/restart")
        assert status == 200
        state = f"{row} [data-state]"
        wait_for(browser, lambda b: b.find_element(By.CSS_SELECTOR, state).get_attribute("data-state") == "running")

        # Add a server through the form: args one per line, env as KEY=VALUE lines.
        form = "#server-create"
        fill(browser, f"{form} [name=name]", "second")
        fill(browser, f"{form} [name=namespace]", "two")
        fill(browser, f"{form} [name=command]", PYTHON)
        fill(browser, f"{form} [name=args]", f"{FIXTURE_SERVER}\n")
        fill(browser, f"{form} [name=env]", "FIXTURE_TOKEN=not-a-secret\nMODE=a=b")
        choose(browser, f"{form} [name=instance_mode]", value="per_session")
        fill(browser, f"{form} [name=call_timeout_sec]", "30")
        click(browser, f"{form} button[type=submit]")
        wait_visible(browser, '#servers-table tr[data-name="second"]')
        second = get(home, "/api/v1/downstreams/second")
        assert second["namespace"] == "two" and second["command"] == PYTHON and second["args"] == [str(FIXTURE_SERVER)]
        assert second["env"] == {"FIXTURE_TOKEN": "not-a-secret", "MODE": "a=b"}
        assert second["instance_mode"] == "per_session" and second["call_timeout_sec"] == 30
        assert second["transport"] == "stdio"

        # An http server needs its URL: the API says so next to the field.
        choose(browser, f"{form} [name=transport]", value="http")
        fill(browser, f"{form} [name=name]", "remote")
        click(browser, f"{form} button[type=submit]")
        assert "needs an http:// or https:// url" in field_error(browser, form, "url")
        refused(browser, ("/api/v1/downstreams", 400))

        # Deleting a server a rule uses: the 409 names the rule, and force deletes both.
        rule = {"name": "via-second", "tool_pattern": "two__*", "server_id": "second"}
        assert api(home, "POST", "/api/v1/routes", body=rule)[0] == 201
        click(browser, '#servers-table tr[data-name="second"] a')
        wait_text(browser, "main h1", "Server second")
        # Edit: the form comes filled in; args and env are replaced as a whole.
        click(browser, '[data-action="edit"]')
        edit = "#server-edit-form"
        args = browser.find_element(By.CSS_SELECTOR, f"{edit} [name=args]")
        assert args.get_attribute("value") == str(FIXTURE_SERVER)
        fill(browser, f"{edit} [name=env]", "MODE=b")
        fill(browser, f"{edit} [name=call_timeout_sec]", "45")
        click(browser, f"{edit} button[type=submit]")
        wait_for(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, edit))
        second = get(home, "/api/v1/downstreams/second")
        assert second["env"] == {"MODE": "b"} and second["call_timeout_sec"] == 45
        assert second["args"] == [str(FIXTURE_SERVER)]
        wait_text(browser, "#server-overview", "call 45 s")
        click(browser, '[data-action="delete"]')
        click(browser, '[data-confirm="yes"]')
        wait_text(browser, "#server-action-error", "via-second")
        refused(browser, ("/api/v1/downstreams/", 409))
        screenshot(browser, "server-delete-conflict")
        click(browser, '[data-action="force-delete"]')
        wait_for(browser, lambda b: b.execute_script("return location.hash") == "#/servers")
        wait_visible(browser, row)
        assert [d["name"] for d in get(home, "/api/v1/downstreams")] == ["fixture"]
        assert get(home, "/api/v1/routes") == []
        narrow(browser, "servers")
        assert console_errors(browser) == []


# ---- auth scopes --------------------------------------------------------------------------------


def page_holds(browser: WebDriver, text: str) -> bool:
    """The text anywhere in the page: its markup or any field's current value."""
    if text in browser.page_source:
        return True
    script = "return [...document.querySelectorAll('input, textarea')].some((e) => e.value.includes(arguments[0]))"
    return bool(browser.execute_script(script, text))


def test_a_scopes_secret_values_never_appear_in_the_page(home: Home, browser: WebDriver) -> None:
    secret, replacement, extra = "s3cret-value-9041", "r3placed-value-7730", "extra-value-5521"
    with web_daemon(home):
        sign_in(browser, home, "scopes")
        form = "#scope-create"
        wait_visible(browser, f"{form} [name=name]")
        fill(browser, f"{form} [name=name]", "work")
        choose(browser, f"{form} [name=server_id]", text="fixture")
        fill(browser, f"{form} [name=env_vars]", f"FIXTURE_TOKEN={secret}")
        fill(browser, f"{form} [name=headers]", f"X-Token={extra}")
        click(browser, f"{form} button[type=submit]")
        row = '#scopes-table tr[data-name="work"]'
        wait_text(browser, row, "FIXTURE_TOKEN")
        assert "X-Token" in browser.find_element(By.CSS_SELECTOR, row).text
        scope = get(home, "/api/v1/auth-scopes/work")
        assert scope["env_vars"] == {"FIXTURE_TOKEN": "set"} and scope["headers"] == {"X-Token": "set"}
        assert not page_holds(browser, secret) and not page_holds(browser, extra)
        screenshot(browser, "scopes")

        # Edit: a new value for one key, a new key, an empty value keeps the header.
        click(browser, f'{row} [data-action="edit"]')
        edit = "#scope-edit-form"
        wait_visible(browser, edit)
        assert not page_holds(browser, secret)
        fill(browser, f'{edit} [name="env_vars.FIXTURE_TOKEN"]', replacement)
        fill(browser, f"{edit} textarea[name=env_vars]", "EXTRA=1")
        click(browser, f"{edit} button[type=submit]")
        wait_for(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, edit))
        scope = get(home, "/api/v1/auth-scopes/work")
        assert sorted(scope["env_keys"]) == ["EXTRA", "FIXTURE_TOKEN"] and scope["header_keys"] == ["X-Token"]
        assert not any(page_holds(browser, value) for value in (secret, replacement, extra))

        # Remove a key; an invalid new key is refused next to the text area.
        click(browser, f'{row} [data-action="edit"]')
        wait_visible(browser, edit)
        fill(browser, f"{edit} textarea[name=env_vars]", "bad key=1")
        click(browser, f"{edit} button[type=submit]")
        assert "invalid variable name" in field_error(browser, edit, "env_vars")
        refused(browser, ("/api/v1/auth-scopes/", 400))
        fill(browser, f"{edit} textarea[name=env_vars]", "")
        click(browser, f'{edit} .cfg-secret[data-key="EXTRA"] input[data-remove]')
        click(browser, f"{edit} button[type=submit]")
        wait_for(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, edit))
        assert get(home, "/api/v1/auth-scopes/work")["env_keys"] == ["FIXTURE_TOKEN"]

        assert not any(page_holds(browser, value) for value in (secret, replacement, extra))

        # Delete.
        click(browser, f"{row} .confirm button")
        click(browser, f'{row} [data-confirm="yes"]')
        wait_for(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, row))
        assert get(home, "/api/v1/auth-scopes") == []
        narrow(browser, "scopes")
        assert console_errors(browser) == []


# ---- settings -----------------------------------------------------------------------------------


def test_settings_save_changed_keys_show_errors_and_environment_overrides(
    home: Home, browser: WebDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUNCTION_READ_ONLY_CACHE_TTL_SEC", "9")
    with web_daemon(home):
        sign_in(browser, home, "settings")
        form = "#settings-form"
        wait_visible(browser, f"{form} [name=log_level]")
        # Every setting is there with its description, default and source.
        details = get(home, "/api/v1/settings")["details"]
        for detail in details:
            block = browser.find_element(By.CSS_SELECTOR, f'{form} [data-key="{detail["key"]}"]')
            assert detail["description"].split(" (")[0][1:] in block.text
            assert f"Source: {detail['source']}" in block.text
        # The environment's value wins and cannot be changed here.
        overridden = browser.find_element(By.CSS_SELECTOR, f"{form} [name=read_only_cache_ttl_sec]")
        assert overridden.get_property("disabled") is True and overridden.get_attribute("value") == "9"
        block = browser.find_element(By.CSS_SELECTOR, f'{form} [data-key="read_only_cache_ttl_sec"]')
        assert "JUNCTION_READ_ONLY_CACHE_TTL_SEC" in block.text and "Source: environment" in block.text
        screenshot(browser, "settings")

        # An invalid value: the API's error next to the field, and nothing saved.
        choose(browser, f"{form} [name=log_level]", value="debug")
        fill(browser, f"{form} [name=audit_retention_days]", "-3")
        click(browser, f"{form} button[type=submit]")
        assert "audit_retention_days" in field_error(browser, form, "audit_retention_days")
        refused(browser, ("/api/v1/settings", 400))
        assert get(home, "/api/v1/settings")["settings"]["log_level"] == "info"
        screenshot(browser, "settings-error")

        # Saving sends the changed keys only.
        fill(browser, f"{form} [name=audit_retention_days]", "14")
        click(browser, f"{form} button[type=submit]")
        saved = wait_text(browser, ".cfg-status", "Saved").text
        assert "log_level" in saved and "audit_retention_days" in saved and "approval_timeout_sec" not in saved
        current = get(home, "/api/v1/settings")
        assert current["settings"]["log_level"] == "debug" and current["settings"]["audit_retention_days"] == 14
        sources = {d["key"]: d["source"] for d in current["details"]}
        assert sources["log_level"] == "database" and sources["approval_timeout_sec"] == "default"
        assert sources["read_only_cache_ttl_sec"] == "environment"
        wait_text(browser, f'{form} [data-key="log_level"]', "Source: database")

        click(browser, f"{form} button[type=submit]")
        wait_text(browser, ".cfg-status", "Nothing changed")
        narrow(browser, "settings")
        assert console_errors(browser) == []
