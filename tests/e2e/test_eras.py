"""Junction as a dual-era MCP server (issue 10): clients of the handshake era (`initialize`,
2024-11-05 … 2025-11-25) and of the modern era (2026-07-28: no handshake, every request carries
`_meta["io.modelcontextprotocol/protocolVersion"]`, results carry `resultType`, cache hints,
`subscriptions/listen`, multi round-trip `InputRequiredResult`s) against downstreams of both eras,
embedded and through the daemon.

Peers:
- the official SDK's `mcp.client.Client` in mode "2026-07-28" (modern, no probe), "auto" (probes
  `server/discover`, stays modern when Junction answers it) and "legacy" (`initialize`);
- raw JSON-RPC lines (RawPeer) where the exact exchange matters;
- downstreams: mcp-server-time and the fastmcp fixture (dual-era SDK servers), mrtr_server.py
  (dual-era, asks for input with InputRequiredResult on modern requests) and legacy_server.py
  (handshake only, answers `server/discover` with -32601, sends `elicitation/create` mid-call).

The spec pages these tests follow: docs/specification/2026-07-28/{basic/versioning,
server/discover, basic/patterns/mrtr, basic/patterns/subscriptions, server/utilities/caching}.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import StdioServerParameters
from mcp.client import Client
from mcp.client.stdio import stdio_client
from mcp.client.subscriptions import ResourceUpdated, ToolsListChanged
from mcp.shared.exceptions import MCPError

import harness
from harness import CALL_TIMEOUT, EVENT_TIMEOUT, PYTHON, Home, RawPeer, eventually, junction_bin

AVAILABLE, WHY_NOT = harness.stdio_available()
if not AVAILABLE:
    pytest.skip(WHY_NOT, allow_module_level=True)

pytestmark = pytest.mark.anyio

HERE = Path(__file__).resolve().parent
LEGACY_SERVER = HERE / "legacy_server.py"
MRTR_SERVER = HERE / "mrtr_server.py"

MODERN = "2026-07-28"
HANDSHAKE = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
SUPPORTED = ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
SERVER_INFO = "io.modelcontextprotocol/serverInfo"
SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"

MISSING_REQUIRED_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022

# Longer than Junction's server/discover probe timeout (DownstreamPool.Options.probeTimeout, 5 s).
SLOW_START_SECONDS = 6

TRANSPORTS = [pytest.param(False, id="embedded"), pytest.param(True, id="daemon")]
MODES = ["2026-07-28", "auto", "legacy"]


# --------------------------------------------------------------------------------------------------
# Homes and peers


def add_legacy(home: Home) -> dict[str, Any]:
    """The handshake-only server, one process per client session: per-session is how Junction
    relays a downstream's server-to-client requests (elicitation/create) to the client."""
    return home.cli_json(
        "server", "add", "legacy", "--instance", "per-session", "--env", f"LEGACY_LOG={legacy_log(home)}",
        "--", PYTHON, str(LEGACY_SERVER),
    )  # fmt: skip


def add_mrtr(home: Home) -> dict[str, Any]:
    """The dual-era MRTR server, shared: its input requests travel in results, not on a back-channel."""
    return home.cli_json(
        "server", "add", "mrtr", "--env", f"MRTR_LOG={mrtr_log(home)}", "--", PYTHON, str(MRTR_SERVER)
    )


def legacy_log(home: Home) -> Path:
    return home.work / "legacy.log"


def mrtr_log(home: Home) -> Path:
    return home.work / "mrtr.log"


def log_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


@pytest.fixture
def eras_home(empty_home: Home) -> Home:
    """Every kind of downstream: mcp-server-time and the fastmcp fixture (dual-era SDK servers),
    the MRTR server (dual-era, modern input requests) and the handshake-only legacy server."""
    empty_home.add_fixture()
    empty_home.add_time()
    add_mrtr(empty_home)
    add_legacy(empty_home)
    return empty_home


@pytest.fixture
def legacy_home(empty_home: Home) -> Home:
    add_legacy(empty_home)
    return empty_home


@pytest.fixture
def mrtr_home(empty_home: Home) -> Home:
    add_mrtr(empty_home)
    return empty_home


@asynccontextmanager
async def connect(
    home: Home,
    mode: str,
    *,
    daemon: bool,
    cwd: Path | None = None,
    elicitation: Any = None,
    sampling: Any = None,
    roots: Any = None,
    log_level: str | None = None,
    logging: Any = None,
) -> AsyncIterator[Client]:
    """An SDK Client on `junction stdio [--embedded]`, in the given era mode. The response cache is
    off so every call reaches Junction (a test of Junction, not of the client's cache)."""
    args = ["stdio"] if daemon else ["stdio", "--embedded"]
    params = StdioServerParameters(command=str(junction_bin()), args=args, env=home.env(), cwd=str(cwd or home.work))
    with open(home.stderr_path, "a", encoding="utf-8") as errlog, harness.unwrap_lone_exception():
        errlog.write(f"--- junction {' '.join(args)} (SDK Client, mode {mode})\n")
        errlog.flush()
        client = Client(
            stdio_client(params, errlog=errlog),
            mode=mode,
            read_timeout_seconds=CALL_TIMEOUT,
            elicitation_callback=elicitation,
            sampling_callback=sampling,
            list_roots_callback=roots,
            log_level=log_level,  # type: ignore[arg-type]
            logging_callback=logging,
            client_info=types.Implementation(name="junction-e2e-eras", version="1.0"),
            cache=None,
        )
        async with client:
            yield client


def modern_meta(version: str = MODERN, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        PROTOCOL_VERSION: version,
        CLIENT_INFO: {"name": "junction-e2e-raw", "version": "1.0"},
        CLIENT_CAPABILITIES: capabilities or {},
    }


