"""MCP over HTTP at the daemon's /mcp: the official Python SDK's streamable HTTP client in the
handshake era (2025-06-18, 2025-11-25) and in 2026-07-28 stateless mode, against `junction serve`
with the fixture server behind it. Also the seeds' shapes (`/mcp?server_id=`, `/rpc`), client keys,
limits, bad input (each a clear 4xx, nothing else disturbed), `install --http`, and mcp-proxy
bridging stdio to /mcp as a second real client."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client import Client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

import harness
from harness import CALL_TIMEOUT, START_TIMEOUT, Home, api, eventually, serve, text_of

pytestmark = pytest.mark.anyio

MODERN = "2026-07-28"
META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CLIENT = "io.modelcontextprotocol/clientInfo"
META_CAPS = "io.modelcontextprotocol/clientCapabilities"
REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def daemon(home: Home) -> Iterator[Home]:
    """`home` (fixture server, workspaces A and B) with `junction serve` running."""
    proc = serve(home)
    try:
        yield home
    finally:
        proc.terminate()
        proc.wait(timeout=START_TIMEOUT)


def mcp_url(home: Home, query: str = "") -> str:
    info = home.daemon_info()
    assert info is not None
    return info["url"] + "/mcp" + query


@asynccontextmanager
async def connect(
    home: Home,
    *,
    mode: str = "legacy",
    key: str | None = None,
    query: str = "",
    sampling: Any = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Client]:
    """An SDK Client on Junction's /mcp (streamable HTTP), with the API key or a client key."""
    http = httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {key or home.api_key()}", **(headers or {})},
        timeout=httpx2.Timeout(CALL_TIMEOUT, read=300),
    )
    async with http:
        client = Client(
            streamable_http_client(mcp_url(home, query), http_client=http),
            mode=mode,  # type: ignore[arg-type]
            read_timeout_seconds=CALL_TIMEOUT,
            sampling_callback=sampling,
            client_info=types.Implementation(name="junction-e2e-http", version="1.0"),
            cache=None,
        )
        with harness.unwrap_lone_exception():
            async with client:
                yield client


def raw(home: Home, method: str, path: str = "/mcp", *, body: Any = None, data: bytes | None = None,
        headers: dict[str, str] | None = None, key: str | None = "") -> httpx2.Response:  # fmt: skip
    """One plain HTTP request (no SDK), for the shapes and the refusals."""
    info = home.daemon_info()
    assert info is not None
    sent = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if key == "":
        key = home.api_key()
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    sent.update(headers or {})
    content = data if data is not None else (json.dumps(body).encode() if body is not None else None)
    with httpx2.Client(timeout=CALL_TIMEOUT) as client:
        return client.request(method, info["url"] + path, content=content, headers=sent)


def initialize(home: Home, version: str = "2025-11-25", **kwargs: Any) -> tuple[str, dict[str, Any]]:
    response = raw(
        home, "POST",
        body={"jsonrpc": "2.0", "id": 0, "method": "initialize",
              "params": {"protocolVersion": version, "capabilities": {},
                         "clientInfo": {"name": "raw", "version": "1"}}},
        **kwargs,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.headers["mcp-session-id"], response.json()


def sse_messages(text: str) -> list[dict[str, Any]]:
    """The JSON-RPC messages of an SSE body."""
    return [json.loads(line[5:].strip()) for line in text.splitlines() if line.startswith("data:")]


# ----- the handshake era through the SDK


async def test_sdk_lists_and_calls_tools_over_http(daemon: Home) -> None:
    async with connect(daemon) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert {"fixture__echo", "fixture__add", "fixture__slow"} <= tools
        assert text_of(await client.call_tool("fixture__echo", {"text": "héllo over http"})) == "héllo over http"
        assert text_of(await client.call_tool("fixture__add", {"a": 2, "b": 40})) == "42"
    rows = await eventually(lambda: [r for r in daemon.audit_rows() if r["tool_name"] == "fixture__add"])
    assert rows[0]["status"] == "ok"
    status, sessions = api(daemon, "GET", "/api/v1/dashboard")
    assert status == 200


@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18", "2025-11-25"])
def test_initialize_answers_each_handshake_version(daemon: Home, version: str) -> None:
    session, answer = initialize(daemon, version)
    assert answer["result"]["protocolVersion"] == version
    headers = {"Mcp-Session-Id": session, "MCP-Protocol-Version": version}
    assert raw(daemon, "POST", body={"jsonrpc": "2.0", "method": "notifications/initialized"},
               headers=headers).status_code == 202  # fmt: skip
    listed = raw(daemon, "POST", body={"jsonrpc": "2.0", "id": "a-string-id", "method": "tools/list"}, headers=headers)
    assert listed.status_code == 200
    assert listed.headers["content-type"].startswith("application/json")
    body = listed.json()
    assert body["id"] == "a-string-id"
    assert "fixture__echo" in {tool["name"] for tool in body["result"]["tools"]}
    assert raw(daemon, "DELETE", headers=headers).status_code == 204
    after = raw(daemon, "POST", body={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=headers)
    assert after.status_code == 404


def test_batches_only_in_2025_03_26(daemon: Home) -> None:
    old, _ = initialize(daemon, "2025-03-26")
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "id": 2.5, "method": "ping"}]
    answered = raw(daemon, "POST", body=batch, headers={"Mcp-Session-Id": old})
    assert answered.status_code == 200
    assert sorted(str(m["id"]) for m in answered.json()) == ["1", "2.5"]
    new, _ = initialize(daemon, "2025-11-25")
    refused = raw(daemon, "POST", body=batch, headers={"Mcp-Session-Id": new})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == -32600


