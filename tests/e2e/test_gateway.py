"""`junction stdio --embedded` end to end, with real peers on both sides: the official Python MCP
SDK as the client, and the fixture server (fastmcp), mcp-server-time and mcp-server-git as
downstreams, configured through the real CLI into a temporary JUNCTION_HOME.

The whole module is skipped while the binary has no `stdio --embedded`; it turns on by itself.

Behaviour assumed (DESIGN.md §4-§6):
- tools appear as `{namespace}__{tool}`, prompts likewise; resource URIs are passed through
  unchanged and routed to their owner (the tests read whatever URI the gateway lists);
- the client root is `--workspace NAME` if given, else the client's first MCP root, else the cwd;
- deny hides a tool from tools/list and a call to it gets an isError result naming the rule;
- every tools/call is written to audit_records;
- DESIGN §5 extras: notifications/cancelled reaches the downstream, downstreams stop when the
  client goes, rule cache TTLs serve repeated read-only calls, and sampling/elicitation requests
  of per-session servers are relayed to the client.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import StdioServerParameters
from mcp.client import Client
from mcp.client.stdio import stdio_client

import harness
from harness import TOOL_NAME_RE, Home, RawPeer, Recorder, call_error, dump, eventually, gateway, text_of

AVAILABLE, WHY_NOT = harness.stdio_available()
if not AVAILABLE:
    pytest.skip(WHY_NOT, allow_module_level=True)

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-value"


def ws(home: Home, name: str) -> Path:
    return (home.work / "ws" / name).resolve()


async def tool_names(session: harness.ClientSession) -> set[str]:
    return {t.name for t in (await session.list_tools()).tools}


def same_result(gateway_result: types.CallToolResult, direct_result: types.CallToolResult) -> None:
    """The gateway's result is the downstream's: content, structuredContent and isError equal, and
    the downstream's _meta keys survive."""
    got, want = dump(gateway_result), dump(direct_result)
    for key in ("content", "structuredContent", "isError"):
        assert got.get(key) == want.get(key), f"{key} differs: gateway {got.get(key)!r} vs direct {want.get(key)!r}"
    for key, value in (want.get("_meta") or {}).items():
        assert (got.get("_meta") or {}).get(key) == value, f"_meta[{key!r}] lost: {got.get('_meta')!r}"


# --------------------------------------------------------------------------------------------------
# Handshake and catalog


async def test_tools_list_namespaced_and_lossless(full_home: Home, reference: dict[str, Any]) -> None:
    async with gateway(full_home) as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}

    bad = [name for name in tools if not TOOL_NAME_RE.match(name)]
    assert not bad, f"tool names outside ^[a-zA-Z0-9_-]{{1,64}}$: {bad}"
    for namespace, key in (("fixture", "fixture_tools"), ("time", "time_tools"), ("git", "git_tools")):
        expected = {f"{namespace}__{name}" for name in reference[key]}
        missing = expected - set(tools)
        assert not missing, f"missing from tools/list: {sorted(missing)}"
    assert {"fixture__echo", "time__get_current_time", "git__git_status"} <= set(tools)
    strays = [n for n in tools if n.split("__", 1)[0] not in {"fixture", "time", "git"}]
    assert not strays, f"tools from no configured namespace: {strays}"

    # Everything but the name passes through unchanged.
    for name, direct in reference["fixture_tools"].items():
        got, want = dump(tools[f"fixture__{name}"]), dump(direct)
        got.pop("name"), want.pop("name")
        for key in ("description", "inputSchema", "outputSchema", "annotations"):
            assert got.get(key) == want.get(key), f"fixture__{name}: {key} changed: {got.get(key)!r} vs {want.get(key)!r}"
    assert tools["fixture__peek"].annotations is not None and tools["fixture__peek"].annotations.read_only_hint