def modern_request(
    request_id: Any, method: str, params: dict[str, Any] | None = None, **meta: Any
) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": {**(params or {}), "_meta": modern_meta(**meta)}}


def exchange(peer: RawPeer, message: dict[str, Any]) -> dict[str, Any]:
    """Send a request and return its response; fails if Junction writes a request meanwhile (a
    modern stdio server MUST NOT write JSON-RPC requests)."""
    peer.send(message)
    seen = until(peer, response_to(message["id"]))
    requests = [m for m in seen if "method" in m and "id" in m]
    assert not requests, f"Junction sent requests to a modern client: {requests}"
    peer.unsolicited += [m for m in seen[:-1] if "method" in m]
    return seen[-1]


def until(peer: RawPeer, done: Callable[[dict[str, Any]], bool], timeout: float = CALL_TIMEOUT) -> list[dict[str, Any]]:
    """Every message Junction writes up to and including the first for which `done` is true."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        message = peer.next_message(timeout=max(0.01, deadline - time.monotonic()))
        seen.append(message)
        if done(message):
            return seen


def response_to(request_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("id") == request_id and "method" not in m


def tag(message: dict[str, Any]) -> Any:
    """The subscription id a notification carries in `_meta`, if any."""
    return ((message.get("params") or {}).get("_meta") or {}).get(SUBSCRIPTION_ID)


def result_of(reply: dict[str, Any]) -> dict[str, Any]:
    assert "result" in reply, f"expected a result, got {json.dumps(reply)}"
    return reply["result"]


def check_cacheable(result: dict[str, Any], what: str) -> None:
    """caching.mdx: complete results of the list methods, resources/read and server/discover carry
    ttlMs (an integer >= 0) and cacheScope ("public" | "private")."""
    assert result.get("resultType") == "complete", f"{what}: resultType {result.get('resultType')!r}"
    ttl = result.get("ttlMs")
    assert isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0, f"{what}: ttlMs {ttl!r}"
    assert result.get("cacheScope") in ("public", "private"), f"{what}: cacheScope {result.get('cacheScope')!r}"


def check_junction_stamp(result: dict[str, Any], what: str) -> None:
    info = (result.get("_meta") or {}).get(SERVER_INFO)
    assert isinstance(info, dict) and info.get("name") == "junction", f"{what}: _meta serverInfo {info!r}"
    assert isinstance(info.get("version"), str) and info["version"], f"{what}: serverInfo version {info!r}"


def check_tool_order(names: list[str]) -> None:
    """A fixed order (changelog: tools/list SHOULD be deterministic): each server's tools together
    and sorted by name; servers in configuration order (docs/protocol.md) or by name."""
    namespaces = [name.split("__", 1)[0] for name in names]
    grouped = [ns for i, ns in enumerate(namespaces) if i == 0 or namespaces[i - 1] != ns]
    assert len(grouped) == len(set(grouped)), f"a server's tools are not together: {names}"
    for ns in grouped:
        own = [name for name in names if name.split("__", 1)[0] == ns]
        assert own == sorted(own), f"{ns}'s tools are not sorted by name: {own}"


def sdk_result(model: Any) -> dict[str, Any]:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


def text(result: types.CallToolResult) -> str:
    return harness.text_of(result)


async def failure(call: Any) -> str:
    """Await a call that must fail; the JSON-RPC error (code, message, data) or isError text. A
    -32021 error must carry the spec's data: `requiredCapabilities` is a ClientCapabilities
    object (`{"elicitation": {}}`), not a list of names."""
    try:
        result = await call
    except MCPError as e:
        if e.error.code == MISSING_REQUIRED_CLIENT_CAPABILITY:
            data = types.MissingRequiredClientCapabilityErrorData.model_validate(e.error.data)
            assert data.required_capabilities.elicitation is not None, e.error.data
        return f"{e.error.code} {e.error.message} {json.dumps(e.error.data) if e.error.data is not None else ''}"
    if isinstance(result, types.CallToolResult):
        assert result.is_error, f"the call should have failed but returned {sdk_result(result)}"
        return " ".join(getattr(c, "text", "") for c in result.content)
    raise AssertionError(f"the call should have failed but returned {sdk_result(result)}")


# --------------------------------------------------------------------------------------------------
# Every client era against every downstream era


@pytest.mark.parametrize("daemon", TRANSPORTS)
@pytest.mark.parametrize("mode", MODES)
async def test_tools_resources_and_prompts_in_every_pairing(eras_home: Home, mode: str, daemon: bool) -> None:
    modern = mode != "legacy"
    async with connect(eras_home, mode, daemon=daemon) as c:
        # auto probes server/discover: Junction answers it, so the client stays modern.
        assert c.protocol_version == (MODERN if modern else "2025-11-25")
        if mode == "auto":
            assert c.server_info is not None and c.server_info.name == "junction", c.server_info
            assert c.server_capabilities.tools is not None

        listing = await c.list_tools()
        names = [t.name for t in listing.tools]
        assert {
            "time__get_current_time", "fixture__echo", "mrtr__echo", "mrtr__confirm",
            "legacy__echo", "legacy__ask", "legacy__add_tool",
        } <= set(names), names  # fmt: skip
        assert names == [t.name for t in (await c.list_tools()).tools], "tools/list order changed between calls"
        if modern:
            check_cacheable(sdk_result(listing), "tools/list")
            check_junction_stamp(sdk_result(listing), "tools/list")
            check_tool_order(names)

        for tool, arguments, expected in (
            ("fixture__echo", {"text": "héllo, wörld"}, "héllo, wörld"),
            ("mrtr__echo", {"text": "modern downstream"}, "modern downstream"),
            ("legacy__echo", {"text": "handshake downstream"}, "handshake downstream"),
        ):
            result = await c.call_tool(tool, arguments)
            assert text(result) == expected, tool
            if modern:
                assert result.result_type == "complete"
                check_junction_stamp(sdk_result(result), tool)
        now = await c.call_tool("time__get_current_time", {"timezone": "UTC"})
        assert now.structured_content is not None and now.structured_content["timezone"] == "UTC", sdk_result(now)

        # Junction speaks to each downstream in that downstream's era, whatever the client's.
        assert text(await c.call_tool("mrtr__era", {})) == MODERN
        assert text(await c.call_tool("legacy__era", {})) in HANDSHAKE

        resources = await c.list_resources()
        uris = {str(r.uri) for r in resources.resources}
        assert {"fixture://readme", "mrtr://readme", "legacy://readme"} <= uris, uris
        templates = await c.list_resource_templates()
        assert "fixture://items/{id}" in {t.uri_template for t in templates.resource_templates}
        if modern:
            check_cacheable(sdk_result(resources), "resources/list")
            check_cacheable(sdk_result(templates), "resources/templates/list")
        for uri, expected in (
            ("fixture://readme", "Junction fixture readme."),
            ("mrtr://readme", "Junction MRTR fixture readme."),
            ("legacy://readme", "Junction legacy fixture readme."),
            ("fixture://items/7", "item 7"),
        ):
            read = await c.read_resource(uri)
            content = read.contents[0]
            assert isinstance(content, types.TextResourceContents) and content.text == expected, (uri, sdk_result(read))
            if modern:
                check_cacheable(sdk_result(read), f"resources/read {uri}")

        prompts = await c.list_prompts()
        prompt_names = {p.name for p in prompts.prompts}
        assert {"fixture__greet", "mrtr__greet", "legacy__hello"} <= prompt_names, prompt_names
        if modern:
            check_cacheable(sdk_result(prompts), "prompts/list")
        for name, expected in (
            ("fixture__greet", "Hello, Ada!"),
            ("mrtr__greet", "Hello from mrtr, Ada!"),
            ("legacy__hello", "Hello from legacy, Ada!"),
        ):
            got = await c.get_prompt(name, {"name": "Ada"})
            content = got.messages[0].content
            assert isinstance(content, types.TextContent) and content.text == expected, (name, sdk_result(got))
            if modern:
                assert got.result_type == "complete"


async def test_a_shared_handshake_only_downstream_is_probed_then_initialized(empty_home: Home) -> None:
    shared_log = empty_home.work / "shared-legacy.log"
    empty_home.cli_json(
        "server", "add", "shared", "--env", f"LEGACY_LOG={shared_log}", "--", PYTHON, str(LEGACY_SERVER)
    )  # fmt: skip
    async with connect(empty_home, MODERN, daemon=False) as c:
        assert text(await c.call_tool("shared__echo", {"text": "x"})) == "x"
    lines = log_lines(shared_log)
    requests = [line for line in lines if line.startswith("request ")]
    # server/discover first (answered -32601), then the handshake, then the call.
    assert requests[:2] == ["request server/discover", "request initialize"], lines
    assert "notification notifications/initialized" in lines, lines


async def test_a_per_session_downstream_opens_with_the_handshake(legacy_home: Home) -> None:
    """docs/protocol.md: a per-session server exists to ask its one client for input, which servers
    of both eras do over the handshake era's back-channel: Junction initializes it without a probe."""
    async with connect(legacy_home, MODERN, daemon=False) as c:
        assert text(await c.call_tool("legacy__echo", {"text": "x"})) == "x"
    lines = log_lines(legacy_log(legacy_home))
    requests = [line for line in lines if line.startswith("request ")]
    assert requests[0] == "request initialize", lines
    assert "request server/discover" not in requests, lines


