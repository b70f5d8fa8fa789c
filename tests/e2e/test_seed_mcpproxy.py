"""MCPProxy's REST API (its documented requests, replayed) against a real daemon with real
downstreams: the FastMCP fixture server and mcp-server-time, real calls through `junction stdio`
from the official Python MCP SDK, and every documented response field checked.

Also server quarantine end to end: with `quarantine_new_servers` on, a server added by the CLI
starts quarantined; its tools are hidden from tools/list, calls to them are refused with the
reason, `junction dry-run` says why, and `junction server approve` (or the REST endpoint)
releases it; each change is an activity record and a `servers.quarantine_changed` event.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from harness import EVENT_TIMEOUT, START_TIMEOUT, Home, Recorder, api, call_error, eventually, gateway, serve, text_of
from sse import SSEStream

pytestmark = pytest.mark.anyio

HEALTH_LEVELS = {"healthy", "degraded", "unhealthy"}
ADMIN_STATES = {"enabled", "disabled", "quarantined"}
ACTIONS = {"", "login", "restart", "enable", "approve", "view_logs"}


def ok(home: Home, method: str, path: str, body: Any = None) -> Any:
    """The `data` of a successful MCPProxy answer (`{"success": true, "data": ...}`)."""
    status, answer = api(home, method, path, body=body)
    assert status == 200, f"{method} {path}: {status} {answer}"
    assert answer["success"] is True, answer
    return answer["data"]


def raw(home: Home, path: str) -> tuple[int, str, str]:
    """A GET whose answer is not JSON: status, content type, text."""
    info = home.daemon_info()
    assert info is not None
    request = urllib.request.Request(info["url"] + path, headers={"X-API-Key": home.api_key()})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


def servers_by_name(home: Home) -> dict[str, dict[str, Any]]:
    return {server["name"]: server for server in ok(home, "GET", "/api/v1/servers")["servers"]}


def check_health(health: dict[str, Any]) -> None:
    assert health["level"] in HEALTH_LEVELS, health
    assert health["admin_state"] in ADMIN_STATES, health
    assert isinstance(health["summary"], str) and health["summary"], health
    assert health["action"] in ACTIONS, health
    assert "detail" not in health or isinstance(health["detail"], str), health


def stop(daemon: subprocess.Popen[str]) -> None:
    daemon.terminate()
    daemon.wait(timeout=START_TIMEOUT)


async def test_the_seed_requests_answer_with_every_documented_field(home: Home) -> None:
    home.add_time()
    home.add_scope("fixture-token", "fixture", FIXTURE_TOKEN="never-shown")
    home.add_route("--global", "--tool", "fixture__add", "--policy", "deny", "--name", "no-add")
    daemon = serve(home)
    try:
        started = datetime.now(timezone.utc) - timedelta(seconds=1)
        async with gateway(home, daemon=True) as session:
            assert text_of(await session.call_tool("fixture__echo", {"text": "hello"})) == "hello"
            assert "denied" in await call_error(session, "fixture__add", {"a": 1, "b": 2})
            assert not (await session.call_tool("time__get_current_time", {"timezone": "UTC"})).is_error

            # GET /api/v1/sessions: the live `junction stdio` session, once its three calls are
            # audited (the daemon writes audit records in batches).
            def live_session() -> Any:
                sessions = ok(home, "GET", "/api/v1/sessions")
                assert sessions["total"] == len(sessions["sessions"]) >= 1
                live = next(s for s in sessions["sessions"] if s["client_name"] == "junction-e2e")
                assert live["tool_call_count"] == 3, live
                return live

            live = await eventually(live_session)
            assert live["status"] == "active" and live["transport"] == "stdio"
            for key in ["id", "client_version", "protocol_version", "start_time", "last_activity"]:
                assert key in live, key
            assert ok(home, "GET", f"/api/v1/sessions/{live['id']}")["id"] == live["id"]
        session_id = live["id"]

        # GET /api/v1/status
        status, answer = api(home, "GET", "/api/v1/status")
        assert status == 200
        assert answer["status"] == "running"
        assert isinstance(answer["version"], str) and isinstance(answer["uptime"], int)
        assert answer["servers"]["total"] == 2
        assert answer["servers"]["connected"] == 2
        assert answer["servers"]["quarantined"] == 0
        assert answer["tools"]["total"] >= 3

        # GET /api/v1/servers
        servers = servers_by_name(home)
        assert set(servers) == {"fixture", "time"}
        for server in servers.values():
            assert server["protocol"] == "stdio"
            assert server["enabled"] is True and server["quarantined"] is False
            assert server["connected"] is True
            assert server["tool_count"] > 0
            check_health(server["health"])
            assert server["health"]["level"] == "healthy"
            assert server["health"]["summary"] == f"Connected ({server['tool_count']} tools)"

        # POST /api/v1/servers/{name}/disable|enable|quarantine|restart
        disabled = ok(home, "POST", "/api/v1/servers/time/disable")
        assert disabled["action"] == "disable"
        assert disabled["server"]["enabled"] is False and disabled["server"]["connected"] is False
        assert disabled["server"]["health"] | {"detail": None} == {
            "level": "unhealthy", "admin_state": "disabled", "summary": "Disabled", "action": "enable", "detail": None
        }  # fmt: skip
        assert ok(home, "POST", "/api/v1/servers/time/enable")["server"]["enabled"] is True
        quarantined = ok(home, "POST", "/api/v1/servers/time/quarantine", {"quarantined": True})["server"]
        assert quarantined["quarantined"] is True
        assert quarantined["health"]["admin_state"] == "quarantined"
        assert quarantined["health"]["action"] == "approve"
        released = ok(home, "POST", "/api/v1/servers/time/quarantine", {"quarantined": False})
        assert released["server"]["quarantined"] is False and released["action"] == "unquarantine"
        restarted = ok(home, "POST", "/api/v1/servers/time/restart")
        assert restarted["server"]["connected"] is True

        # GET /api/v1/servers/{name}/tools and /logs
        tools = ok(home, "GET", "/api/v1/servers/time/tools")
        names = {tool["name"] for tool in tools["tools"]}
        assert {"get_current_time", "convert_time"} <= names
        assert tools["total"] == len(tools["tools"])
        for tool in tools["tools"]:
            assert tool["server_name"] == "time" and tool["client_name"] == f"time__{tool['name']}"
            assert isinstance(tool["description"], str) and isinstance(tool["input_schema"], dict)
        logs = ok(home, "GET", "/api/v1/servers/fixture/logs?tail=20")
        assert isinstance(logs["logs"], list) and logs["count"] == len(logs["logs"]) <= 20

        # GET /api/v1/activity with the seed's filters
        page = ok(home, "GET", "/api/v1/activity")
        assert page["limit"] == 50 and page["offset"] == 0 and page["total"] >= 3
        for activity in page["activities"]:
            for key in ["id", "type", "server_name", "tool_name", "status", "duration_ms", "timestamp"]:
                assert key in activity, key
        calls = ok(home, "GET", "/api/v1/activity?type=tool_call&server=fixture&tool=echo")["activities"]
        assert len(calls) == 1
        echo = calls[0]
        assert echo["type"] == "tool_call" and echo["server_name"] == "fixture" and echo["tool_name"] == "echo"
        assert echo["status"] == "success" and isinstance(echo["duration_ms"], int)
        assert echo["session_id"] == session_id
        assert datetime.fromisoformat(echo["timestamp"].replace("Z", "+00:00")) >= started
        blocked = ok(home, "GET", "/api/v1/activity?status=blocked")["activities"]
        assert [(a["type"], a["tool_name"]) for a in blocked] == [("policy_decision", "add")]
        assert ok(home, "GET", "/api/v1/activity?type=policy_decision")["total"] == 1
        by_session = ok(home, "GET", f"/api/v1/activity?session_id={session_id}")
        assert by_session["total"] == 3
        window = f"start_time={started.strftime('%Y-%m-%dT%H:%M:%SZ')}&end_time=2999-01-01T00:00:00Z"
        assert ok(home, "GET", f"/api/v1/activity?type=tool_call&{window}")["total"] == 2
        assert ok(home, "GET", "/api/v1/activity?end_time=2000-01-01T00:00:00Z")["total"] == 0
        quarantine_changes = ok(home, "GET", "/api/v1/activity?type=quarantine_change&server=time")["activities"]
        assert [a["status"] for a in quarantine_changes] == ["success", "success"]
        server_changes = ok(home, "GET", "/api/v1/activity?type=server_change&server=time")["total"]
        assert server_changes >= 4, "added, disabled, enabled, restarted"
        assert ok(home, "GET", "/api/v1/activity?limit=1&offset=1")["activities"][0]["id"] == page["activities"][1]["id"]

        # GET /api/v1/activity/{id}: the arguments too
        detail = ok(home, "GET", f"/api/v1/activity/{echo['id']}")
        assert detail["arguments"] == {"text": "hello"}
        assert detail["detail"]["client_tool_name"] == "fixture__echo"

        # GET /api/v1/activity/export?format=json|csv
        status, content_type, text = raw(home, "/api/v1/activity/export?format=json&type=tool_call")
        assert status == 200 and content_type.startswith("application/x-ndjson")
        lines = [json.loads(line) for line in text.splitlines()]
        assert {line["tool_name"] for line in lines} == {"echo", "get_current_time"}
        status, content_type, text = raw(home, "/api/v1/activity/export?format=csv&status=blocked")
        assert status == 200 and content_type.startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(row["type"], row["server_name"], row["tool_name"]) for row in rows] == [
            ("policy_decision", "fixture", "add")
        ]

        # GET /api/v1/diagnostics, /info, /docker/status, /secrets
        diagnostics = ok(home, "GET", "/api/v1/diagnostics")
        assert diagnostics["total_issues"] == 0
        for key in ["upstream_errors", "oauth_required", "missing_secrets", "runtime_warnings"]:
            assert diagnostics[key] == [], key
        info = ok(home, "GET", "/api/v1/info")
        daemon_url = home.daemon_info()["url"]  # type: ignore[index]
        assert info["web_ui_url"] == daemon_url + "/"
        assert daemon_url.endswith(info["listen_addr"]) and info["endpoints"]["http"] == info["listen_addr"]
        assert info["endpoints"]["socket"] == str(home.path / "junction.sock")
        assert info["update"] is None and isinstance(info["version"], str)
        docker = ok(home, "GET", "/api/v1/docker/status")
        assert docker["available"] is False and docker["enabled"] is False
        assert "no isolation runtime is configured" in docker["message"]
        status, listing = api(home, "GET", "/api/v1/secrets")
        assert status == 200 and "never-shown" not in json.dumps(listing)
        secret = ok(home, "GET", "/api/v1/secrets/fixture-token")
        assert secret["env_keys"] == ["FIXTURE_TOKEN"] and secret["used_by"] == ["server:fixture"]

        # Bulk operations
        assert ok(home, "POST", "/api/v1/servers/disable_all")["succeeded"] == 2
        assert all(not s["enabled"] for s in servers_by_name(home).values())
        assert ok(home, "POST", "/api/v1/servers/enable_all")["succeeded"] == 2
        reconnected = ok(home, "POST", "/api/v1/servers/reconnect")
        assert {r["server"] for r in reconnected["results"]} == {"fixture", "time"}
        assert all(r["success"] for r in reconnected["results"])
        restarted_all = ok(home, "POST", "/api/v1/servers/restart_all")
        assert restarted_all["succeeded"] == 2 and restarted_all["failed"] == 0
        assert all(s["connected"] for s in servers_by_name(home).values())

        # Errors: {"error", "code"} with the right status
        status, error = api(home, "GET", "/api/v1/servers/nope/tools")
        assert status == 404 and set(error) >= {"error", "code"}
        status, error = api(home, "GET", "/api/v1/activity?status=maybe")
        assert status == 400 and error["field"] == "status"
        status, _ = api(home, "GET", "/api/v1/servers", key=None)
        assert status == 401
        # The native API is untouched.
        status, downstreams = api(home, "GET", "/api/v1/downstreams")
        assert status == 200 and {d["name"] for d in downstreams} == {"fixture", "time"}
    finally:
        stop(daemon)


async def test_a_quarantined_server_is_hidden_and_refused_until_approved(empty_home: Home) -> None:
    home = empty_home
    home.cli("settings", "set", "quarantine_new_servers", "true")
    added = home.add_fixture()
    assert added["quarantined"] is True
    home.add_time()
    home.cli("server", "approve", "time")
    daemon = serve(home)
    events = SSEStream(home.daemon_info()["url"], "/events", home.api_key())  # type: ignore[index]
    try:
        dry_run = home.cli("dry-run", "fixture__echo").stdout
        assert "decision:   deny" in dry_run
        assert "quarantined" in dry_run and "junction server approve fixture" in dry_run

        recorder = Recorder()
        async with gateway(home, daemon=True, recorder=recorder) as session:
            listed = {tool.name for tool in (await session.list_tools()).tools}
            assert not any(name.startswith("fixture__") for name in listed)
            assert any(name.startswith("time__") for name in listed)
            refusal = await call_error(session, "fixture__echo", {"text": "hi"})
            assert "quarantined" in refusal and "junction server approve fixture" in refusal

            health = servers_by_name(home)["fixture"]["health"]
            assert health["admin_state"] == "quarantined" and health["action"] == "approve"
            status, answer = api(home, "GET", "/api/v1/status")
            assert status == 200 and answer["servers"]["quarantined"] == 1

            seen = len(recorder.notifications)
            home.cli("server", "approve", "fixture")
            events.until(
                lambda e: e.event == "servers.quarantine_changed"
                and e.json() == {"server_id": added["id"], "server_name": "fixture", "quarantined": False}
            )
            await recorder.wait_for("notifications/tools/list_changed", timeout=EVENT_TIMEOUT, after=seen)
            assert "fixture__echo" in {tool.name for tool in (await session.list_tools()).tools}
            assert text_of(await session.call_tool("fixture__echo", {"text": "hi"})) == "hi"

            # Quarantined again through MCPProxy's endpoint: hidden and refused.
            seen = len(recorder.notifications)
            ok(home, "POST", "/api/v1/servers/fixture/quarantine")
            events.until(lambda e: e.event == "servers.quarantine_changed" and e.json()["quarantined"] is True)
            await recorder.wait_for("notifications/tools/list_changed", timeout=EVENT_TIMEOUT, after=seen)
            assert "fixture__echo" not in {tool.name for tool in (await session.list_tools()).tools}
            assert "quarantined" in await call_error(session, "fixture__echo", {"text": "again"})

        changes = ok(home, "GET", "/api/v1/activity?type=quarantine_change&server=fixture")["activities"]
        assert [c["method"] for c in reversed(changes)] == [
            "server/quarantined", "server/approved", "server/quarantined"
        ]
        assert ok(home, "GET", "/api/v1/activity?type=config_change")["activities"][-1]["tool_name"] == (
            "quarantine_new_servers"
        )
    finally:
        events.close()
        stop(daemon)