@pytest.mark.parametrize("version", ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"])
def test_initialize_answers_the_clients_version(home: Home, version: str) -> None:
    peer = RawPeer(home)
    try:
        result = peer.initialize(version)
        assert result["protocolVersion"] == version
        assert result.get("serverInfo", {}).get("name"), result
        assert "tools" in result.get("capabilities", {}), result
    finally:
        peer.close()


def test_initialize_with_an_unknown_version_gets_a_supported_one(home: Home) -> None:
    peer = RawPeer(home)
    try:
        result = peer.initialize("1999-01-01")
        assert result["protocolVersion"] in {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}
    finally:
        peer.close()


async def test_sdk_auto_mode_connects(home: Home) -> None:
    """mcp.client.Client's default mode="auto" first sends `server/discover` (2026-07-28) and falls
    back to `initialize` on any JSON-RPC error. The gateway must answer the probe (e.g. -32601)
    rather than ignore it: an unanswered probe costs the client a 10 s timeout."""
    params = StdioServerParameters(
        command=str(harness.junction_bin()), args=["stdio", "--embedded"], env=home.env(), cwd=str(home.work)
    )
    with open(home.stderr_path, "a", encoding="utf-8") as errlog:
        with anyio.fail_after(8):
            async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=harness.CALL_TIMEOUT) as client:
                assert client.protocol_version in {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"}
                names = {t.name for t in (await client.list_tools()).tools}
                assert "fixture__echo" in names
                assert text_of(await client.call_tool("fixture__echo", {"text": "auto"})) == "auto"


# --------------------------------------------------------------------------------------------------
# Calls pass through


async def test_fixture_call_passes_through(home: Home, reference: dict[str, Any]) -> None:
    async with gateway(home) as s:
        same_result(await s.call_tool("fixture__echo", {"text": "héllo, wörld"}), reference["fixture_echo"])
        same_result(await s.call_tool("fixture__add", {"a": 2, "b": 40}), reference["fixture_add"])


async def test_time_calls_pass_through(full_home: Home, reference: dict[str, Any]) -> None:
    async with gateway(full_home) as s:
        converted = await s.call_tool(
            "time__convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}
        )
        now = await s.call_tool("time__get_current_time", {"timezone": "UTC"})
    same_result(converted, reference["time_convert"])
    got, want = now.structured_content, reference["time_now"].structured_content
    assert got is not None and want is not None and set(got) == set(want)
    assert got["timezone"] == "UTC"
    skew = datetime.fromisoformat(got["datetime"]) - datetime.fromisoformat(want["datetime"])
    assert 0 <= skew.total_seconds() < 600, (got, want)


async def test_git_status_on_the_temp_repo(full_home: Home, git_repo: Path, reference: dict[str, Any]) -> None:
    async with gateway(full_home) as s:
        result = await s.call_tool("git__git_status", {"repo_path": str(git_repo)})
    same_result(result, reference["git_status"])
    assert "untracked.txt" in text_of(result)


# --------------------------------------------------------------------------------------------------
# Routing per workspace


async def test_deny_rule_hides_and_refuses_in_its_workspace_only(home: Home) -> None:
    rule = home.add_route("--workspace", "A", "--tool", "fixture__*", "--policy", "deny", "--name", "a-no-fixture")

    async with gateway(home, cwd=ws(home, "A")) as s:
        names = await tool_names(s)
        assert not [n for n in names if n.startswith("fixture__")], names
        # Refused as a tool result with isError, not a JSON-RPC error, so the model reads why.
        denied = await s.call_tool("fixture__echo", {"text": "no"})
        assert denied.is_error, dump(denied)
        message = " ".join(getattr(c, "text", "") for c in denied.content)
        assert message.startswith("Junction denied fixture__echo"), message
        assert message.startswith("Junction denied fixture__echo"), message
        assert "a-no-fixture" in message or rule["id"] in message, f"the error should name the rule: {message}"

    async with gateway(home, cwd=ws(home, "B")) as s:
        assert "fixture__echo" in await tool_names(s)
        assert text_of(await s.call_tool("fixture__echo", {"text": "yes"})) == "yes"


@pytest.mark.parametrize(
    "cwd, roots, workspace, visible",
    [
        ("A", None, None, False),  # cwd picks the workspace
        ("A/src/deep", None, None, False),  # a folder below the root belongs to it
        ("B", None, None, True),
        ("B", ["A"], None, False),  # the client's first root wins over cwd
        ("B", ["A", "B"], None, False),
        ("A", ["A"], "B", True),  # --workspace wins over roots and cwd
        ("B", None, "A", False),
    ],
    ids=["cwd-A", "cwd-below-A", "cwd-B", "roots-A", "first-root-A", "flag-B", "flag-A"],
)
async def test_client_root_selection(
    home: Home, cwd: str, roots: list[str] | None, workspace: str | None, visible: bool
) -> None:
    home.add_route("--workspace", "A", "--tool", "fixture__*", "--policy", "deny", "--name", "a-no-fixture")
    folder = home.work / "ws" / cwd
    folder.mkdir(parents=True, exist_ok=True)
    root_paths = [ws(home, r) for r in roots] if roots is not None else None
    async with gateway(home, cwd=folder, roots=root_paths, workspace=workspace) as s:
        assert ("fixture__echo" in await tool_names(s)) is visible


async def test_unknown_tools_are_errors(home: Home) -> None:
    async with gateway(home) as s:
        for name in ("fixture__no_such_tool", "nosuchserver__echo", "echo"):
            message = await call_error(s, name, {"text": "x"})
            assert message, f"{name}: empty error"
        assert text_of(await s.call_tool("fixture__echo", {"text": "still here"})) == "still here"


# --------------------------------------------------------------------------------------------------
# Concurrency, progress, cancellation, size


async def test_calls_run_concurrently(home: Home) -> None:
    finished: list[str] = []
    async with gateway(home) as s:
        await s.list_tools()  # downstream up before timing anything
        start = anyio.current_time()
        echo_at: list[float] = []

        async def slow() -> None:
            assert text_of(await s.call_tool("fixture__slow", {"seconds": 2})) == "slept 2"
            finished.append("slow")

        async def echo() -> None:
            await anyio.sleep(0.2)  # let slow go first
            assert text_of(await s.call_tool("fixture__echo", {"text": "quick"})) == "quick"
            echo_at.append(anyio.current_time() - start)
            finished.append("echo")

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow)
            tg.start_soon(echo)
    assert finished == ["echo", "slow"]
    assert echo_at[0] < 1.5, f"echo waited for slow: {echo_at[0]:.2f} s"


