"""Health checks, the Proxy Engine's health and WebSocket event feed, rate limits and concurrency
caps, against a real daemon (`junction serve`) and real downstream processes.

The downstream is the gateway tests' stdlib-only fake (Tests/JunctionGatewayTests/Fixtures/
fake_server.py): its `hang` tool makes it stop answering (pings included) while it keeps running,
its `gate` tool holds a call open until a file exists, and FAKE_REQUEST_LOG records every request
it receives with its pid.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
import websockets
from websockets.asyncio.client import connect

from harness import (
    CALL_TIMEOUT,
    EVENT_TIMEOUT,
    PYTHON,
    REPO,
    START_TIMEOUT,
    Home,
    api,
    eventually,
    gateway,
    serve,
    text_of,
)

FAKE = REPO / "Tests" / "JunctionGatewayTests" / "Fixtures" / "fake_server.py"

pytestmark = pytest.mark.anyio


def add_fake(home: Home, name: str, *extra: str) -> Path:
    """A server running the fake, logging its requests; returns the log's path."""
    log = home.work / f"{name}-requests.jsonl"
    home.cli("server", "add", name, "--env", f"FAKE_REQUEST_LOG={log}", *extra, "--", PYTHON, str(FAKE))
    return log


def requests_in(log: Path, method: str, tool: str | None = None) -> list[dict[str, Any]]:
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = [json.loads(line) for line in lines if line.strip()]
    return [
        e for e in entries if e["method"] == method and (tool is None or (e.get("params") or {}).get("name") == tool)
    ]


@contextmanager
def served(home: Home) -> Iterator[None]:
    """`junction serve` for the duration of the block."""
    daemon = serve(home)
    try:
        yield
    finally:
        daemon.terminate()
        daemon.wait(timeout=START_TIMEOUT)


def daemon_url(home: Home) -> str:
    info = home.daemon_info()
    assert info is not None
    return str(info["url"])


