"""Open MCP Gateway's API (shared/api/open-mcp-gateway-api.md) served by a live daemon with real
downstreams: the seed's own requests (its curl examples, rewritten as test code) at its paths, and
every field it documents, in its shapes.

The one deliberate difference: a wrong key is a 401 here (the seed answers 403); 403 is kept for a
Host or Origin that names another machine (docs/seed-apis.md)."""

from __future__ import annotations

import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from harness import PYTHON, START_TIMEOUT, Home, api, eventually, gateway, serve, text_of

pytestmark = pytest.mark.anyio

FAULTY = Path(__file__).resolve().parent / "faulty_server.py"


def url(home: Home) -> str:
    info = home.daemon_info()
    assert info is not None
    return str(info["url"])


def bearer(home: Home) -> dict[str, str]:
    """The seed's first way to send the key."""
    return {"Authorization": f"Bearer {home.api_key()}"}


def timestamp(value: Any) -> datetime:
    assert isinstance(value, str), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def stop(daemon: Any) -> None:
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=START_TIMEOUT)


async def test_health_is_open_and_stats_count_calls_per_server(home: Home) -> None:
    daemon = serve(home)
    try:
        base = url(home)
        # GET /health: always unprotected.
        health = requests.get(f"{base}/health", timeout=30)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}

        # GET /stats needs the key, as Bearer or X-API-Key.
        assert requests.get(f"{base}/stats", timeout=30).status_code == 401
        assert requests.get(f"{base}/stats", headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 401
        before = requests.get(f"{base}/stats", headers={"X-API-Key": home.api_key()}, timeout=30)
        assert before.status_code == 200
        stats = before.json()
        assert set(stats) == {"uptime_seconds", "total_requests", "active_servers", "total_servers", "last_reload", "servers"}
        assert isinstance(stats["uptime_seconds"], int) and stats["uptime_seconds"] >= 0
        assert stats["total_requests"] == 0
        assert stats["total_servers"] == 1
        assert stats["active_servers"] == 0
        timestamp(stats["last_reload"])
        assert stats["servers"]["fixture"] == {
            "status": "stopped", "request_count": 0, "uptime_seconds": None, "last_activity": None,
        }  # fmt: skip

        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            for word in ["one", "two"]:
                assert text_of(await session.call_tool("fixture__echo", {"text": word})) == word

            def counted() -> dict[str, Any]:
                answer = requests.get(f"{base}/stats", headers=bearer(home), timeout=30).json()
                assert answer["total_requests"] == 2
                return answer

            stats = await eventually(counted)
        assert stats["active_servers"] == 1
        fixture = stats["servers"]["fixture"]
        assert fixture["status"] == "running"
        assert fixture["request_count"] == 2
        assert isinstance(fixture["uptime_seconds"], int) and fixture["uptime_seconds"] >= 0
        assert timestamp(fixture["last_activity"]) >= timestamp(stats["last_reload"])
    finally:
        stop(daemon)


async def test_servers_in_the_seed_shape_filtered_by_tag(home: Home) -> None:
    home.add_fixture("other")
    daemon = serve(home)
    try:
        status, _ = api(home, "PUT", "/api/v1/downstreams/fixture", body={"tags": {"database": "", "env": "production"}})
        assert status == 200
        status, _ = api(home, "PUT", "/api/v1/downstreams/other", body={"tags": {"vcs": ""}})
        assert status == 200
        base = url(home)
        listed = requests.get(f"{base}/servers", headers=bearer(home), timeout=30)
        assert listed.status_code == 200
        servers = {server["id"]: server for server in listed.json()}
        assert set(servers) == {"fixture", "other"}
        fixture = servers["fixture"]
        assert set(fixture) >= {
            "id", "display_name", "description", "status", "tags", "runtime_type", "started_at", "last_activity",
            "request_count", "uptime_seconds",
        }  # fmt: skip
        assert fixture["display_name"] == "fixture"
        assert fixture["status"] == "stopped"
        assert fixture["tags"] == ["database", "env:production"]
        assert fixture["runtime_type"] == "local-process"
        assert fixture["request_count"] == 0

        # The seed's example: curl "http://localhost:4444/servers?tag=database"
        tagged = requests.get(f"{base}/servers?tag=database", headers=bearer(home), timeout=30).json()
        assert [server["id"] for server in tagged] == ["fixture"]
        assert [s["id"] for s in requests.get(f"{base}/servers?tag=env:production", headers=bearer(home), timeout=30).json()] == ["fixture"]
        assert requests.get(f"{base}/servers?tag=nothing", headers=bearer(home), timeout=30).json() == []
        # Tags filter the native API too.
        status, downstreams = api(home, "GET", "/api/v1/downstreams?tag=vcs")
        assert status == 200 and [d["name"] for d in downstreams] == ["other"]

        detail = requests.get(f"{base}/servers/fixture", headers=bearer(home), timeout=30)
        assert detail.status_code == 200
        server = detail.json()
        assert server["runtime"] == {
            "type": "local-process", "command": PYTHON, "args": [str(Path(__file__).resolve().parent / "fixture_server.py")],
            "url": None,
        }  # fmt: skip
        assert server["env"]["FIXTURE_LOG"] == str(home.fixture_log)
        assert server["connection_count"] == 0
        assert server["tags"] == ["database", "env:production"]

        missing = requests.get(f"{base}/servers/unknown", headers=bearer(home), timeout=30)
        assert missing.status_code == 404
        assert missing.json()["error"] == "Not Found"
        assert missing.json()["message"] == "Server 'unknown' not found"
    finally:
        stop(daemon)


async def test_start_and_stop_answer_in_the_seed_shape_and_a_failed_start_is_a_502(home: Home) -> None:
    home.cli_json("server", "add", "broken", "--", PYTHON, str(FAULTY), "exit")
    daemon = serve(home)
    try:
        base = url(home)
        started = requests.post(f"{base}/servers/fixture/start", headers=bearer(home), timeout=60)
        assert started.status_code == 200
        assert started.json() == {"id": "fixture", "status": "running", "message": "Server started successfully"}
        again = requests.post(f"{base}/servers/fixture/start", headers=bearer(home), timeout=60)
        assert again.status_code == 200
        assert again.json() == {"id": "fixture", "status": "running", "message": "Server already running"}

        server = requests.get(f"{base}/servers/fixture", headers=bearer(home), timeout=30).json()
        assert server["status"] == "running"
        assert server["connection_count"] == 1

        def started_at() -> str:
            value = requests.get(f"{base}/servers/fixture", headers=bearer(home), timeout=30).json()["started_at"]
            assert value is not None
            return value

        timestamp(await eventually(started_at))

        stopped = requests.post(f"{base}/servers/fixture/stop", headers=bearer(home), timeout=30)
        assert stopped.status_code == 200
        assert stopped.json() == {"id": "fixture", "status": "stopped", "message": "Server stopped successfully"}
        again = requests.post(f"{base}/servers/fixture/stop", headers=bearer(home), timeout=30)
        assert again.json() == {"id": "fixture", "status": "stopped", "message": "Server already stopped"}
        assert requests.get(f"{base}/servers/fixture", headers=bearer(home), timeout=30).json()["status"] == "stopped"

        failed = requests.post(f"{base}/servers/broken/start", headers=bearer(home), timeout=60)
        assert failed.status_code == 502
        assert failed.json()["error"] == "Bad Gateway"
        assert failed.json()["message"].startswith("Failed to start server: ")
        assert requests.post(f"{base}/servers/nope/start", headers=bearer(home), timeout=30).status_code == 404
    finally:
        stop(daemon)


async def test_reload_reports_the_servers_that_came_and_went(home: Home) -> None:
    daemon = serve(home)
    try:
        base = url(home)
        first = requests.post(f"{base}/admin/reload", headers=bearer(home), timeout=30)
        assert first.status_code == 200
        body = first.json()
        assert body["status"] == "ok" and body["message"] == "Catalog reloaded"
        assert (body["servers_loaded"], body["servers_added"], body["servers_removed"]) == (1, 0, 0)

        home.add_fixture("other")
        added = requests.post(f"{base}/admin/reload", headers=bearer(home), timeout=30).json()
        assert (added["servers_loaded"], added["servers_added"], added["servers_removed"]) == (2, 1, 0)
        assert added["added"] == ["other"]
        # What the engine routes by now: the new server's tools are there at once.
        assert [s["id"] for s in requests.get(f"{base}/servers", headers=bearer(home), timeout=30).json()] == [
            "fixture", "other",
        ]  # fmt: skip

        status, _ = api(home, "DELETE", "/api/v1/downstreams/other")
        assert status == 204
        removed = requests.post(f"{base}/admin/reload", headers=bearer(home), timeout=30).json()
        assert (removed["servers_loaded"], removed["servers_added"], removed["servers_removed"]) == (1, 0, 1)
        assert removed["removed"] == ["other"]
        stats = requests.get(f"{base}/stats", headers=bearer(home), timeout=30).json()
        assert stats["total_servers"] == 1
    finally:
        stop(daemon)


async def test_the_seeds_mcp_examples_reach_one_server(home: Home) -> None:
    """POST /mcp with `server_id` and POST /rpc with `X-Server-ID`, as the seed's examples send them."""
    daemon = serve(home)
    try:
        base = url(home)
        listed = requests.post(
            f"{base}/mcp", headers=bearer(home), timeout=60,
            json={"server_id": "fixture", "jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        )  # fmt: skip
        assert listed.status_code == 200
        assert listed.json()["id"] == 1
        assert "echo" in {tool["name"] for tool in listed.json()["result"]["tools"]}

        called = requests.post(
            f"{base}/mcp", headers=bearer(home), timeout=60,
            json={
                "server_id": "fixture", "jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "add", "arguments": {"a": 2, "b": 40}},
            },
        )  # fmt: skip
        assert called.status_code == 200
        assert called.json()["result"]["content"][0]["text"] == "42"

        rpc = requests.post(
            f"{base}/rpc", headers=bearer(home) | {"X-Server-ID": "fixture"}, timeout=60,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        )  # fmt: skip
        assert rpc.status_code == 200
        assert "add" in {tool["name"] for tool in rpc.json()["result"]["tools"]}

        def counted() -> bool:
            stats = requests.get(f"{base}/stats", headers=bearer(home), timeout=30).json()
            assert stats["servers"]["fixture"]["request_count"] == 1
            return True

        await eventually(counted)
    finally:
        stop(daemon)

