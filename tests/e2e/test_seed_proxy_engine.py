"""MCP Proxy Engine's API (shared/api/mcp-proxy-engine-api.md) served by a live daemon with real
downstreams: the seed's own Python and JavaScript clients (its examples, rewritten as test code)
and every field it documents, in its shapes and error envelope.

Names: a server's `name` is Junction's server name; a tool's `name` is its client-visible
`namespace__tool`, the name `/tools/call` takes."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness import CALL_TIMEOUT, PYTHON, START_TIMEOUT, Home, api, eventually, serve

pytestmark = pytest.mark.anyio

FAULTY = Path(__file__).resolve().parent / "faulty_server.py"


class MCPProxyClient:
    """The seed's Python client example, as written there (with a timeout for a loaded machine)."""

    def __init__(self, base_url: str, token: str):
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get_proxy_status(self) -> Any:
        async with httpx.AsyncClient(timeout=CALL_TIMEOUT) as client:
            response = await client.get(f"{self.base_url}/admin/proxy-status", headers=self.headers)
            return response.json()

    async def call_proxy_tool(self, tool_name: str, arguments: dict[str, Any]) -> Any:
        async with httpx.AsyncClient(timeout=CALL_TIMEOUT) as client:
            response = await client.post(
                f"{self.base_url}/tools/call", headers=self.headers, json={"name": tool_name, "arguments": arguments}
            )
            return response.json()


# The seed's JavaScript client example, run by Node with the daemon's URL and key.
JS_CLIENT = """
class MCPProxyClient {
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl;
    this.headers = {
      'Authorization': `Bearer ${token}`,
      'Content-Type': 'application/json'
    };
  }

  async getProxyStatus() {
    const response = await fetch(`${this.baseUrl}/admin/proxy-status`, {
      headers: this.headers
    });
    return response.json();
  }

  async callProxyTool(toolName, args) {
    const response = await fetch(`${this.baseUrl}/tools/call`, {
      method: 'POST',
      headers: this.headers,
      body: JSON.stringify({ name: toolName, arguments: args })
    });
    return response.json();
  }
}

const client = new MCPProxyClient(process.argv[2], process.argv[3]);
const status = await client.getProxyStatus();
const result = await client.callProxyTool('fixture__echo', { text: 'NYC' });
console.log(JSON.stringify({ status, result }));
"""


def url(home: Home) -> str:
    info = home.daemon_info()
    assert info is not None
    return str(info["url"])


def headers(home: Home) -> dict[str, str]:
    return {"Authorization": f"Bearer {home.api_key()}"}


def get(home: Home, path: str, **params: Any) -> httpx.Response:
    return httpx.get(url(home) + path, headers=headers(home), params=params, timeout=CALL_TIMEOUT)


def post(home: Home, path: str, body: Any = None, **params: Any) -> httpx.Response:
    return httpx.post(url(home) + path, headers=headers(home), json=body, params=params, timeout=2 * CALL_TIMEOUT)


def timestamp(value: Any) -> datetime:
    assert isinstance(value, str), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def stop(daemon: Any) -> None:
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=START_TIMEOUT)


def proxy_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The seed's error envelope with this status and code."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"type", "code", "message", "details", "timestamp"}
    assert error["type"] == "ProxyError"
    assert error["code"] == code
    timestamp(error["timestamp"])
    return error


async def test_the_seeds_python_and_javascript_clients(home: Home) -> None:
    daemon = serve(home)
    try:
        client = MCPProxyClient(url(home), home.api_key())
        status = await client.get_proxy_status()
        assert set(status) == {
            "status", "initialized", "servers_configured", "servers_connected", "tools_discovered", "uptime_seconds",
        }  # fmt: skip
        assert status["status"] == "running" and status["initialized"] is True
        assert status["servers_configured"] == 1
        assert isinstance(status["uptime_seconds"], float)

        result = await client.call_proxy_tool("fixture__echo", {"text": "NYC"})
        assert result["success"] is True
        assert result["result"]["content"][0]["text"] == "NYC"
        metadata = result["metadata"]
        assert metadata["tool_name"] == "fixture__echo"
        assert metadata["server_name"] == "fixture"
        assert metadata["execution_time_ms"] >= 0
        assert metadata["cache_hit"] is False and metadata["approval_id"] is None
        assert metadata["proxy_metadata"] == {"proxy_version": "1.0", "server_type": "stdio", "original_tool": "echo"}

        status = await client.get_proxy_status()
        assert status["servers_connected"] == 1
        assert status["tools_discovered"] >= 10

        node = subprocess.run(
            ["node", "--input-type=module", "-", url(home), home.api_key()], input=JS_CLIENT, capture_output=True,
            text=True, timeout=2 * CALL_TIMEOUT,
        )  # fmt: skip
        assert node.returncode == 0, node.stderr
        answer = json.loads(node.stdout)
        assert answer["status"]["status"] == "running"
        assert answer["result"]["success"] is True
        assert answer["result"]["result"]["content"][0]["text"] == "NYC"

        # REST calls are audited like MCP calls, under their client's name.
        def audited() -> list[dict[str, Any]]:
            rows = [row for row in home.audit_rows() if row["tool_name"] == "fixture__echo"]
            assert len(rows) == 2
            return rows

        rows = await eventually(audited)
        assert {row["status"] for row in rows} == {"ok"}
        assert {row["client_name"] for row in rows} == {"rest-api"}
    finally:
        stop(daemon)