async def test_a_modern_downstream_slower_to_start_than_the_probe_is_not_lost(empty_home: Home) -> None:
    """Junction probes a new downstream with server/discover under a short timeout (5 s). A server
    that starts slower (a cold Python on a busy machine) answers the probe after Junction has
    given up and sent `initialize`; having answered discover it serves 2026-07-28 only, and refuses
    the initialize with -32022 naming its versions. That error is itself modern evidence: the SDK's
    client re-probes on it (mcp/client/_probe.py) and Junction must too, rather than lose the
    server."""
    script = f"sleep {SLOW_START_SECONDS}; exec {shlex.quote(PYTHON)} {shlex.quote(str(MRTR_SERVER))}"
    empty_home.cli_json("server", "add", "slow", "--", "/bin/sh", "-c", script)
    async with connect(empty_home, "legacy", daemon=False) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert "slow__era" in names, f"the slow server's tools are missing: {sorted(names)}"
        assert text(await c.call_tool("slow__era", {})) == MODERN


# --------------------------------------------------------------------------------------------------
# Raw JSON-RPC: server/discover, -32022, both eras on one connection


@pytest.mark.parametrize("daemon", TRANSPORTS)
def test_server_discover_describes_junction(legacy_home: Home, daemon: bool) -> None:
    peer = RawPeer(legacy_home, embedded=not daemon)
    try:
        reply = exchange(peer, modern_request("discover-1", "server/discover"))
        result = result_of(reply)
        check_cacheable(result, "server/discover")
        assert result["supportedVersions"] == SUPPORTED, result["supportedVersions"]
        capabilities = result.get("capabilities") or {}
        for capability in ("tools", "resources", "prompts"):
            assert isinstance(capabilities.get(capability), dict), f"no {capability} capability: {capabilities}"
        assert isinstance(result.get("instructions"), str) and result["instructions"], result.get("instructions")
        check_junction_stamp(result, "server/discover")
        types.DiscoverResult.model_validate(result)
    finally:
        peer.close()