async def test_progress_and_cancellation(daemon: Home) -> None:
    updates: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append(progress)

    async with connect(daemon) as client:
        result = await client.call_tool("fixture__slow", {"seconds": 0.5}, progress_callback=on_progress)
        assert text_of(result) == "slept 0.5"
        assert updates and updates == sorted(updates), updates
        with anyio.move_on_after(1.0) as scope:
            await client.call_tool("fixture__slow", {"seconds": 20})
        assert scope.cancelled_caught
        await eventually(lambda: "cancelled slow" in daemon.fixture_events())
        assert text_of(await client.call_tool("fixture__echo", {"text": "after"})) == "after"


async def test_an_approval_parks_the_call_until_resolved_over_rest(daemon: Home) -> None:
    daemon.add_route("--workspace", "A", "--tool", "fixture__echo", "--policy", "approve", "--name", "ask")
    async with connect(daemon, query="?workspace=A") as client:
        outcome: dict[str, Any] = {}

        async def parked() -> None:
            outcome["result"] = await client.call_tool("fixture__echo", {"text": "ship it"})

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(parked)

            def waiting() -> Any:
                status, body = api(daemon, "GET", "/api/v1/approvals")
                return next((a for a in body if a["tool_name"] == "fixture__echo"), None) if status == 200 else None

            approval = await eventually(waiting)
            assert approval["workspace_name"] == "A"
            # Not blocked: another call completes meanwhile.
            assert text_of(await client.call_tool("fixture__add", {"a": 1, "b": 1})) == "2"
            assert "result" not in outcome
            status, _ = api(daemon, "POST", f"/api/v1/approvals/{approval['id']}/resolve", body={"approved": True})
            assert status == 200
        assert text_of(outcome["result"]) == "ship it"


async def test_sampling_is_relayed_from_a_per_session_server(daemon: Home) -> None:
    daemon.add_fixture("fx", "--instance", "per-session")

    async def sampling(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="sampled over http"), model="fake"
        )

    async with connect(daemon, sampling=sampling) as client:
        assert text_of(await client.call_tool("fx__ask_llm", {"prompt": "hi"})) == "sampled over http"


async def test_fifty_concurrent_calls_on_one_session(daemon: Home) -> None:
    async with connect(daemon) as client:
        results: dict[int, str] = {}

        async def call(n: int) -> None:
            results[n] = text_of(await client.call_tool("fixture__add", {"a": n, "b": 1000}))

        started = time.monotonic()
        async with anyio.create_task_group() as tasks:
            for n in range(50):
                tasks.start_soon(call, n)
        assert results == {n: str(n + 1000) for n in range(50)}
        assert time.monotonic() - started < CALL_TIMEOUT


async def test_twenty_sessions_at_once(daemon: Home) -> None:
    answers: dict[int, str] = {}

    async def one(n: int) -> None:
        async with connect(daemon) as client:
            answers[n] = text_of(await client.call_tool("fixture__echo", {"text": f"session {n}"}))

    async with anyio.create_task_group() as tasks:
        for n in range(20):
            tasks.start_soon(one, n)
    assert answers == {n: f"session {n}" for n in range(20)}


