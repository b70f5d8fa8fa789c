"""The web UI's sign-in of a URL server guarded by OAuth (FastMCP's in-memory provider): the
server page says it is not signed in, "Sign in" opens the provider in a new tab, the page turns
to signed in when the daemon's callback lands (live, over /events), a refresh failure shows what
to do, and "Sign out" revokes. No token ever appears in the page."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from harness import Home
from test_oauth import OAuthServer, expire_in_database, oauth_server  # noqa: F401 - the fixture
from web import console_errors, screenshot, sign_in, wait_for, wait_text, wait_visible, web_daemon


def test_a_url_server_is_signed_in_and_out_from_its_page(empty_home: Home, oauth_server: OAuthServer,
                                                         browser: WebDriver) -> None:  # fmt: skip
    home = empty_home
    home.cli("server", "add", "notes", "--url", oauth_server.url)
    home.cli("settings", "set", "oauth_refresh_check_sec", "1")
    with web_daemon(home):
        sign_in(browser, home, "servers/notes")
        wait_visible(browser, '#server-oauth[data-status="not_connected"]')
        page = browser.current_window_handle
        browser.find_element(By.CSS_SELECTOR, '[data-action="oauth-sign-in"]').click()
        # The provider opens in a new tab, auto-approves and sends it to the daemon's callback.
        wait_for(browser, lambda b: len(b.window_handles) == 2)
        tab = next(handle for handle in browser.window_handles if handle != page)
        browser.switch_to.window(tab)
        wait_text(browser, "h1", "Signed in", timeout=20)
        assert "/api/v1/oauth/callback" in browser.current_url
        browser.close()
        browser.switch_to.window(page)
        wait_visible(browser, '#server-oauth[data-status="connected"]', timeout=20)
        wait_visible(browser, '#oauth-scopes tr[data-scope="notes-oauth"] [data-state="valid"]')
        screenshot(browser, "oauth-signed-in")
        tokens = oauth_server.state()
        for token in tokens["access_tokens"] + tokens["refresh_tokens"]:
            assert token not in browser.page_source

        # The provider forgets every token and Junction's is due: the refresh fails, and the page
        # says what to do.
        oauth_server.post("/test/revoke-all")
        expire_in_database(home)
        wait_text(browser, "#oauth-error", "junction auth login notes", timeout=20)

        browser.find_element(By.CSS_SELECTOR, '[data-action="oauth-sign-out"]').click()
        wait_visible(browser, '#server-oauth[data-status="not_connected"]')
        assert console_errors(browser) == []