@pytest.mark.parametrize("daemon", TRANSPORTS)
def test_modern_requests_are_served_without_initialize(legacy_home: Home, daemon: bool) -> None:
    peer = RawPeer(legacy_home, embedded=not daemon)
    try:
        listing = result_of(exchange(peer, modern_request("list-1", "tools/list")))
        check_cacheable(listing, "tools/list")
        check_junction_stamp(listing, "tools/list")
        names = [t["name"] for t in listing["tools"]]
        assert "legacy__echo" in names, names
        check_tool_order(names)

        call = result_of(exchange(peer, modern_request(
            "call-1", "tools/call", {"name": "legacy__echo", "arguments": {"text": "stateless"}}
        )))  # fmt: skip
        assert call.get("resultType") == "complete", call
        assert call["content"] == [{"type": "text", "text": "stateless"}], call
        check_junction_stamp(call, "tools/call")

        read = result_of(exchange(peer, modern_request("read-1", "resources/read", {"uri": "legacy://readme"})))
        check_cacheable(read, "resources/read")
        assert read["contents"][0]["text"] == "Junction legacy fixture readme.", read

        # A downstream's list change is no reason to write to a modern client that did not listen.
        added = result_of(exchange(peer, modern_request(
            "add-1", "tools/call", {"name": "legacy__add_tool", "arguments": {}}
        )))  # fmt: skip
        assert added["content"][0]["text"] == "dynamic_1", added
        exchange(peer, modern_request("list-2", "tools/list"))
        assert not peer.unsolicited, f"unsolicited messages on a modern connection: {peer.unsolicited}"
    finally:
        peer.close()


@pytest.mark.parametrize("daemon", TRANSPORTS)
def test_an_unknown_protocol_version_is_refused_with_the_supported_ones(legacy_home: Home, daemon: bool) -> None:
    peer = RawPeer(legacy_home, embedded=not daemon)
    try:
        for request_id, method in (("bad-list", "tools/list"), ("bad-discover", "server/discover")):
            reply = exchange(peer, modern_request(request_id, method, version="1999-01-01"))
            error = reply.get("error")
            assert error is not None, f"{method} at 1999-01-01 should be refused: {json.dumps(reply)}"
            assert error["code"] == UNSUPPORTED_PROTOCOL_VERSION, error
            assert error.get("data", {}).get("supported") == SUPPORTED, error
            assert error["data"].get("requested") == "1999-01-01", error
        # The connection serves a good version afterwards.
        listing = result_of(exchange(peer, modern_request("good-list", "tools/list")))
        assert "legacy__echo" in [t["name"] for t in listing["tools"]]
    finally:
        peer.close()


def test_both_eras_on_one_connection(legacy_home: Home) -> None:
    peer = RawPeer(legacy_home)
    try:
        modern = result_of(exchange(peer, modern_request("m1", "tools/list")))
        check_cacheable(modern, "tools/list before initialize")
        init = peer.initialize("2025-06-18")
        assert init["protocolVersion"] == "2025-06-18", init
        peer.send({"jsonrpc": "2.0", "id": "h1", "method": "tools/list"})
        legacy = result_of(peer.response())
        assert {t["name"] for t in legacy["tools"]} == {t["name"] for t in modern["tools"]}
        again = result_of(exchange(peer, modern_request("m2", "tools/list")))
        check_cacheable(again, "tools/list after initialize")
    finally:
        peer.close()


async def test_auto_mode_through_the_daemon_adopts_the_modern_era(legacy_home: Home) -> None:
    """mode="auto" probes server/discover; the SDK keeps the whole DiscoverResult."""
    async with connect(legacy_home, "auto", daemon=True) as c:
        discover = c.session.discover_result
        assert discover is not None, "auto mode fell back to initialize: server/discover was refused"
        assert discover.supported_versions == SUPPORTED
        assert c.instructions
        assert text(await c.call_tool("legacy__echo", {"text": "modern"})) == "modern"


@pytest.mark.parametrize("daemon", TRANSPORTS)
async def test_progress_and_cancellation_of_a_modern_request(empty_home: Home, daemon: bool) -> None:
    """Request-scoped notifications (progress) still reach a modern client; its
    notifications/cancelled reaches the downstream."""
    empty_home.add_fixture()
    updates: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append(progress)

    async with connect(empty_home, MODERN, daemon=daemon) as c:
        result = await c.call_tool("fixture__slow", {"seconds": 0.5}, progress_callback=on_progress)
        assert text(result) == "slept 0.5"
        assert updates and updates == sorted(updates), updates
        with anyio.move_on_after(1.0) as scope:
            await c.call_tool("fixture__slow", {"seconds": 20})
        assert scope.cancelled_caught
        await eventually(lambda: "cancelled slow" in empty_home.fixture_events())
        assert text(await c.call_tool("fixture__echo", {"text": "after"})) == "after"


@pytest.mark.parametrize("daemon", TRANSPORTS)
async def test_log_messages_reach_a_modern_client_only_at_the_level_it_asked_for(mrtr_home: Home, daemon: bool) -> None:
    """2026-07-28 logging is opt-in per request (`_meta` logLevel): none without it, and only at or
    above the level asked for. mrtr__chatty logs at debug, info and warning."""
    heard: list[tuple[str, Any]] = []

    async def logged(params: types.LoggingMessageNotificationParams) -> None:
        heard.append((params.level, params.data))

    async with connect(mrtr_home, MODERN, daemon=daemon, logging=logged) as c:
        assert text(await c.call_tool("mrtr__chatty", {})) == "said three things"
        assert text(await c.call_tool("mrtr__echo", {"text": "x"})) == "x"  # a round trip for stragglers
        assert heard == [], f"log messages for requests that asked for none: {heard}"

    async with connect(mrtr_home, MODERN, daemon=daemon, logging=logged, log_level="info") as c:
        assert text(await c.call_tool("mrtr__chatty", {})) == "said three things"
        await eventually(lambda: [level for level, _ in heard] == ["info", "warning"])
        assert text(await c.call_tool("mrtr__echo", {"text": "x"})) == "x"
        assert [level for level, _ in heard] == ["info", "warning"], heard


