"""OAuth as an MCP client (issue 16): `junction auth login` against real authorization servers,
with the browser step done by following the authorization redirect with an HTTP client.

FastMCP's in-memory OAuth provider guards a FastMCP server (oauth_server.py: protected resource
metadata, dynamic registration, PKCE, auto-approval, revocation, and test routes that expire or
forget its tokens). `oidc-provider-mock` is a pre-registered OpenID provider found by discovery.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import START_TIMEOUT, Home, api, call_error, gateway, junction_bin, serve, text_of
from sse import SSEStream

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not come up") from None
            time.sleep(0.1)


class OAuthServer:
    """The FastMCP server behind the in-memory OAuth provider, in a child process."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = self.base + "/mcp"
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "oauth_server.py"), str(self.port)],
            stdout=log.open("a"), stderr=subprocess.STDOUT,
        )
        wait_http(self.base + "/.well-known/oauth-authorization-server")

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.base + "/test/state", timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str) -> Any:
        request = urllib.request.Request(self.base + path, method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def oauth_server(empty_home: Home) -> Iterator[OAuthServer]:
    server = OAuthServer(empty_home.work / "oauth-server.log")
    try:
        yield server
    finally:
        server.stop()


class OIDCProvider:
    """oidc-provider-mock (a pre-registered OpenID provider) and a FastMCP server that trusts it."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.provider = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port)],
            stdout=log.open("a"), stderr=subprocess.STDOUT,
        )
        wait_http(self.issuer + "/.well-known/openid-configuration")
        self.mcp_port = free_port()
        self.url = f"http://127.0.0.1:{self.mcp_port}/mcp"
        self.server = subprocess.Popen(
            [sys.executable, str(HERE / "oidc_server.py"), str(self.mcp_port), self.issuer],
            stdout=log.open("a"), stderr=subprocess.STDOUT,
        )
        wait_http(f"http://127.0.0.1:{self.mcp_port}/.well-known/oauth-protected-resource/mcp")

    def stop(self) -> None:
        for proc in (self.server, self.provider):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def oidc(empty_home: Home) -> Iterator[OIDCProvider]:
    provider = OIDCProvider(empty_home.work / "oidc.log")
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def notes(empty_home: Home, oauth_server: OAuthServer) -> Home:
    """A home with the OAuth-guarded server added as `notes`."""
    empty_home.cli("server", "add", "notes", "--url", oauth_server.url)
    return empty_home


def start_login(home: Home, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Starts `junction auth login … --no-browser` and returns it with the URL it printed."""
    proc = subprocess.Popen(
        [str(junction_bin()), "auth", "login", *args, "--no-browser", "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **home.env()}, cwd=home.work,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http"):
        proc.kill()
        raise AssertionError(f"no authorization URL printed: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, line


def browse(url: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
    """What the user's browser does: follows redirects to the callback. Returns the final
    status, URL and page."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as response:
            return response.status, response.url, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.url, error.read().decode()


def finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, f"login failed ({proc.returncode}): {out}{err}"
    return out


def login(home: Home, server: str = "notes", *args: str) -> tuple[str, str]:
    proc, url = start_login(home, server, *args)
    status, landed, page = browse(url)
    assert status == 200, page
    return url, finish(proc)


def token_rows(home: Home) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home.path / "junction.db") as db:
        return db.execute(
            "SELECT auth_scope_id, access_token_sealed, refresh_token_sealed, expires_at, last_error FROM oauth_tokens"
        ).fetchall()


def database_bytes(home: Home) -> bytes:
    data = b""
    for suffix in ("", "-wal"):
        path = home.path / f"junction.db{suffix}"
        if path.exists():
            data += path.read_bytes()
    return data


def assert_sealed(home: Home, tokens: list[str]) -> None:
    data = database_bytes(home)
    assert tokens, "the authorization server issued no tokens"
    for token in tokens:
        assert token.encode() not in data, "a token is stored in plain text"


def expire_in_database(home: Home) -> None:
    """Makes Junction believe its token is past expiry (the sealed values stay as they are)."""
    with sqlite3.connect(home.path / "junction.db") as db:
        db.execute("UPDATE oauth_tokens SET expires_at = '2000-01-01 00:00:00.000', issued_at = '1999-12-31 23:00:00.000'")


def test_login_without_daemon_registers_uses_pkce_and_seals_tokens(notes: Home, oauth_server: OAuthServer) -> None:
    url, out = login(notes)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["resource"] == [oauth_server.url]
    redirect = query["redirect_uri"][0]
    assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/oauth/callback")
    assert "Signed in to notes (scope notes-oauth" in out

    state = oauth_server.state()
    assert len(state["clients"]) == 1 and len(state["access_tokens"]) == 1
    assert query["client_id"] == state["clients"]
    assert_sealed(notes, state["access_tokens"] + state["refresh_tokens"])

    status = notes.cli_json("auth", "status", "notes")
    assert status["status"] == "connected"
    [scope] = status["scopes"]
    assert scope["auth_scope_name"] == "notes-oauth" and scope["state"] == "valid" and scope["refreshable"]
    assert "access_token" not in json.dumps(status)
    providers = notes.cli_json("oauth-provider", "list")
    assert [p["registration"] for p in providers] == ["dynamic"]
    assert providers[0]["client_secret"] == "set"
    table = notes.cli("auth", "status").stdout
    assert "notes-oauth" in table and "valid" in table
    for token in state["access_tokens"]:
        assert token not in table


def test_a_forged_callback_is_refused_and_the_login_still_completes(notes: Home) -> None:
    proc, url = start_login(notes, "notes")
    redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["redirect_uri"][0]
    status, _, page = browse(redirect + "?code=stolen&state=forged")
    assert status == 400 and "state does not match" in page
    status, _, _ = browse(url)
    assert status == 200
    assert "Signed in to notes" in finish(proc)


def test_refresh_after_expiry_rotates_the_sealed_tokens(notes: Home, oauth_server: OAuthServer) -> None:
    proc = notes.cli("auth", "login", "notes", "--device", check=False)
    assert proc.returncode == 1 and "offers no device authorization" in proc.stderr
    login(notes)
    before = oauth_server.state()
    [(_, access, refresh, _, _)] = token_rows(notes)
    oauth_server.post("/test/expire")
    expire_in_database(notes)
    assert notes.cli_json("auth", "status", "notes")["scopes"][0]["state"] == "refreshable"

    out = notes.cli("auth", "refresh", "notes").stdout
    assert "Refreshed notes-oauth" in out
    after = oauth_server.state()
    assert set(after["access_tokens"]).isdisjoint(before["access_tokens"])
    [(_, new_access, new_refresh, expires, error)] = token_rows(notes)
    assert new_access != access and new_refresh != refresh and error is None
    assert expires > "2000"
    assert_sealed(notes, after["access_tokens"] + after["refresh_tokens"] + before["refresh_tokens"])
    assert notes.cli_json("auth", "status", "notes")["scopes"][0]["state"] == "valid"


def test_a_token_endpoint_answering_garbage_fails_clearly_and_loses_no_token(
    notes: Home, oauth_server: OAuthServer
) -> None:
    """A refresh answered by an HTML error page (a broken proxy) is a clear, retryable failure: the
    sealed refresh token is kept, and the next refresh, once the endpoint is mended, works."""
    login(notes)
    [(_, access, refresh, _, _)] = token_rows(notes)
    oauth_server.post("/test/spoil-token-endpoint?on=1")
    expire_in_database(notes)
    proc = notes.cli("auth", "refresh", "notes", check=False)
    assert proc.returncode != 0, proc.stdout
    assert "502" in proc.stderr, proc.stderr
    [(_, still_access, still_refresh, _, _)] = token_rows(notes)
    assert (still_access, still_refresh) == (access, refresh), "a failed refresh lost the tokens"
    assert notes.cli_json("auth", "status", "notes")["scopes"][0]["state"] == "refreshable"

    oauth_server.post("/test/spoil-token-endpoint?on=0")
    assert "Refreshed notes-oauth" in notes.cli("auth", "refresh", "notes").stdout
    assert notes.cli_json("auth", "status", "notes")["scopes"][0]["state"] == "valid"


def test_logout_revokes_at_the_server_and_deletes_the_tokens(notes: Home, oauth_server: OAuthServer) -> None:
    login(notes)
    assert oauth_server.state()["refresh_tokens"]
    out = notes.cli("auth", "logout", "notes").stdout
    assert "Signed out of notes (notes-oauth)" in out
    state = oauth_server.state()
    assert state["access_tokens"] == [] and state["refresh_tokens"] == []
    assert token_rows(notes) == []
    assert notes.cli_json("auth", "status", "notes")["status"] == "not_connected"
    assert "was not signed in" in notes.cli("auth", "logout", "notes").stdout


def test_a_configured_provider_found_by_openid_discovery_signs_in(empty_home: Home, oidc: OIDCProvider) -> None:
    home = empty_home
    home.cli("server", "add", "corp", "--url", oidc.url)
    added = home.cli_json("oauth-provider", "add", "corp-sso", "--issuer", oidc.issuer, "--client-id", "junction-test",
                          "--client-secret", "CORP_SECRET=corp-client-secret", "--oauth-scope", "openid",
                          "--oauth-scope", "email")
    assert added["auth_url"] == oidc.issuer + "/oauth2/authorize" and added["client_secret"] == "set"
    assert b"corp-client-secret" not in database_bytes(home)
    shown = home.cli("oauth-provider", "show", "corp-sso").stdout
    assert "(set)" in shown and "corp-client-secret" not in shown
    found = home.cli("oauth-provider", "discover", oidc.issuer).stdout
    assert oidc.issuer + "/oauth2/token" in found

    proc, url = start_login(home, "corp")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert url.startswith(oidc.issuer + "/oauth2/authorize?")
    assert query["client_id"] == ["junction-test"] and query["scope"] == ["openid email"]
    status, landed, page = browse(url, form={"sub": "alice@example.com"})
    assert status == 200 and "Signed in" in page, page
    assert "Signed in to corp (scope corp-oauth" in finish(proc)
    assert [p["name"] for p in home.cli_json("oauth-provider", "list")] == ["corp-sso"], "no client was registered"
    [scope] = home.cli_json("auth", "status", "corp")["scopes"]
    assert scope["provider"] == "corp-sso" and scope["registration"] == "manual" and scope["state"] == "valid"
    assert "openid" in scope["scopes"]
    proc = home.cli("oauth-provider", "rm", "corp-sso", check=False)
    assert proc.returncode == 1 and "corp-oauth" in proc.stderr
    expire_in_database(home)
    assert "Refreshed corp-oauth" in home.cli("auth", "refresh", "corp").stdout
    home.cli("auth", "logout", "corp")
    home.cli("oauth-provider", "rm", "corp-sso", check=False)


def test_bad_input_gets_clear_errors(empty_home: Home) -> None:
    empty_home.cli("server", "add", "local", "--", "true")
    proc = empty_home.cli("auth", "login", "local", "--no-browser", check=False)
    assert proc.returncode == 1 and "OAuth sign-in is for URL servers" in proc.stderr
    proc = empty_home.cli("auth", "login", "nope", "--no-browser", check=False)
    assert proc.returncode == 1 and "nope" in proc.stderr
    port = free_port()
    empty_home.cli("server", "add", "gone", "--url", f"http://127.0.0.1:{port}/mcp")
    proc = empty_home.cli("auth", "login", "gone", "--no-browser", check=False)
    assert proc.returncode == 1 and "cannot reach" in proc.stderr
    proc = empty_home.cli("auth", "refresh", "gone", check=False)
    assert proc.returncode == 1 and "junction auth login gone" in proc.stderr


def test_login_through_the_daemon_lands_on_its_callback_and_is_published(notes: Home, oauth_server: OAuthServer) -> None:
    daemon = serve(notes)
    try:
        info = notes.daemon_info()
        assert info is not None
        events = SSEStream(info["url"], "/events?types=oauth.connected", notes.api_key())
        proc, url = start_login(notes, "notes")
        redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["redirect_uri"][0]
        assert redirect == info["url"] + "/api/v1/oauth/callback"
        status, _, page = browse(url)
        assert status == 200 and "signed in to notes" in page
        assert "Signed in to notes" in finish(proc)
        event = events.until(lambda e: e.event == "oauth.connected")[-1]
        payload = event.json()
        assert payload["server_name"] == "notes" and payload["auth_scope_name"] == "notes-oauth"
        events.close()
        status, body = api(notes, "GET", "/api/v1/downstreams/notes/oauth-status")
        assert status == 200 and body["status"] == "connected" and body["sign_in"] == "connected"
        assert_sealed(notes, oauth_server.state()["access_tokens"])
        for token in oauth_server.state()["access_tokens"]:
            assert token not in json.dumps(body)

        # Signing out with the daemon running goes through it: it forgets the token it holds.
        revoked = SSEStream(info["url"], "/events?types=oauth.revoked", notes.api_key())
        assert "Signed out of notes (notes-oauth)" in notes.cli("auth", "logout", "notes").stdout
        assert revoked.until(lambda e: e.event == "oauth.revoked")[-1].json()["server_name"] == "notes"
        revoked.close()
        assert oauth_server.state()["access_tokens"] == [] and token_rows(notes) == []
    finally:
        notes.stop_daemon()
        daemon.wait(timeout=30)


def test_the_daemon_refreshes_due_tokens_and_reports_failures(notes: Home, oauth_server: OAuthServer) -> None:
    login(notes)
    notes.cli("settings", "set", "oauth_refresh_check_sec", "1")
    expire_in_database(notes)
    daemon = serve(notes)
    try:
        info = notes.daemon_info()
        assert info is not None
        events = SSEStream(info["url"], "/events?types=oauth.token_refreshed,oauth.refresh_failed&last_event_id=0", notes.api_key())
        refreshed = events.until(lambda e: e.event.startswith("oauth."))[-1]
        assert refreshed.event == "oauth.token_refreshed" and refreshed.json()["server_name"] == "notes"
        assert token_rows(notes)[0][3] > "2000"

        oauth_server.post("/test/revoke-all")
        expire_in_database(notes)
        failed = events.until(lambda e: e.event == "oauth.refresh_failed", timeout=30)[-1]
        reason = failed.json()["reason"]
        assert "invalid_grant" in reason and "junction auth login notes" in reason
        status, body = api(notes, "GET", "/api/v1/downstreams/notes/oauth-status")
        assert status == 200 and "junction auth login notes" in (body["error"] or "")
        events.close()
    finally:
        notes.stop_daemon()
        daemon.wait(timeout=30)


def test_rest_endpoints(notes: Home, oauth_server: OAuthServer) -> None:
    daemon = serve(notes)
    try:
        status, templates = api(notes, "GET", "/api/v1/oauth-templates")
        assert status == 200 and {"github", "google", "linear", "notion"} <= {t["id"] for t in templates}

        status, created = api(notes, "POST", "/api/v1/oauth-providers", body={
            "name": "gh", "template": "github", "client_id": "abc", "client_secret": "very-secret-value"})
        assert status == 201 and created["client_secret"] == "set" and created["auth_url"].startswith("https://github.com")
        assert b"very-secret-value" not in database_bytes(notes)
        status, updated = api(notes, "PUT", "/api/v1/oauth-providers/gh", body={"scopes": ["repo"]})
        assert status == 200 and updated["scopes"] == ["repo"] and updated["client_secret"] == "set"
        status, listed = api(notes, "GET", "/api/v1/oauth-providers")
        assert [p["name"] for p in listed] == ["gh"]
        status, error = api(notes, "POST", "/api/v1/oauth-providers", body={"name": "bad", "auth_url": "ftp://x",
                                                                           "token_url": "https://t", "client_id": "c"})
        assert status == 400 and error["field"] == "auth_url"
        assert api(notes, "DELETE", "/api/v1/oauth-providers/gh")[0] == 204
        assert api(notes, "GET", "/api/v1/oauth-providers/gh")[0] == 404

        status, found = api(notes, "POST", "/api/v1/oauth-providers/discover", body={"url": oauth_server.base})
        assert status == 200 and found["token_url"] == oauth_server.base + "/token"
        status, caps = api(notes, "GET", "/api/v1/downstreams/notes/oauth-capabilities")
        assert status == 200 and caps["requires_oauth"] and caps["registration"] == "dynamic" and caps["pkce_s256"]
        assert caps["resource"] == oauth_server.url

        status, started = api(notes, "POST", "/api/v1/downstreams/notes/oauth-setup", body={})
        assert status == 200 and started["authorization_url"].startswith(oauth_server.base + "/authorize")
        status, body = api(notes, "GET", "/api/v1/downstreams/notes/oauth-status")
        assert body["status"] == "pending" and body["state"] == started["state"]
        # The callback is public (no API key) and protected by state.
        info = notes.daemon_info()
        assert info is not None
        status, _, page = browse(info["url"] + "/api/v1/oauth/callback?code=x&state=forged")
        assert status == 400 and "state does not match" in page
        code, _, page = browse(started["authorization_url"])
        assert code == 200 and "signed in to notes" in page
        status, scopes = api(notes, "GET", "/api/v1/auth-scopes")
        [scope] = [s for s in scopes if s["kind"] == "oauth"]
        status, token = api(notes, "GET", f"/api/v1/auth-scopes/{scope['id']}/oauth/status")
        assert status == 200 and token["state"] == "valid"
        status, connected = api(notes, "POST", "/api/v1/downstreams/notes/connect")
        assert status == 200 and connected["status"] == "connected"
        status, again = api(notes, "GET", f"/api/v1/auth-scopes/{scope['id']}/oauth/authorize")
        assert status == 200 and again["auth_scope_name"] == "notes-oauth"
        status, revoked = api(notes, "POST", f"/api/v1/auth-scopes/{scope['id']}/oauth/revoke")
        assert status == 200 and revoked["revoked"] is True
        assert oauth_server.state()["refresh_tokens"] == []
        status, error = api(notes, "POST", "/api/v1/downstreams/notes/connect")
        assert status == 409 and "junction auth login notes" in error["error"]

        # Quick setup: a provider from a template, the scope, and the sign-in started, in one call.
        status, quick = api(notes, "POST", "/api/v1/auth-scopes/oauth-quick-setup", body={
            "provider_template": "github", "client_id": "Iv1.quick", "client_secret": "quick-secret-value",
            "server_id": "notes"})
        assert status == 200 and quick["provider"] == "notes-github"
        assert quick["authorization_url"].startswith("https://github.com/login/oauth/authorize?")
        assert "client_id=Iv1.quick" in quick["authorization_url"]
        status, provider = api(notes, "GET", "/api/v1/oauth-providers/notes-github")
        assert status == 200 and provider["client_secret"] == "set" and provider["registration"] == "manual"
        assert b"quick-secret-value" not in database_bytes(notes)
        status, error = api(notes, "POST", "/api/v1/auth-scopes/oauth-quick-setup", body={
            "provider_template": "nope", "client_id": "x", "server_id": "notes"})
        assert status == 400 and error["field"] == "template"
    finally:
        notes.stop_daemon()
        daemon.wait(timeout=30)


NO_TRANSPORT = "the HTTP downstream transport is not in this build"


async def run_calls(home: Home, oauth_server: OAuthServer) -> str | None:
    """The calls through Junction; returns why they could not run (no transport yet)."""
    async with gateway(home) as session:
        try:
            result = await session.call_tool("notes__whoami", {})
        except Exception as error:  # the SDK raises the gateway's JSON-RPC error
            if "not supported yet" in str(error):
                return NO_TRANSPORT
            raise
        text = text_of(result) if result.content else ""
        if "not supported yet" in text:
            return NO_TRANSPORT
        assert not result.is_error and text == "hello from behind OAuth"
        # The access token is revoked on the server side: the call is refreshed and retried
        # without the client noticing.
        oauth_server.post("/test/revoke-access")
        again = await session.call_tool("notes__whoami", {})
        assert not again.is_error and text_of(again) == "hello from behind OAuth"
        # The refresh token is gone too: a clear error naming the command to run.
        oauth_server.post("/test/revoke-all")
        assert "junction auth login notes" in await call_error(session, "notes__whoami")
    return None


@pytest.mark.anyio
async def test_calls_through_the_remote_server_use_the_token(notes: Home, oauth_server: OAuthServer) -> None:
    """Needs the HTTP downstream transport (another branch); skipped until it is there."""
    login(notes)
    skipped = await run_calls(notes, oauth_server)
    if skipped:
        pytest.skip(skipped)