async def test_servers_and_tools_with_statistics_and_filters(home: Home) -> None:
    home.add_fixture("other")
    daemon = serve(home)
    try:
        assert post(home, "/tools/call", {"name": "fixture__add", "arguments": {"a": 2, "b": 40}}).json()["success"]
        failed = post(home, "/tools/call", {"name": "fixture__fail", "arguments": {"message": "boom"}})
        assert failed.status_code == 200
        assert failed.json()["success"] is False and failed.json()["result"]["isError"] is True

        def statistics() -> dict[str, Any]:
            detail = get(home, "/admin/servers/fixture").json()
            assert detail["statistics"]["total_calls"] == 2
            return detail

        detail = await eventually(statistics)
        listed = get(home, "/admin/servers")
        assert listed.status_code == 200
        servers = {server["name"]: server for server in listed.json()["servers"]}
        fixture = servers["fixture"]
        assert set(fixture) == {
            "name", "enabled", "connected", "type", "url", "command", "tools_count", "last_health_check",
            "connection_status", "error_count", "last_error",
        }  # fmt: skip
        assert fixture["enabled"] is True and fixture["connected"] is True
        assert fixture["type"] == "stdio" and fixture["command"] == PYTHON and fixture["url"] is None
        assert fixture["tools_count"] >= 10
        assert fixture["connection_status"] == "healthy"
        timestamp(fixture["last_health_check"])

        assert detail["server_info"]["name"] == "junction-fixture"
        assert detail["server_info"]["version"]
        assert detail["server_info"]["protocol_version"]
        assert {"name": "fixture__echo", "description": "Return text unchanged.", "proxy_name": "fixture__echo",
                "original_name": "echo"} in detail["tools"]  # fmt: skip
        assert detail["statistics"]["successful_calls"] == 1
        assert detail["statistics"]["failed_calls"] == 1
        assert detail["statistics"]["average_response_time_ms"] >= 0
        timestamp(detail["statistics"]["last_call"])
        assert detail["error_count"] == 1
        details = detail["connection_details"]
        assert details["health_status"] == "healthy"
        timestamp(details["connected_at"])
        timestamp(details["last_health_check"])
        proxy_error(get(home, "/admin/servers/nope"), 404, "SERVER_NOT_FOUND")

        everything = get(home, "/tools/proxy").json()
        assert everything["servers_represented"] == 2
        assert everything["total_count"] == len(everything["tools"])
        only = get(home, "/tools/proxy", server="fixture").json()
        assert only["servers_represented"] == 1 and 2 * only["total_count"] == everything["total_count"]
        prefixed = get(home, "/tools/proxy", prefix="fixture__ec").json()
        assert [tool["name"] for tool in prefixed["tools"]] == ["fixture__echo"]
        echo = prefixed["tools"][0]
        assert echo["server_name"] == "fixture" and echo["original_name"] == "echo"
        assert echo["enabled"] is True
        assert echo["schema"]["properties"]["text"]["type"] == "string"
        assert set(echo["proxy_metadata"]) == {"created_at", "server_type", "proxy_version"}

        status, _ = api(home, "PUT", "/api/v1/downstreams/other", body={"enabled": False})
        assert status == 200
        disabled = get(home, "/tools/proxy", enabled="false").json()
        assert {tool["server_name"] for tool in disabled["tools"]} == {"other"}
        enabled = get(home, "/tools/proxy", enabled="true").json()
        assert {tool["server_name"] for tool in enabled["tools"]} == {"fixture"}
        proxy_error(get(home, "/tools/proxy", enabled="maybe"), 400, "INVALID_PARAMETERS")

        add = get(home, "/tools/proxy/fixture__add").json()
        assert add["proxy_metadata"]["call_count"] == 1
        assert isinstance(add["proxy_metadata"]["last_called"], float)
        assert add["parameter_info"]["a"] == {"type": "int", "required": True}
        proxy_error(get(home, "/tools/proxy/fixture__nothing"), 404, "TOOL_NOT_FOUND")

        stats = get(home, "/admin/proxy-stats").json()
        assert stats["servers_configured"] == 2
        assert stats["tools_discovered"] == everything["total_count"]
        assert stats["proxy_functions_generated"] == stats["tools_registered"] == enabled["total_count"]
        assert stats["conflicts_detected"] == 0
        generation = stats["generation_stats"]
        assert generation["functions_by_server"] == {"fixture": enabled["total_count"]}
        assert generation["servers_represented"] == 1
        assert generation["oldest_function"] <= generation["newest_function"]

        metrics = get(home, "/metrics/proxy").json()
        assert metrics["call_metrics"]["total_calls"] == 2
        assert metrics["call_metrics"]["successful_calls"] == 1
        assert metrics["call_metrics"]["failed_calls"] == 1
        assert metrics["call_metrics"]["error_rate_percent"] == 50.0
        assert metrics["server_metrics"]["fixture"]["calls"] == 2
        assert metrics["server_metrics"]["fixture"]["success_rate"] == 50.0
        timestamp(metrics["server_metrics"]["fixture"]["last_error"])
        assert metrics["engine_metrics"]["servers_connected"] == 1
    finally:
        stop(daemon)