def test_removed_methods_and_a_bad_log_level_are_refused_to_modern_requests(legacy_home: Home) -> None:
    """docs/protocol.md: logging/setLevel and resources/(un)subscribe carrying modern _meta get
    -32601 saying what replaces them; an unknown logLevel in _meta gets -32602."""
    peer = RawPeer(legacy_home)
    try:
        for request_id, method, params in (
            ("set-level", "logging/setLevel", {"level": "info"}),
            ("subscribe", "resources/subscribe", {"uri": "legacy://readme"}),
            ("unsubscribe", "resources/unsubscribe", {"uri": "legacy://readme"}),
        ):
            reply = exchange(peer, modern_request(request_id, method, params))
            assert reply.get("error", {}).get("code") == -32601, f"{method}: {json.dumps(reply)}"
        bad = modern_request("bad-level", "tools/list")
        bad["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = "loud"
        reply = exchange(peer, bad)
        assert reply.get("error", {}).get("code") == -32602, json.dumps(reply)
    finally:
        peer.close()


# --------------------------------------------------------------------------------------------------
# subscriptions/listen


@pytest.mark.parametrize("daemon", TRANSPORTS)
def test_listen_stream_acknowledges_tags_and_ends_on_cancel(legacy_home: Home, daemon: bool) -> None:
    peer = RawPeer(legacy_home, embedded=not daemon)
    try:
        peer.send(modern_request("sub-1", "subscriptions/listen", {"notifications": {"toolsListChanged": True}}))
        first = peer.next_message()
        assert first.get("method") == "notifications/subscriptions/acknowledged", first
        assert first["params"]["_meta"][SUBSCRIPTION_ID] == "sub-1", first
        assert first["params"]["notifications"].get("toolsListChanged") is True, first

        peer.send(modern_request("add-1", "tools/call", {"name": "legacy__add_tool", "arguments": {}}))
        seen = until(peer, response_to("add-1"))
        if not any(m.get("method") == "notifications/tools/list_changed" for m in seen):
            seen += until(peer, lambda m: m.get("method") == "notifications/tools/list_changed", EVENT_TIMEOUT)
        reply = next(m for m in seen if response_to("add-1")(m))
        assert result_of(reply)["content"][0]["text"] == "dynamic_1", reply
        for note in (m for m in seen if "method" in m):
            assert note["method"] == "notifications/tools/list_changed", f"unrequested message: {note}"
            assert tag(note) == "sub-1", f"a notification without the subscription id: {note}"
        listing = result_of(exchange(peer, modern_request("list-1", "tools/list")))
        assert "legacy__dynamic_1" in [t["name"] for t in listing["tools"]]

        # Cancel the subscription: no more notifications for it, and no response to it. Junction may
        # announce one change more than once (relayed, then after re-discovery); the list above
        # waited for the re-discovery. A second subscription, opened now, witnesses the next change.
        peer.send(modern_request("sub-2", "subscriptions/listen", {"notifications": {"toolsListChanged": True}}))
        until(peer, lambda m: m.get("method") == "notifications/subscriptions/acknowledged" and tag(m) == "sub-2")
        peer.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "sub-1"}})
        # Output is ordered: what sub-1 was sent before the cancellation took effect comes before
        # this answer; after it, nothing more may come for sub-1.
        peer.send(modern_request("sync", "tools/list"))
        until(peer, response_to("sync"))
        peer.send(modern_request("add-2", "tools/call", {"name": "legacy__add_tool", "arguments": {}}))
        after = until(peer, response_to("add-2"))
        if not any(tag(m) == "sub-2" for m in after):
            after += until(peer, lambda m: tag(m) == "sub-2", EVENT_TIMEOUT)
        peer.send(modern_request("list-2", "tools/list"))
        after += until(peer, response_to("list-2"))
        stray = [m for m in after if tag(m) == "sub-1" or m.get("id") == "sub-1"]
        assert not stray, f"messages for a cancelled subscription: {stray}"
        assert "legacy__dynamic_2" in [t["name"] for t in result_of(after[-1])["tools"]]
    finally:
        peer.close()


def test_a_handshake_client_refetching_on_list_changed_sees_the_change(legacy_home: Home) -> None:
    """The point of notifications/tools/list_changed is that a refetch shows the change: Junction
    must have its own catalog up to date before it tells the client. The race shows on a change
    right after a session starts, so: a few fresh sessions, one change each."""
    for attempt in range(4):
        peer = RawPeer(legacy_home)
        try:
            peer.initialize()
            peer.send({"jsonrpc": "2.0", "id": "add", "method": "tools/call",
                       "params": {"name": "legacy__add_tool", "arguments": {}}})  # fmt: skip
            seen = until(peer, response_to("add"))
            if not any(m.get("method") == "notifications/tools/list_changed" for m in seen):
                seen += until(peer, lambda m: m.get("method") == "notifications/tools/list_changed", EVENT_TIMEOUT)
            peer.send({"jsonrpc": "2.0", "id": "list", "method": "tools/list"})
            listing = result_of(until(peer, response_to("list"))[-1])
            names = [t["name"] for t in listing["tools"]]
            order = [m.get("method") or m.get("id") for m in seen]
            assert "legacy__dynamic_1" in names, f"session {attempt}: refetch after {order} is stale: {names}"
        finally:
            peer.close()


