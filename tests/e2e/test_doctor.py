"""`junction doctor` on a home broken in every way it checks, with real processes: it reports
each break on a line of its own with the fix, and exits non-zero; a healthy home passes."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from harness import Home, api, serve

pytestmark = pytest.mark.anyio


def client_sandbox(home: Home) -> dict[str, str]:
    """HOME and XDG_CONFIG_HOME of the test's own, so the doctor reads no real client's files."""
    user = home.work / "user"
    (user / ".config").mkdir(parents=True, exist_ok=True)
    return {"HOME": str(user), "XDG_CONFIG_HOME": str(user / ".config")}


def doctor(home: Home, env: dict[str, str], *args: str) -> tuple[int, str]:
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        proc = home.cli("doctor", "--server-timeout", "20", *args, check=False)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return proc.returncode, proc.stdout + proc.stderr


def break_oauth(home: Home) -> None:
    """An OAuth scope of the fixture server whose access token expired, with no refresh token."""
    con = sqlite3.connect(home.path / "junction.db", timeout=10)
    try:
        now = "2026-01-01 00:00:00.000"
        con.execute(
            "INSERT INTO oauth_providers (id, name, auth_url, token_url, client_id, created_at, updated_at) "
            "VALUES ('p1', 'idp', 'https://idp.invalid/auth', 'https://idp.invalid/token', 'c', ?, ?)", (now, now))
        server = con.execute("SELECT id FROM downstreams WHERE name = 'fixture'").fetchone()[0]
        con.execute(
            "INSERT INTO auth_scopes (id, name, downstream_id, kind, oauth_provider_id, created_at, updated_at) "
            "VALUES ('s1', 'fixture-login', ?, 'oauth', 'p1', ?, ?)", (server, now, now))
        con.execute(
            "INSERT INTO oauth_tokens (id, auth_scope_id, access_token_sealed, expires_at, created_at, updated_at) "
            "VALUES ('t1', 's1', x'00', '2000-01-01 00:00:00.000', ?, ?)", (now, now))
        con.commit()
    finally:
        con.close()


def test_doctor_reports_each_break_with_its_fix(home: Home) -> None:
    env = client_sandbox(home)
    # A server whose command does not exist, beside the working fixture server.
    home.cli("server", "add", "broken", "--", str(home.work / "no-such-server"))
    # A secret stored (so secret.key exists), then the key file and the home opened to everyone.
    home.add_scope("fixture-token", "fixture", FIXTURE_TOKEN="not-a-secret")
    os.chmod(home.path / "secret.key", 0o644)
    os.chmod(home.path, 0o755)
    # A socket file no daemon answers on.
    (home.path / "junction.sock").write_text("")
    # Claude Code configured with a junction that is not there.
    claude = Path(env["HOME"]) / ".claude.json"
    claude.write_text(json.dumps({"mcpServers": {"junction": {"command": str(home.work / "gone" / "junction"),
                                                              "args": ["stdio"]}}}))  # fmt: skip
    break_oauth(home)

    status, output = doctor(home, env)
    assert status != 0, output
    lines = output.splitlines()

    def line(*fragments: str) -> str:
        found = [text for text in lines if all(fragment in text for fragment in fragments)]
        assert found, f"no line with {fragments} in:\n{output}"
        return found[0]

    assert "chmod 700" in line("PROBLEM home:", "readable by other users")
    assert "chmod 600" in line("PROBLEM files:", "secret.key")
    assert "junction serve" in line("PROBLEM daemon:", "no daemon answers")
    assert "logs/broken.log" in line("PROBLEM server:", "'broken' does not start")
    line("ok", "server:", "'fixture' starts and lists")
    assert "junction install claude-code" in line("PROBLEM client:", "Claude Code", "not an executable file")
    assert "junction auth login fixture-login" in line("PROBLEM oauth:", "expired")
    assert "problem(s) found" in output

    status, text = doctor(home, env, "--json")
    report = json.loads(text[: text.rindex("}") + 1])
    assert status != 0 and report["healthy"] is False and report["problems"] >= 6


def test_doctor_passes_a_healthy_home_and_the_daemon_answers_the_same(home: Home) -> None:
    env = client_sandbox(home)
    status, output = doctor(home, env)
    assert status == 0, output
    assert "No problem found" in output

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        daemon = serve(home)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        status, body = api(home, "GET", "/api/v1/doctor")
        assert status == 200 and body["success"] is True
        report = body["data"]
        assert report["healthy"] is True, report
        checks = {(f["check"], f["status"]) for f in report["findings"]}
        assert ("daemon", "ok") in checks and ("server", "ok") in checks
        status, output = doctor(home, env)
        assert status == 0 and "the daemon answers" in output, output
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