async def test_progress_reaches_the_client(home: Home) -> None:
    updates: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total))

    async with gateway(home) as s:
        result = await s.call_tool("fixture__slow", {"seconds": 1}, progress_callback=on_progress)
    assert text_of(result) == "slept 1"
    assert len(updates) >= 5, updates
    values = [p for p, _ in updates]
    assert values == sorted(values) and len(set(values)) == len(values), updates
    assert all(total == 10 for _, total in updates), updates


async def test_cancelled_call_leaves_the_session_usable(home: Home) -> None:
    async with gateway(home) as s:
        await s.list_tools()
        with anyio.move_on_after(0.5) as scope:
            await s.call_tool("fixture__slow", {"seconds": 20})
        assert scope.cancelled_caught
        assert text_of(await s.call_tool("fixture__echo", {"text": "after"})) == "after"
        assert "fixture__slow" in await tool_names(s)


async def test_cancellation_reaches_the_downstream(home: Home) -> None:
    async with gateway(home) as s:
        await s.list_tools()
        with anyio.move_on_after(0.5):
            await s.call_tool("fixture__slow", {"seconds": 20})
        await eventually(lambda: "cancelled slow" in home.fixture_events())


async def test_big_result_arrives_intact(home: Home) -> None:
    async with gateway(home) as s:
        result = await s.call_tool("fixture__big", {"mb": 10})
    text = text_of(result)
    assert len(text) == 10 * 1024 * 1024
    assert text == harness.big_text(10)


# --------------------------------------------------------------------------------------------------
# Misbehaving downstreams


async def test_crash_is_an_error_and_the_server_restarts(home: Home) -> None:
    async with gateway(home) as s:
        message = await call_error(s, "fixture__crash")
        assert "fixture" in message, f"the error should name the server: {message!r}"
        assert text_of(await s.call_tool("fixture__echo", {"text": "back"})) == "back"
    starts = [e for e in home.fixture_events() if e.startswith("start ")]
    assert len(starts) >= 2, home.fixture_events()


async def test_garbage_on_downstream_stdout_is_survived(home: Home) -> None:
    async with gateway(home) as s:
        assert text_of(await s.call_tool("fixture__garbage", {})) == "garbage sent"
        assert text_of(await s.call_tool("fixture__echo", {"text": "fine"})) == "fine"