def test_daemon_shutdown_closes_a_listen_stream_gracefully(legacy_home: Home) -> None:
    """subscriptions.mdx, Graceful Closure: a server ending a subscription on its own initiative
    answers the listen request with a complete result carrying the subscription id in _meta (a
    bare transport drop would mean an unexpected disconnect)."""
    peer = RawPeer(legacy_home, embedded=False)
    try:
        peer.send(modern_request("sub-9", "subscriptions/listen", {"notifications": {"toolsListChanged": True}}))
        ack = peer.next_message()
        assert ack.get("method") == "notifications/subscriptions/acknowledged", ack
        # The daemon writes daemon.json once its HTTP listener is up, after it already serves MCP.
        deadline = time.monotonic() + harness.START_TIMEOUT
        while legacy_home.daemon_info() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert legacy_home.stop_daemon() is not None, "no daemon.json: the daemon never came up"
        seen = until(peer, response_to("sub-9"))
        closing = result_of(seen[-1])
        assert closing.get("resultType") == "complete", closing
        assert (closing.get("_meta") or {}).get(SUBSCRIPTION_ID) == "sub-9", closing
    finally:
        peer.close()


@pytest.mark.parametrize("daemon", TRANSPORTS)
@pytest.mark.parametrize("mode", ["2026-07-28", "auto"])
async def test_sdk_listen_sees_a_downstream_tools_change(legacy_home: Home, mode: str, daemon: bool) -> None:
    async with connect(legacy_home, mode, daemon=daemon) as c:
        assert "legacy__dynamic_1" not in {t.name for t in (await c.list_tools()).tools}
        async with c.listen(tools_list_changed=True) as subscription:
            assert subscription.honored.tools_list_changed is True, subscription.honored
            assert text(await c.call_tool("legacy__add_tool", {})) == "dynamic_1"
            with anyio.fail_after(EVENT_TIMEOUT):
                event = await subscription.__anext__()
            assert isinstance(event, ToolsListChanged), event
            names = {t.name for t in (await c.list_tools()).tools}
            assert "legacy__dynamic_1" in names, f"the refetch after the change is stale: {sorted(names)}"


@pytest.mark.parametrize("daemon", TRANSPORTS)
async def test_sdk_listen_sees_a_modern_downstreams_tools_change(empty_home: Home, daemon: bool) -> None:
    """The fixture (spoken to at 2026-07-28) announces its new tool to Junction; a modern client
    listening hears of it, and its refetch shows the tool."""
    empty_home.add_fixture()
    async with connect(empty_home, MODERN, daemon=daemon) as c:
        assert "fixture__dynamic_1" not in {t.name for t in (await c.list_tools()).tools}
        async with c.listen(tools_list_changed=True) as subscription:
            assert text(await c.call_tool("fixture__add_tool", {})) == "dynamic_1"
            with anyio.fail_after(EVENT_TIMEOUT):
                event = await subscription.__anext__()
            assert isinstance(event, ToolsListChanged), event
            names = {t.name for t in (await c.list_tools()).tools}
            assert "fixture__dynamic_1" in names, f"the refetch after the change is stale: {sorted(names)}"
        assert text(await c.call_tool("fixture__dynamic_1", {})) == "dynamic_1"


async def test_sdk_listen_sees_a_route_added_through_the_cli(empty_home: Home) -> None:
    empty_home.add_fixture()
    root = empty_home.add_workspace("A")
    async with connect(empty_home, MODERN, daemon=True, cwd=root) as c:
        assert "fixture__echo" in {t.name for t in (await c.list_tools()).tools}
        async with c.listen(tools_list_changed=True) as subscription:
            empty_home.add_route("--workspace", "A", "--tool", "fixture__echo", "--policy", "deny")
            with anyio.fail_after(EVENT_TIMEOUT):
                event = await subscription.__anext__()
            assert isinstance(event, ToolsListChanged), event
        names = {t.name for t in (await c.list_tools()).tools}
        assert "fixture__echo" not in names and "fixture__add" in names


@pytest.mark.parametrize("daemon", TRANSPORTS)
async def test_sdk_listen_sees_a_subscribed_resource_change(legacy_home: Home, daemon: bool) -> None:
    async with connect(legacy_home, MODERN, daemon=daemon) as c:
        async with c.listen(resource_subscriptions=["legacy://readme"]) as subscription:
            assert subscription.honored.resource_subscriptions == ["legacy://readme"], subscription.honored
            # The legacy server announces only resources its client (Junction) subscribed to.
            assert text(await c.call_tool("legacy__touch", {"uri": "legacy://readme"})) == "updated legacy://readme"
            with anyio.fail_after(EVENT_TIMEOUT):
                event = await subscription.__anext__()
            assert isinstance(event, ResourceUpdated) and event.uri == "legacy://readme", event


# --------------------------------------------------------------------------------------------------
# Multi round-trip: elicitation, sampling and roots across the eras


def elicitation_answering(answer: dict[str, Any], seen: list[Any]) -> Any:
    async def callback(context: Any, params: Any) -> types.ElicitResult:
        seen.append(params)
        return types.ElicitResult(action="accept", content=answer)

    return callback