def http_get(home: Home, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """GET with the home's key; the status, the headers and the JSON body."""
    request = urllib.request.Request(daemon_url(home) + path, headers={"X-API-Key": home.api_key(), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def server_status(home: Home, name: str) -> dict[str, Any]:
    status, server = api(home, "GET", f"/api/v1/downstreams/{name}")
    assert status == 200, server
    return server["status"]


# ------------------------------------------------------------------------------------------------
# Health checks


async def test_a_hung_server_is_found_by_the_health_checks_and_restarted(empty_home: Home) -> None:
    home = empty_home
    log = add_fake(home, "hung")
    add_fake(home, "calm")
    home.cli("settings", "set", "health_check_interval_sec", "1")
    home.cli("settings", "set", "health_check_timeout_sec", "1")
    home.cli("settings", "set", "health_check_failures", "2")
    with served(home):
        async with gateway(home, daemon=True) as session:
            assert "hanging" in text_of(await session.call_tool("hung__hang", {}))
            assert not (await session.call_tool("calm__echo", {"x": 1})).is_error
        first_pid = requests_in(log, "initialize")[0]["pid"]

        # Pings go unanswered: failing, then unhealthy, killed and started again by the pool.
        await eventually(lambda: server_status(home, "hung")["crashes"] >= 1, timeout=START_TIMEOUT)
        status = server_status(home, "hung")
        assert "health checks in a row" in status["last_error"]
        assert status["health"]["error_count"] >= 2

        def restarted() -> bool:
            pids = {entry["pid"] for entry in requests_in(log, "initialize")}
            current = server_status(home, "hung")
            return len(pids) == 2 and current["state"] == "running" and current["health"]["state"] == "healthy"

        await eventually(restarted, timeout=START_TIMEOUT)
        assert first_pid not in {e["pid"] for e in requests_in(log, "ping")[-1:]}
        health = server_status(home, "hung")["health"]
        assert health["last_result"] == "ok" and health["consecutive_failures"] == 0
        assert isinstance(health["response_time_ms"], int) and health["last_check"]

        # The Proxy Engine seed's health document, from the same checks.
        status_code, document = api(home, "GET", "/health/proxy")
        assert status_code == 200
        assert document["status"] == "healthy" and document["engine_status"] == "running"
        assert set(document["servers"]) == {"hung", "calm"}
        assert document["servers"]["hung"]["status"] == "healthy"
        assert document["servers"]["hung"]["error_count"] >= 2
        assert document["servers"]["calm"]["status"] == "healthy"
        assert document["overall_health"] == "healthy"
        assert api(home, "GET", "/health/proxy", key=None)[0] == 401

        # The CLI shows the same, over the daemon's socket.
        table = home.cli("server", "status").stdout
        assert "HEALTH" in table and "healthy" in table
        detail = home.cli("server", "status", "hung").stdout
        assert "health:" in detail and "failed checks" in detail
        listed = home.cli("server", "list").stdout
        assert "running" in listed and "healthy" in listed


async def test_health_checks_leave_idle_servers_stopped(empty_home: Home) -> None:
    home = empty_home
    log = add_fake(home, "idle", "--idle-timeout", "1")
    awake_log = add_fake(home, "awake", "--idle-timeout", "0")
    home.cli("settings", "set", "health_check_interval_sec", "1")
    with served(home):
        async with gateway(home, daemon=True) as session:
            assert not (await session.call_tool("idle__echo", {})).is_error
            assert not (await session.call_tool("awake__echo", {})).is_error
        # Checked every second, and still stopped as idle: a check is not a call.
        await eventually(lambda: server_status(home, "idle")["state"] == "stopped", timeout=START_TIMEOUT)
        assert requests_in(log, "ping"), "the idle server was checked while it ran"
        pings = len(requests_in(log, "ping"))
        # Three more rounds of checks reach the server that runs, none the stopped one, and none
        # starts it.
        rounds = len(requests_in(awake_log, "ping"))
        await eventually(lambda: len(requests_in(awake_log, "ping")) >= rounds + 3, timeout=START_TIMEOUT)
        assert len(requests_in(log, "ping")) == pings
        assert len(requests_in(log, "initialize")) == 1
        assert server_status(home, "idle")["state"] == "stopped"
        assert api(home, "GET", "/health/proxy")[1]["servers"]["idle"]["status"] == "stopped"


# ------------------------------------------------------------------------------------------------
# WebSocket events


async def test_websocket_events_arrive_while_calls_run(empty_home: Home) -> None:
    home = empty_home
    add_fake(home, "fake")
    with served(home):
        base = daemon_url(home).replace("http://", "ws://")
        async with connect(f"{base}/ws/proxy-events?apikey={home.api_key()}") as by_query, connect(
            f"{base}/ws/proxy-events", additional_headers={"X-API-Key": home.api_key()}
        ) as by_header:
            async with gateway(home, daemon=True) as session:
                for n in range(3):
                    assert not (await session.call_tool("fake__echo", {"n": n})).is_error

            for feed in (by_query, by_header):
                seen: list[dict[str, Any]] = []
                with anyio.fail_after(EVENT_TIMEOUT):
                    while sum(m["type"] == "tool_call_completed" for m in seen) < 3:
                        seen.append(json.loads(await feed.recv()))
                types = [m["type"] for m in seen]
                assert "server_connected" in types
                assert types.index("server_connected") < types.index("tool_call_started")
                assert "discovery_cycle_completed" in types and "tool_discovered" in types
                started = [m for m in seen if m["type"] == "tool_call_started"]
                completed = [m for m in seen if m["type"] == "tool_call_completed"]
                assert len(started) == 3
                assert {m["data"]["call_id"] for m in started} == {m["data"]["call_id"] for m in completed}
                for message in completed:
                    assert message["data"]["tool_name"] == "fake__echo"
                    assert message["data"]["server_name"] == "fake"
                    assert message["data"]["success"] is True
                    assert isinstance(message["data"]["duration_ms"], int)
                    assert message["timestamp"].endswith("Z")

            # Stopping the server is a disconnection.
            assert api(home, "POST", "/api/v1/downstreams/fake/stop")[0] == 200
            with anyio.fail_after(EVENT_TIMEOUT):
                while (message := json.loads(await by_query.recv()))["type"] != "server_disconnected":
                    pass
            assert message["data"]["server_name"] == "fake"

        # The same checks as the SSE feed: no key, a wrong key, another site's Origin. A refused
        # feed is closed before any event, its close code 4000 + the status the API would answer.
        for headers, code, reason in [
            ({}, 4401, "unauthorized"),
            ({"X-API-Key": "wrong"}, 4401, "unauthorized"),
            ({"X-API-Key": home.api_key(), "Origin": "http://evil.example"}, 4403, "forbidden_origin"),
        ]:
            async with connect(f"{base}/ws/proxy-events", additional_headers=headers) as refused:
                with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                    await refused.recv()
            assert closed.value.rcvd is not None, headers
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (code, reason), headers
        # A plain GET is told to upgrade.
        status, _, body = http_get(home, "/ws/proxy-events")
        assert status == 426 and body["code"] == "upgrade_required"


# ------------------------------------------------------------------------------------------------
# Rate limits and concurrency caps


async def test_a_burst_over_the_rate_limit_gets_429s_and_every_request_under_it_succeeds(empty_home: Home) -> None:
    home = empty_home
    add_fake(home, "fake")
    home.cli("settings", "set", "api_rate_limit_per_minute", "20")
    with served(home):
        answers = [http_get(home, "/api/v1/downstreams") for _ in range(20)]
        answers += [http_get(home, "/health/proxy") for _ in range(5)]
        for index, (status, headers, _) in enumerate(answers[:20]):
            assert status == 200, index
            assert headers["X-RateLimit-Limit"] == "20"
            assert headers["X-RateLimit-Remaining"] == str(19 - index)
            assert int(headers["X-RateLimit-Reset"]) > 0
        for status, headers, body in answers[20:]:
            assert status == 429
            assert body["code"] == "rate_limited" and "api_rate_limit_per_minute" in body["error"]
            assert 1 <= int(headers["Retry-After"]) <= 60
            assert headers["X-RateLimit-Remaining"] == "0"
            assert headers["X-RateLimit-Reset"] == answers[0][1]["X-RateLimit-Reset"]
        # The CLI, on the daemon's socket, is not limited.
        assert "fake" in home.cli("server", "status").stdout


async def test_calls_past_a_servers_cap_wait_in_line_and_past_the_line_fail_with_a_tool_error(
    empty_home: Home,
) -> None:
    home = empty_home
    log = add_fake(home, "capped", "--max-concurrent-calls", "2")
    home.cli("settings", "set", "max_queued_calls", "1")
    gate = home.work / "gate-open"
    with served(home):
        async with gateway(home, daemon=True) as session:
            results: dict[int, Any] = {}

            async def call(index: int) -> None:
                results[index] = await session.call_tool("capped__gate", {"path": str(gate)})

            async with anyio.create_task_group() as tasks:
                for index in range(5):
                    tasks.start_soon(call, index)
                # Two run, one waits, two are refused at once.
                refused = await eventually(lambda: [r for r in results.values() if r.is_error] if len(results) >= 2 else None)
                assert len(refused) == 2
                for result in refused:
                    text = result.content[0].text
                    assert "max_concurrent_calls" in text and "max_queued_calls" in text and "capped" in text
                # The server starts cold with these calls: bounded like a start, not an event.
                await eventually(lambda: len(requests_in(log, "tools/call", "gate")) == 2, timeout=START_TIMEOUT)
                status = server_status(home, "capped")
                assert status["state"] == "running"
                # The third waits: it has not reached the server.
                assert len(requests_in(log, "tools/call", "gate")) == 2
                gate.write_text("open")
            assert sorted(text_of(r) for r in results.values() if not r.is_error) == ["gate opened"] * 3
            assert len(requests_in(log, "tools/call", "gate")) == 3
            assert len(results) == 5
        capped = json.loads(home.cli("server", "show", "capped", "--json").stdout)
        assert capped["max_concurrent_calls"] == 2
        # The daemon still runs: its audit writer commits in batches, so wait for all five.
        audit = await eventually(
            lambda: rows if len(rows := [r for r in home.audit_rows() if r["tool_name"] == "capped__gate"]) == 5 else None
        )
        assert sorted(row["status"] for row in audit) == ["error", "error", "ok", "ok", "ok"]


def test_the_cap_is_set_by_the_cli_and_the_api(empty_home: Home) -> None:
    home = empty_home
    add_fake(home, "fake")
    assert json.loads(home.cli("server", "show", "fake", "--json").stdout)["max_concurrent_calls"] is None
    home.cli("server", "update", "fake", "--max-concurrent-calls", "3")
    assert json.loads(home.cli("server", "show", "fake", "--json").stdout)["max_concurrent_calls"] == 3
    bad = home.cli("server", "update", "fake", "--max-concurrent-calls", "-1", check=False)
    assert bad.returncode != 0
    with served(home):
        status, server = api(home, "PUT", "/api/v1/downstreams/fake", body={"max_concurrent_calls": 5})
        assert status == 200 and server["max_concurrent_calls"] == 5
        status, server = api(home, "PUT", "/api/v1/downstreams/fake", body={"max_concurrent_calls": None})
        assert status == 200 and server["max_concurrent_calls"] is None
        status, error = api(home, "PUT", "/api/v1/downstreams/fake", body={"max_concurrent_calls": 100001})
        assert status == 400 and error["field"] == "max_concurrent_calls"
        status, error = api(home, "PUT", "/api/v1/downstreams/fake", body={"max_concurrent_calls": "many"})
        assert status == 400