async def test_downstream_list_changed_reaches_the_client(home: Home) -> None:
    recorder = Recorder()
    async with gateway(home, recorder=recorder) as s:
        assert "fixture__dynamic_1" not in await tool_names(s)
        mark = len(recorder.notifications)
        assert text_of(await s.call_tool("fixture__add_tool", {})) == "dynamic_1"
        await recorder.wait_for("notifications/tools/list_changed", after=mark)
        assert "fixture__dynamic_1" in await tool_names(s)
        assert text_of(await s.call_tool("fixture__dynamic_1", {})) == "dynamic_1"


# --------------------------------------------------------------------------------------------------
# Resources and prompts


async def test_resources_are_listed_and_read_through_their_owner(home: Home) -> None:
    async with gateway(home) as s:
        resources = (await s.list_resources()).resources
        readme = [r for r in resources if "readme" in str(r.uri)]
        assert len(readme) == 1, [str(r.uri) for r in resources]
        contents = (await s.read_resource(str(readme[0].uri))).contents
    assert len(contents) == 1 and isinstance(contents[0], types.TextResourceContents)
    assert contents[0].text == "Junction fixture readme."


async def test_resource_templates_are_listed_and_read(home: Home) -> None:
    async with gateway(home) as s:
        templates = (await s.list_resource_templates()).resource_templates
        items = [t for t in templates if "items/{id}" in t.uri_template]
        assert len(items) == 1, [t.uri_template for t in templates]
        uri = items[0].uri_template.replace("{id}", "42")
        contents = (await s.read_resource(uri)).contents
    assert isinstance(contents[0], types.TextResourceContents) and contents[0].text == "item 42"


async def test_prompts_are_namespaced(home: Home, reference: dict[str, Any]) -> None:
    async with gateway(home) as s:
        prompts = {p.name: p for p in (await s.list_prompts()).prompts}
        assert "fixture__greet" in prompts, sorted(prompts)
        got, want = dump(prompts["fixture__greet"]), dump(reference["fixture_prompts"]["greet"])
        assert got.get("arguments") == want.get("arguments")
        result = await s.get_prompt("fixture__greet", {"name": "Ada"})
    content = result.messages[0].content
    assert isinstance(content, types.TextContent) and content.text == "Hello, Ada!"


# --------------------------------------------------------------------------------------------------
# Auth scopes and audit


async def test_scope_secret_reaches_the_server_and_never_the_audit(home: Home) -> None:
    scope = home.add_scope("fx", "fixture", FIXTURE_TOKEN=SECRET)
    home.add_route("--global", "--tool", "fixture__*", "--scope", "fx", "--name", "fx-everywhere")
    deny = home.add_route("--workspace", "A", "--tool", "fixture__add", "--policy", "deny", "--name", "a-no-add")

    async with gateway(home, cwd=ws(home, "A")) as s:
        assert text_of(await s.call_tool("fixture__whoami", {})) == SECRET
        assert text_of(await s.call_tool("fixture__echo", {"text": "audit me"})) == "audit me"
        # The secret passed as an argument must be redacted (by value) from the audit record.
        assert text_of(await s.call_tool("fixture__echo", {"text": f"token={SECRET}"})) == f"token={SECRET}"
        assert "a-no-add" in await call_error(s, "fixture__add", {"a": 1, "b": 2})
        await call_error(s, "fixture__crash")
        assert text_of(await s.call_tool("fixture__echo", {"text": "after crash"})) == "after crash"

    expected = {
        ("fixture__whoami", "ok", "allow"): 1,
        ("fixture__echo", "ok", "allow"): 3,
        ("fixture__add", "denied", "deny"): 1,
        ("fixture__crash", "error", "allow"): 1,
    }

    def audit_complete() -> list[dict[str, Any]]:
        rows = home.audit_rows()
        counts: dict[tuple[str, str, str], int] = {}
        for row in rows:
            key = (row["tool_name"], row["status"], row["decision"])
            counts[key] = counts.get(key, 0) + 1
        assert counts == expected, f"audit rows {counts} != {expected}"
        return rows

    rows = await eventually(audit_complete)

    for row in rows:
        assert row["method"] == "tools/call"
        assert row["workspace_name"] == "A", row
        flat = json.dumps(row, default=str)
        assert SECRET not in flat, f"secret in audit row: {flat}"
        if row["params"] is not None:
            json.loads(row["params"])
        if row["decision"] == "allow":
            assert row["downstream_name"] == "fixture", row
            assert row["auth_scope_id"] == scope["id"], row
    denied = next(r for r in rows if r["status"] == "denied")
    assert denied["rule_id"] == deny["id"], denied
    audited_echo = [r for r in rows if r["tool_name"] == "fixture__echo" and r["params"] and "audit me" in r["params"]]
    assert audited_echo, "echo's arguments should be in its audit params"

    # Sealed at rest, never logged.
    for path in [*home.path.glob("junction.db*"), *home.path.glob("logs/**/*"), home.stderr_path]:
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"secret in plain text in {path}"