@pytest.mark.parametrize("daemon", TRANSPORTS)
def test_raw_modern_client_gets_an_input_required_result_for_a_handshake_downstreams_elicitation(
    legacy_home: Home, daemon: bool
) -> None:
    """legacy__ask sends elicitation/create to Junction mid-call; a modern client must get it as an
    InputRequiredResult (never as a request on its stdout) and finish the call by retrying."""
    peer = RawPeer(legacy_home, embedded=not daemon)
    capabilities = {"elicitation": {"form": {}}}
    call = {"name": "legacy__ask", "arguments": {"question": "Favourite colour?"}}
    try:
        first = result_of(exchange(peer, modern_request("ask-1", "tools/call", call, capabilities=capabilities)))
        assert first.get("resultType") == "input_required", first
        requests = first.get("inputRequests") or {}
        assert len(requests) == 1, first
        (key, request), = requests.items()
        assert request["method"] == "elicitation/create", request
        assert request["params"]["message"] == "Favourite colour?", request
        assert "answer" in request["params"]["requestedSchema"]["properties"], request
        assert "ttlMs" not in first and "cacheScope" not in first, "input_required results carry no cache hints"
        types.InputRequiredResult.model_validate(first)

        retry = {**call, "inputResponses": {key: {"action": "accept", "content": {"answer": "blue"}}}}
        if "requestState" in first:
            retry["requestState"] = first["requestState"]
        final = result_of(exchange(peer, modern_request("ask-2", "tools/call", retry, capabilities=capabilities)))
        assert final.get("resultType") == "complete", final
        assert final["content"] == [{"type": "text", "text": 'accept: {"answer": "blue"}'}], final
    finally:
        peer.close()
    assert 'elicit answer {"action": "accept", "content": {"answer": "blue"}}' in log_lines(legacy_log(legacy_home))


@pytest.mark.parametrize("daemon", TRANSPORTS)
def test_raw_modern_client_retries_a_modern_downstreams_input_request_with_its_state(
    mrtr_home: Home, daemon: bool
) -> None:
    """modern client, modern server: the InputRequiredResult reaches the client; the retry carries
    the client's inputResponses and the requestState back; a state Junction did not issue is
    refused with -32602 (docs/protocol.md) and never reaches the server."""
    peer = RawPeer(mrtr_home, embedded=not daemon)
    capabilities = {"elicitation": {"form": {}}}
    call = {"name": "mrtr__confirm", "arguments": {"question": "Proceed?"}}
    try:
        first = result_of(exchange(peer, modern_request("c-1", "tools/call", call, capabilities=capabilities)))
        assert first.get("resultType") == "input_required", first
        (key, request), = (first.get("inputRequests") or {}).items()
        assert request["method"] == "elicitation/create" and request["params"]["message"] == "Proceed?", request
        state = first.get("requestState")
        assert isinstance(state, str) and state, first
        answers = {key: {"action": "accept", "content": {"value": True}}}

        forged = {**call, "inputResponses": answers, "requestState": state[:-2] + ("AA" if state[-2:] != "AA" else "BB")}
        reply = exchange(peer, modern_request("c-2", "tools/call", forged, capabilities=capabilities))
        assert reply.get("error", {}).get("code") == -32602, f"a forged requestState was not refused: {reply}"

        retry = {**call, "inputResponses": answers, "requestState": state}
        final = result_of(exchange(peer, modern_request("c-3", "tools/call", retry, capabilities=capabilities)))
        assert final.get("resultType") == "complete", final
        assert final["content"][0]["text"] == "yes", final
    finally:
        peer.close()
    answers_seen = [line for line in log_lines(mrtr_log(mrtr_home)) if line.startswith("confirm ") and "answer" in line]
    assert answers_seen == [f"confirm {MODERN} answer state=confirm:Proceed?"], answers_seen


@pytest.mark.parametrize("daemon", TRANSPORTS)
@pytest.mark.parametrize("mode", ["2026-07-28", "auto"])
async def test_sdk_modern_client_answers_a_handshake_downstreams_elicitation(
    legacy_home: Home, mode: str, daemon: bool
) -> None:
    seen: list[Any] = []
    callback = elicitation_answering({"answer": "green"}, seen)
    async with connect(legacy_home, mode, daemon=daemon, elicitation=callback) as c:
        assert c.protocol_version == MODERN
        # One round by hand: the first answer is an InputRequiredResult.
        first = await c.session.call_tool("legacy__ask", {"question": "Colour?"}, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult), sdk_result(first)
        # The SDK's driver answers through elicitation_callback and retries.
        result = await c.call_tool("legacy__ask", {"question": "Favourite colour?"})
        assert text(result) == 'accept: {"answer": "green"}'
    assert [p.message for p in seen] == ["Favourite colour?"], seen


@pytest.mark.parametrize("daemon", TRANSPORTS)
async def test_handshake_client_answers_a_handshake_downstreams_elicitation(legacy_home: Home, daemon: bool) -> None:
    """The handshake-era row of the table: relayed as a server-to-client request, as before."""
    seen: list[Any] = []
    callback = elicitation_answering({"answer": "red"}, seen)
    async with connect(legacy_home, "legacy", daemon=daemon, elicitation=callback) as c:
        assert text(await c.call_tool("legacy__ask", {"question": "Colour?"})) == 'accept: {"answer": "red"}'
    assert [p.message for p in seen] == ["Colour?"], seen


@pytest.mark.parametrize("daemon", TRANSPORTS)
async def test_handshake_client_answers_a_modern_downstreams_input_requests(mrtr_home: Home, daemon: bool) -> None:
    """mrtr__* return InputRequiredResults to Junction (it speaks 2026-07-28 to them); a
    handshake-era client gets them as elicitation/create, sampling/createMessage and roots/list
    requests, and Junction retries the downstream with the answers."""
    seen: list[Any] = []
    folder = (mrtr_home.work / "project").resolve()
    folder.mkdir()

    async def sampling(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        seen.append(params)
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="from the client"), model="fake"
        )

    async def roots(context: Any) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri=folder.as_uri(), name="project")])

    callback = elicitation_answering({"value": True}, seen)
    async with connect(
        mrtr_home, "legacy", daemon=daemon, elicitation=callback, sampling=sampling, roots=roots
    ) as c:
        assert text(await c.call_tool("mrtr__confirm", {"question": "Deploy?"})) == "yes"
        assert text(await c.call_tool("mrtr__ask_llm", {"prompt": "Say hi"})) == "from the client"
        assert text(await c.call_tool("mrtr__roots", {})) == folder.as_uri()
    assert any(getattr(p, "message", None) == "Deploy?" for p in seen), seen
    lines = log_lines(mrtr_log(mrtr_home))
    for tool, state in (("confirm", "confirm:Deploy?"), ("ask_llm", "llm"), ("roots", "roots")):
        assert f"{tool} {MODERN} ask" in lines, lines
        assert f"{tool} {MODERN} answer state={state}" in lines, lines
    assert not [line for line in lines if " push" in line], f"Junction spoke the handshake era to mrtr: {lines}"