def test_get_stream_carries_list_changed_and_resumes_after_last_event_id(daemon: Home) -> None:
    session, _ = initialize(daemon)
    headers = {"Mcp-Session-Id": session, "Accept": "text/event-stream"}
    raw(daemon, "POST", body={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers={"Mcp-Session-Id": session})
    raw(daemon, "POST", body={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers={"Mcp-Session-Id": session})
    info = daemon.daemon_info()
    assert info is not None
    with httpx2.Client(timeout=CALL_TIMEOUT) as client:
        auth = {"Authorization": f"Bearer {daemon.api_key()}"}
        with client.stream("GET", info["url"] + "/mcp", headers=headers | auth) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            # A tool appears: the session's client hears list_changed on its stream.
            daemon.add_route("--global", "--tool", "fixture__echo", "--policy", "deny", "--name", "hide-echo")
            event_id = None
            for line in stream.iter_lines():
                if line.startswith("id:"):
                    event_id = line[3:].strip()
                if line.startswith("data:") and "list_changed" in line:
                    break
            assert event_id
        # Resumed after that event: nothing is repeated, the stream is open again.
        with client.stream("GET", info["url"] + "/mcp", headers=headers | auth | {"Last-Event-ID": event_id}) as again:
            assert again.status_code == 200


# ----- 2026-07-28: stateless


async def test_sdk_modern_mode_needs_no_session(daemon: Home) -> None:
    async with connect(daemon, mode=MODERN) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert "fixture__echo" in tools
        assert text_of(await client.call_tool("fixture__echo", {"text": "stateless"})) == "stateless"
        updates: list[float] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            updates.append(progress)

        result = await client.call_tool("fixture__slow", {"seconds": 0.3}, progress_callback=on_progress)
        assert text_of(result) == "slept 0.3" and updates
        # At 2026-07-28 the SDK cancels by closing the request's stream: the downstream hears it.
        with anyio.move_on_after(1.0) as scope:
            await client.call_tool("fixture__slow", {"seconds": 20})
        assert scope.cancelled_caught
        await eventually(lambda: "cancelled slow" in daemon.fixture_events())
        assert text_of(await client.call_tool("fixture__echo", {"text": "after"})) == "after"


def test_server_discover_and_listen_without_a_session(daemon: Home) -> None:
    meta = {META_VERSION: MODERN, META_CLIENT: {"name": "raw", "version": "1"}, META_CAPS: {}}
    headers = {"MCP-Protocol-Version": MODERN}
    discover = raw(daemon, "POST", body={"jsonrpc": "2.0", "id": 1, "method": "server/discover",
                                         "params": {"_meta": meta}}, headers=headers)  # fmt: skip
    assert discover.status_code == 200 and "mcp-session-id" not in discover.headers
    # A 2026-07-28 answer comes as a stream when the client takes one (closing it cancels).
    assert discover.headers["content-type"].startswith("text/event-stream")
    assert MODERN in sse_messages(discover.text)[-1]["result"]["supportedVersions"]
    plain = raw(daemon, "POST", body={"jsonrpc": "2.0", "id": 2, "method": "server/discover", "params": {"_meta": meta}},
                headers=headers | {"Accept": "application/json"})  # fmt: skip
    assert plain.json()["id"] == 2 and MODERN in plain.json()["result"]["supportedVersions"]
    info = daemon.daemon_info()
    assert info is not None
    body = {"jsonrpc": "2.0", "id": "sub-1", "method": "subscriptions/listen",
            "params": {"_meta": meta, "notifications": {"toolsListChanged": True}}}  # fmt: skip
    sent = {"Authorization": f"Bearer {daemon.api_key()}", "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json", **headers}  # fmt: skip
    with httpx2.Client(timeout=CALL_TIMEOUT) as client:
        with client.stream("POST", info["url"] + "/mcp", content=json.dumps(body), headers=sent) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            seen: list[dict[str, Any]] = []
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                seen.append(json.loads(line[5:]))
                if seen[-1].get("method") == "notifications/subscriptions/acknowledged":
                    assert seen[-1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub-1"
                    daemon.add_route("--global", "--tool", "fixture__add", "--policy", "deny", "--name", "hide-add")
                if seen[-1].get("method") == "notifications/tools/list_changed":
                    break
            assert seen[-1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub-1"


def test_a_handshake_request_without_a_session_is_refused(daemon: Home) -> None:
    response = raw(daemon, "POST", body={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code == 400
    assert response.json()["code"] == "session_required"


# ----- the seeds' shapes


def test_server_id_and_rpc_reach_one_server_under_its_own_names(daemon: Home) -> None:
    daemon.add_time()
    listed = raw(daemon, "POST", "/mcp?server_id=fixture", body={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert listed.status_code == 200, listed.text
    names = {tool["name"] for tool in listed.json()["result"]["tools"]}
    assert "echo" in names and "get_current_time" not in names and not any("__" in n for n in names)
    called = raw(daemon, "POST", "/rpc", headers={"X-Server-ID": "fixture"},
                 body={"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                       "params": {"name": "echo", "arguments": {"text": "rpc"}}})  # fmt: skip
    assert called.status_code == 200
    assert called.json()["id"] == 7 and called.json()["result"]["content"][0]["text"] == "rpc"
    in_body = raw(daemon, "POST", "/mcp",
                  body={"server_id": "fixture", "jsonrpc": "2.0", "id": 8, "method": "tools/call",
                        "params": {"name": "add", "arguments": {"a": 1, "b": 2}}})  # fmt: skip
    assert in_body.json()["result"]["content"][0]["text"] == "3"
    # Still routed and audited: a deny rule refuses the call under its own name too.
    daemon.add_route("--global", "--tool", "fixture__echo", "--policy", "deny", "--name", "no-echo")

    def refused() -> bool:
        answer = raw(daemon, "POST", "/rpc", headers={"X-Server-ID": "fixture"},
                     body={"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                           "params": {"name": "echo", "arguments": {"text": "x"}}})  # fmt: skip
        result = answer.json().get("result", {})
        return result.get("isError") is True and "Junction denied" in result["content"][0]["text"]

    assert refused() or anyio.run(eventually, refused)
    assert raw(daemon, "POST", "/rpc", body={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code == 400
    unknown = raw(daemon, "POST", "/rpc", headers={"X-Server-ID": "nope"},
                  body={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})  # fmt: skip
    assert unknown.status_code == 404 and unknown.json()["code"] == "server_not_found"
    # Audited as the call it was; the writer commits in batches, so wait for it.
    assert anyio.run(eventually, lambda: [r for r in daemon.audit_rows() if r["tool_name"] == "fixture__echo"])


# ----- client keys


async def test_client_keys_add_list_revoke_and_bind_a_workspace(daemon: Home) -> None:
    daemon.add_route("--workspace", "A", "--tool", "fixture__add", "--policy", "deny", "--name", "no-add-in-a")
    made = daemon.cli_json("key", "add", "alice", "--workspace", "A")
    secret = made["key"]
    assert secret.startswith("jck_")
    listed = daemon.cli_json("key", "list")
    assert [k["name"] for k in listed] == ["alice"] and secret not in json.dumps(listed)
    async with connect(daemon, key=secret) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "fixture__echo" in names and "fixture__add" not in names
        assert text_of(await client.call_tool("fixture__echo", {"text": "from alice"})) == "from alice"
    rows = await eventually(lambda: [r for r in daemon.audit_rows() if r["client_name"] == "alice"])
    assert rows[0]["workspace_name"] == "A"
    # A key opens MCP only, never the admin API; a bound key cannot pick another workspace.
    assert api(daemon, "GET", "/api/v1/workspaces", key=secret)[0] == 401
    assert raw(daemon, "POST", "/mcp?workspace=B", key=secret,
               body={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}).status_code == 403  # fmt: skip
    # Over REST too, and revoked at once.
    status, bob = api(daemon, "POST", "/api/v1/client-keys", body={"name": "bob"})
    assert status == 201 and bob["key"].startswith("jck_")
    session, _ = initialize(daemon, key=bob["key"])
    assert api(daemon, "DELETE", "/api/v1/client-keys/bob")[0] == 204
    refused = raw(daemon, "POST", body={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                  headers={"Mcp-Session-Id": session}, key=bob["key"])  # fmt: skip
    assert refused.status_code == 401
    daemon.cli("key", "revoke", "alice")
    assert raw(daemon, "POST", key=secret, body={"jsonrpc": "2.0", "id": 1, "method": "ping"}).status_code == 401


# ----- bad input


def test_bad_input_gets_a_clear_4xx_and_disturbs_nothing(daemon: Home) -> None:
    session, _ = initialize(daemon)
    ok = {"Mcp-Session-Id": session}
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    cases = [
        (raw(daemon, "POST", body=ping, key=None), 401),
        (raw(daemon, "POST", body=ping, key="jct_wrong"), 401),
        (raw(daemon, "POST", body=ping, headers=ok | {"Origin": "https://evil.example"}), 403),
        (raw(daemon, "POST", body=ping, headers={"Mcp-Session-Id": "0" * 32}), 404),
        (raw(daemon, "POST", data=b"{" + b" " * (5 * 1024 * 1024) + b"}", headers=ok), 413),
        (raw(daemon, "GET", headers=ok | {"Accept": "application/json"}), 406),
        (raw(daemon, "POST", data=b'{"jsonrpc": "2.0", "id": 1, "method": ', headers=ok), 400),
        (raw(daemon, "POST", body=ping, headers=ok | {"MCP-Protocol-Version": "1999-01-01"}), 400),
        (raw(daemon, "POST", body=ping, headers=ok | {"Content-Type": "text/plain"}), 415),
        (raw(daemon, "POST", "/mcp?workspace=nope", body={"jsonrpc": "2.0", "id": 0, "method": "initialize",
                                                          "params": {}}), 404),  # fmt: skip
    ]
    for response, status in cases:
        assert response.status_code == status, (status, response.status_code, response.text)
        assert response.text, "a refusal says why"
    malformed = cases[6][0].json()
    assert malformed["error"]["code"] == -32700
    # The session and the daemon carry on.
    answer = raw(daemon, "POST", body=ping, headers=ok)
    assert answer.status_code == 200 and answer.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


# ----- limits


@pytest.fixture
def limited(home: Home) -> Iterator[Home]:
    """`junction serve` with 2 sessions per key, 2 calls in flight per key, sessions idle for 5 s end."""
    env = {"JUNCTION_MCP_MAX_SESSIONS_PER_KEY": "2", "JUNCTION_MCP_MAX_CALLS_PER_KEY": "2",
           "JUNCTION_MCP_SESSION_IDLE_SEC": "5"}  # fmt: skip
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        proc = serve(home)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        yield home
    finally:
        proc.terminate()
        proc.wait(timeout=START_TIMEOUT)


async def test_limits_answer_429_and_idle_sessions_expire(limited: Home) -> None:
    home = limited
    time.sleep(1.5)  # the daemon reads the limit settings within a second of starting
    first, _ = initialize(home)
    second, _ = initialize(home)
    third = raw(home, "POST", body={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}})
    assert third.status_code == 429 and third.headers["retry-after"]
    assert third.json()["code"] == "too_many_sessions"
    # Two slow calls in flight: a third is refused, with Retry-After.
    headers = {"Mcp-Session-Id": first}
    slow = {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "fixture__slow", "arguments": {"seconds": 3}}}
    async with anyio.create_task_group() as tasks:
        for n in (1, 2):
            tasks.start_soon(anyio.to_thread.run_sync, lambda n=n: raw(home, "POST", body=slow | {"id": n}, headers=headers))
        await anyio.sleep(1.0)
        busy = raw(home, "POST", body={"jsonrpc": "2.0", "id": 3, "method": "ping"}, headers=headers)
        assert busy.status_code == 429 and busy.json()["code"] == "too_many_calls"
    assert raw(home, "POST", body={"jsonrpc": "2.0", "id": 4, "method": "ping"}, headers=headers).status_code == 200
    # Idle sessions end (5 s) and free their places: watched in the sessions table, since every
    # request to a session is activity that keeps it.
    def closed_http_sessions() -> int:
        con = sqlite3.connect(f"file:{home.path / 'junction.db'}?mode=ro", uri=True, timeout=10)
        try:
            return int(con.execute(
                "SELECT count(*) FROM sessions WHERE transport = 'http' AND status = 'closed'").fetchone()[0])
        finally:
            con.close()

    await eventually(lambda: closed_http_sessions() >= 2, timeout=20)
    gone = raw(home, "POST", body={"jsonrpc": "2.0", "id": 5, "method": "ping"}, headers={"Mcp-Session-Id": second})
    assert gone.status_code == 404 and gone.json()["code"] == "session_not_found"
    initialize(home)


# ----- another real client: mcp-proxy, stdio to /mcp


def proxy_python() -> Path:
    return REPO / ".venv-proxy" / "bin" / "python"


async def test_mcp_proxy_bridges_stdio_to_junction(daemon: Home) -> None:
    python = proxy_python()
    if not python.exists():
        raise AssertionError("no .venv-proxy: scripts/e2e prepares it from tests/e2e/requirements-proxy.txt")
    params = StdioServerParameters(
        command=str(python),
        args=["-m", "mcp_proxy", "--transport", "streamablehttp", "-H", "Authorization", f"Bearer {daemon.api_key()}",
              mcp_url(daemon)],  # fmt: skip
        env={"PATH": os.environ.get("PATH", "")},
    )
    with open(daemon.stderr_path, "a", encoding="utf-8") as errlog, harness.unwrap_lone_exception():
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=CALL_TIMEOUT) as session:
                with anyio.fail_after(START_TIMEOUT):
                    await session.initialize()
                names = {tool.name for tool in (await session.list_tools()).tools}
                assert "fixture__echo" in names
                result = await session.call_tool("fixture__echo", {"text": "through mcp-proxy"})
                assert text_of(result) == "through mcp-proxy"


# ----- install --http


def test_install_http_writes_a_url_entry_for_each_client(daemon: Home, tmp_path: Path) -> None:
    sandbox = tmp_path / "user"
    sandbox.mkdir()
    env = {"HOME": str(sandbox), "XDG_CONFIG_HOME": str(sandbox / ".config"), "CODEX_HOME": str(sandbox / ".codex")}
    url = mcp_url(daemon)

    def install(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(harness.junction_bin()), *args], capture_output=True, text=True, timeout=60,
            env=dict(os.environ) | daemon.env() | env, cwd=daemon.work,
        )  # fmt: skip

    expected = {
        "claude-code": (sandbox / ".claude.json", ["mcpServers"], {"type": "http", "url": url}),
        "cursor": (sandbox / ".cursor" / "mcp.json", ["mcpServers"], {"url": url}),
        "windsurf": (sandbox / ".codeium" / "windsurf" / "mcp_config.json", ["mcpServers"], {"serverUrl": url}),
        "gemini": (sandbox / ".gemini" / "settings.json", ["mcpServers"], {"httpUrl": url}),
        "opencode": (sandbox / ".config" / "opencode" / "opencode.json", ["mcp"],
                     {"type": "remote", "url": url, "enabled": True}),  # fmt: skip
        "zed": (sandbox / ".config" / "zed" / "settings.json", ["context_servers"], {"url": url}),
    }
    for client, (path, keys, shape) in expected.items():
        done = install("install", client, "--http", "--key", f"k-{client}")
        assert done.returncode == 0, done.stdout + done.stderr
        node = json.loads(path.read_text())
        for key in keys:
            node = node[key]
        entry = node["junction"]
        for field, value in shape.items():
            assert entry[field] == value, (client, entry)
        assert entry["headers"]["Authorization"].startswith("Bearer jck_")
    codex = install("mcp-install", "codex", "--http")
    assert codex.returncode == 0, codex.stderr
    table = tomllib.loads((sandbox / ".codex" / "config.toml").read_text())["mcp_servers"]["junction"]
    assert table["url"] == url and table["http_headers"]["Authorization"] == f"Bearer {daemon.api_key()}"
    # From the command form to the URL form: no command is left beside the URL.
    vscode = Path(sandbox / ".config" / "Code" / "User" / "mcp.json")
    assert install("install", "vscode").returncode == 0
    assert install("install", "vscode", "--http").returncode == 0
    entry = json.loads(vscode.read_text())["servers"]["junction"]
    assert entry["type"] == "http" and entry["url"] == url and "command" not in entry and "args" not in entry
    # Claude Desktop takes no URL in its file: a clear refusal, nothing written, no key left.
    desktop = install("install", "claude-desktop", "--http", "--key", "desk")
    assert desktop.returncode != 0 and "without --http" in desktop.stderr
    assert "desk" not in {k["name"] for k in daemon.cli_json("key", "list")}
    # The written key works.
    key = json.loads((sandbox / ".cursor" / "mcp.json").read_text())["mcpServers"]["junction"]["headers"]
    secret = key["Authorization"].removeprefix("Bearer ")
    session, _ = initialize(daemon, key=secret)
    assert session