# --------------------------------------------------------------------------------------------------
# Malformed input on the client side (raw bytes, no SDK)


def test_malformed_input_gets_json_rpc_errors_and_the_session_continues(home: Home) -> None:
    peer = RawPeer(home)
    try:
        peer.initialize()

        peer.send_bytes(b'{"jsonrpc": "2.0", "id": 1, "method": \n')
        reply = peer.response()
        assert reply.get("error", {}).get("code") == -32700 and "id" in reply and reply["id"] is None, reply
        peer.send({"jsonrpc": "2.0", "id": "p1", "method": "ping"})
        assert peer.response() == {"jsonrpc": "2.0", "id": "p1", "result": {}}

        for payload in (b"[]\n", b'[{"jsonrpc": "2.0", "id": 7, "method": "ping"}]\n', b"42\n"):
            peer.send_bytes(payload)
            reply = peer.response()
            assert isinstance(reply, dict) and reply.get("error", {}).get("code") == -32600, (payload, reply)

        peer.send({"jsonrpc": "2.0", "id": 9, "method": "no/such/method"})
        reply = peer.response()
        assert reply.get("id") == 9 and reply.get("error", {}).get("code") == -32601, reply

        peer.send({"jsonrpc": "2.0", "id": "p2", "method": "ping"})
        assert peer.response() == {"jsonrpc": "2.0", "id": "p2", "result": {}}
        assert peer.proc.poll() is None, "junction exited"

        assert peer.proc.stdin is not None
        peer.proc.stdin.close()
        try:
            peer.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - reported below
            pass
        assert peer.proc.poll() is not None, "junction should exit when its stdin closes"
    finally:
        peer.close()


# --------------------------------------------------------------------------------------------------
# Lifecycle, caching, server-to-client requests


async def test_downstreams_stop_when_the_client_goes(home: Home) -> None:
    async with gateway(home) as s:
        assert text_of(await s.call_tool("fixture__echo", {"text": "x"})) == "x"
    pids = [int(e.split()[1]) for e in home.fixture_events() if e.startswith("start ")]
    assert pids
    await eventually(lambda: not any(harness.pid_alive(p) for p in pids))


async def test_read_only_results_are_cached_by_rule(home: Home) -> None:
    home.add_route("--global", "--tool", "fixture__peek", "--cache-ttl", "60")
    async with gateway(home) as s:
        first = (await s.call_tool("fixture__peek", {})).structured_content
        second = (await s.call_tool("fixture__peek", {})).structured_content
    assert first == second == {"result": 1}
    rows = await eventually(lambda: [r for r in home.audit_rows() if r["tool_name"] == "fixture__peek"][1:] or None)
    assert rows[-1]["cache_hit"] == 1


async def test_sampling_and_elicitation_are_relayed_for_per_session_servers(empty_home: Home) -> None:
    empty_home.add_fixture("fx", "--instance", "per-session")

    async def sampling(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="from the client"), model="fake"
        )

    async def elicitation(context: Any, params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"value": False})

    async with gateway(empty_home, sampling_callback=sampling, elicitation_callback=elicitation) as s:
        assert text_of(await s.call_tool("fx__ask_llm", {"prompt": "hi"})) == "from the client"
        assert text_of(await s.call_tool("fx__confirm", {"question": "sure?"})) == "no"