@pytest.mark.parametrize("daemon", TRANSPORTS)
@pytest.mark.parametrize("mode", ["2026-07-28", "legacy"])
async def test_prompts_get_and_resources_read_ask_for_input_in_both_eras(
    mrtr_home: Home, mode: str, daemon: bool
) -> None:
    """MRTR covers prompts/get and resources/read too: mrtr__introduce and mrtr://whoami ask for the
    user's name. A modern client gets the InputRequiredResult through; a handshake-era client is
    asked with elicitation/create and Junction retries the server."""
    seen: list[Any] = []
    callback = elicitation_answering({"name": "Ada"}, seen)
    async with connect(mrtr_home, mode, daemon=daemon, elicitation=callback) as c:
        prompt = await c.get_prompt("mrtr__introduce")
        content = prompt.messages[0].content
        assert isinstance(content, types.TextContent) and content.text == "Introduce Ada to the team.", sdk_result(prompt)
        read = await c.read_resource("mrtr://whoami")
        item = read.contents[0]
        assert isinstance(item, types.TextResourceContents) and item.text == "You are Ada.", sdk_result(read)
    assert [p.message for p in seen] == ["Your name, for the prompt?", "Your name, for the resource?"], seen
    lines = log_lines(mrtr_log(mrtr_home))
    for what in ("introduce", "whoami"):
        assert f"{what} {MODERN} answer state={what}" in lines, lines


@pytest.mark.parametrize("daemon", TRANSPORTS)
async def test_modern_client_and_modern_downstream_pass_input_requests_through(mrtr_home: Home, daemon: bool) -> None:
    seen: list[Any] = []
    callback = elicitation_answering({"value": False}, seen)
    async with connect(mrtr_home, MODERN, daemon=daemon, elicitation=callback) as c:
        first = await c.session.call_tool("mrtr__confirm", {"question": "Ship it?"}, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult), sdk_result(first)
        assert first.input_requests and len(first.input_requests) == 1, sdk_result(first)
        assert first.request_state, "the downstream's requestState must reach the client"
        assert text(await c.call_tool("mrtr__confirm", {"question": "Ship it?"})) == "no"
    assert [p.message for p in seen] == ["Ship it?"], seen
    assert f"confirm {MODERN} answer state=confirm:Ship it?" in log_lines(mrtr_log(mrtr_home))


async def test_modern_client_without_elicitation_gets_a_clear_error_from_a_handshake_downstream(
    legacy_home: Home,
) -> None:
    async with connect(legacy_home, MODERN, daemon=False) as c:
        message = await failure(c.session.call_tool("legacy__ask", {"question": "?"}, allow_input_required=True))
        assert "elicitation" in message.lower(), message
        # The session goes on.
        assert text(await c.call_tool("legacy__echo", {"text": "still here"})) == "still here"


def test_a_handshake_downstreams_question_to_a_modern_client_without_the_capability_is_always_answered(
    legacy_home: Home,
) -> None:
    """legacy__ask sends elicitation/create within a millisecond of the tools/call; Junction must
    answer it with -32021 every time (the server then fails the call), never leave it unanswered.
    It was left unanswered in roughly one fresh session in six: hence several fresh sessions."""
    call = {"name": "legacy__ask", "arguments": {"question": "?"}}
    for attempt in range(6):
        peer = RawPeer(legacy_home)
        try:
            reply = exchange(peer, modern_request("ask", "tools/call", call))
            if "error" in reply:
                assert reply["error"]["code"] == MISSING_REQUIRED_CLIENT_CAPABILITY, reply
            else:
                result = reply["result"]
                assert result.get("isError") and "-32021" in result["content"][0]["text"], reply
        except AssertionError as e:
            tail = "\n".join(log_lines(legacy_log(legacy_home))[-4:])
            raise AssertionError(f"session {attempt}: {e}\nlegacy server's last words:\n{tail}") from None
        finally:
            peer.close()


async def test_modern_client_without_elicitation_is_not_sent_elicitation_input_requests(mrtr_home: Home) -> None:
    """mrtr__confirm asks for elicitation whatever the client declared; Junction must not pass an
    elicitation input request to a client that did not declare the capability (mrtr.mdx)."""
    async with connect(mrtr_home, MODERN, daemon=False) as c:
        message = await failure(c.session.call_tool("mrtr__confirm", {"question": "?"}, allow_input_required=True))
        assert "elicitation" in message.lower(), message


@pytest.mark.parametrize("daemon", TRANSPORTS)
async def test_handshake_client_without_elicitation_gets_a_clear_error_from_a_modern_downstream(
    mrtr_home: Home, daemon: bool
) -> None:
    async with connect(mrtr_home, "legacy", daemon=daemon) as c:
        message = await failure(c.call_tool("mrtr__confirm", {"question": "?"}))
        assert "elicitation" in message.lower(), message
        assert text(await c.call_tool("mrtr__echo", {"text": "still here"})) == "still here"