async def test_calls_are_routed_denied_approved_and_cached_like_mcp_calls(home: Home) -> None:
    home.add_route("--workspace", "A", "--tool", "fixture__add", "--policy", "deny")
    home.add_route("--workspace", "A", "--tool", "fixture__echo", "--policy", "approve")
    daemon = serve(home)
    try:
        status, _ = api(home, "PUT", "/api/v1/settings", body={"read_only_cache_ttl_sec": 300})
        assert status == 200
        # Outside workspace A the rules do not apply.
        assert post(home, "/tools/call", {"name": "fixture__add", "arguments": {"a": 1, "b": 2}}).json()["success"]
        denied = post(home, "/tools/call", {"name": "fixture__add", "arguments": {"a": 1, "b": 2}, "workspace": "A"})
        assert "denied" in proxy_error(denied, 403, "POLICY_DENIED")["message"]
        proxy_error(post(home, "/tools/call", {"name": "fixture__add", "workspace": "Z"}), 404, "WORKSPACE_NOT_FOUND")
        proxy_error(post(home, "/tools/call", {"name": "fixture__nothing"}), 404, "TOOL_NOT_FOUND")
        proxy_error(post(home, "/tools/call", {"name": "fixture__add", "arguments": [1]}), 400, "INVALID_PARAMETERS")
        proxy_error(post(home, "/tools/call", {"arguments": {}}), 400, "INVALID_PARAMETERS")
        proxy_error(post(home, "/tools/call", {"name": "fixture__add", "timeout": -1}), 400, "INVALID_PARAMETERS")

        # Parked for approval longer than the caller waits: 202 with the approval's id; the call goes on.
        pending = post(home, "/tools/call", {"name": "fixture__echo", "arguments": {"text": "later"}}, workspace="A", timeout=0)
        assert pending.status_code == 202, pending.text
        body = pending.json()
        assert body["success"] is False and body["status"] == "pending_approval"
        approval_id = body["approval_id"]
        assert body["metadata"]["approval_id"] == approval_id
        status, approval = api(home, "GET", f"/api/v1/approvals/{approval_id}")
        assert status == 200 and approval["status"] == "pending" and approval["tool_name"] == "fixture__echo"
        status, _ = api(home, "POST", f"/api/v1/approvals/{approval_id}/resolve", body={"approved": True})
        assert status == 200

        def approved_call_audited() -> bool:
            rows = [row for row in home.audit_rows() if row["approval_id"] == approval_id]
            assert [row["status"] for row in rows] == ["ok"]
            return True

        await eventually(approved_call_audited)

        # Approved while the caller still waits: the answer itself.
        answers: list[httpx.Response] = []
        waiting = threading.Thread(
            target=lambda: answers.append(
                post(home, "/tools/call", {"name": "fixture__echo", "arguments": {"text": "now"}, "workspace": "A",
                                           "timeout": 2 * CALL_TIMEOUT})  # fmt: skip
            )
        )
        waiting.start()

        def parked() -> str:
            status, approvals = api(home, "GET", "/api/v1/approvals")
            assert status == 200 and approvals
            return str(approvals[0]["id"])

        second = await eventually(parked)
        status, _ = api(home, "POST", f"/api/v1/approvals/{second}/resolve", body={"approved": True})
        assert status == 200
        waiting.join(timeout=2 * CALL_TIMEOUT)
        assert answers and answers[0].status_code == 200, answers
        answered = answers[0].json()
        assert answered["success"] is True
        assert answered["result"]["content"][0]["text"] == "now"
        assert answered["metadata"]["approval_id"] == second

        # A read-only tool's result is reused, as for MCP clients.
        first = post(home, "/tools/call", {"name": "fixture__peek", "arguments": {}}).json()
        again = post(home, "/tools/call", {"name": "fixture__peek", "arguments": {}}).json()
        assert first["metadata"]["cache_hit"] is False
        assert again["metadata"]["cache_hit"] is True
        assert again["result"]["content"] == first["result"]["content"]
    finally:
        stop(daemon)


async def test_refresh_config_and_validation(home: Home) -> None:
    home.cli_json("server", "add", "broken", "--", PYTHON, str(FAULTY), "exit")
    daemon = serve(home)
    try:
        refreshed = post(home, "/admin/refresh-proxy-tools")
        assert refreshed.status_code == 200
        body = refreshed.json()
        assert set(body) == {"success", "tools_discovered", "tools_registered", "servers_refreshed", "refresh_time", "servers"}
        assert body["success"] is False
        assert body["servers_refreshed"] == 1
        outcomes = {server["name"]: server for server in body["servers"]}
        assert outcomes["fixture"]["success"] is True and outcomes["fixture"]["tools_discovered"] >= 10
        assert outcomes["fixture"]["error"] is None
        assert outcomes["broken"]["success"] is False and outcomes["broken"]["error"]
        assert body["tools_discovered"] == outcomes["fixture"]["tools_discovered"]
        assert body["refresh_time"] >= 0
        # A running server is listed again.
        again = {server["name"]: server for server in post(home, "/admin/refresh-proxy-tools").json()["servers"]}
        assert again["fixture"]["success"] is True
        metrics = get(home, "/metrics/proxy").json()["engine_metrics"]
        assert metrics["discovery_cycles"] >= 2
        assert metrics["last_discovery_duration_ms"] >= 0

        broken = {server["name"]: server for server in get(home, "/admin/servers").json()["servers"]}["broken"]
        assert broken["connected"] is False
        assert broken["connection_status"] == "failed"
        assert broken["error_count"] >= 1 and broken["last_error"]

        config = get(home, "/admin/proxy-config").json()
        assert config["version"] == "1.0"
        fixture = config["mcpServers"]["fixture"]
        assert fixture["enabled"] is True and fixture["type"] == "stdio" and fixture["command"] == PYTHON
        assert fixture["settings"]["timeout"] == 120 and fixture["settings"]["tool_prefix"] == "fixture__"
        assert set(config["global_settings"]) == {
            "max_concurrent_calls", "approval_timeout_sec", "startup_timeout_sec", "enable_timeline_logging",
        }  # fmt: skip

        # The seed's example document.
        example = {"version": "1.0", "mcpServers": {"test-server": {"enabled": True, "type": "stdio", "command": "/path/to/server"}}}
        validation = post(home, "/admin/validate-proxy-config", example).json()
        assert validation == {
            "valid": True, "errors": [], "servers_validated": 1,
            "warnings": ["Server 'test-server' has no timeout configured, using default (120 s)"],
        }  # fmt: skip
        wrong = {"mcpServers": {"bad name!": {"type": "stdio"}, "web": {"type": "sse", "url": "ftp://x", "timeout": 0}}}
        invalid = post(home, "/admin/validate-proxy-config", wrong).json()
        assert invalid["valid"] is False and invalid["servers_validated"] == 2
        assert len(invalid["errors"]) == 4, invalid["errors"]
        assert post(home, "/admin/validate-proxy-config", {}).json()["valid"] is False
        proxy_error(post(home, "/admin/validate-proxy-config", [1]), 400, "CONFIGURATION_ERROR")
        # The key is checked on these paths as on the admin API.
        assert httpx.get(url(home) + "/admin/proxy-config", timeout=CALL_TIMEOUT).status_code == 401
    finally:
        stop(daemon)
