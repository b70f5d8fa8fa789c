"""Remote (HTTP) downstreams: FastMCP servers over streamable HTTP and over legacy HTTP+SSE, run as
real processes on free ports, reached through `junction stdio` (embedded and through the daemon)
with the official SDK client: calls, progress, list_changed, route rules, audit, auth scope
headers, faults (down, restarted, garbage, 500) and concurrency."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

import mcp_types as types
from harness import PYTHON, START_TIMEOUT, Home, Recorder, api, call_error, eventually, gateway, text_of

pytestmark = pytest.mark.anyio

HERE = Path(__file__).resolve().parent
REMOTE = HERE / "remote_server.py"
BROKEN = HERE / "broken_http_server.py"
PATHS = {"streamable-http": "/mcp", "sse": "/sse"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server on port {port} exited with {proc.returncode}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {START_TIMEOUT} s")


@contextmanager
def remote(home: Home, transport: str, port: int | None = None, script: Path = REMOTE) -> Iterator[str]:
    """Runs the fixture (or the broken server, `transport` its mode) on a port; yields its URL."""
    port = port or free_port()
    env = dict(os.environ) | {"FIXTURE_LOG": str(home.work / "remote.log")}
    log = open(home.work / f"remote-{port}.out", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([PYTHON, str(script), transport, str(port)], env=env, stdout=log, stderr=log)
    try:
        wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}{PATHS.get(transport, '/mcp')}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def add_remote(home: Home, url: str, *extra: str, name: str = "remote") -> dict[str, Any]:
    return home.cli_json("server", "add", name, "--url", url, "--call-timeout", "20", *extra)


def remote_events(home: Home) -> list[str]:
    """What the remote fixture logged ("start <pid>", "cancelled slow", …)."""
    try:
        return (home.work / "remote.log").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


async def tool_names(session: Any) -> set[str]:
    return {tool.name for tool in (await session.list_tools()).tools}


@pytest.mark.parametrize(("transport", "pinned"), [("streamable-http", True), ("sse", True), ("sse", False)])
@pytest.mark.parametrize("daemon", [False, True])
async def test_tools_list_and_call(empty_home: Home, transport: str, pinned: bool, daemon: bool) -> None:
    """Both flavours, pinned or (legacy SSE) found by the spec's fallback, embedded and via the daemon."""
    home = empty_home
    with remote(home, transport) as url:
        extra = ("--transport", transport) if pinned else ()
        server = add_remote(home, url, *extra)
        assert server["http_transport"] == (transport if pinned else "auto")
        assert f"http ({server['http_transport']})" in home.cli("server", "show", "remote").stdout
        async with gateway(home, daemon=daemon) as session:
            assert {"remote__echo", "remote__add", "remote__slow"} <= await tool_names(session)
            assert text_of(await session.call_tool("remote__echo", {"text": "héllo"})) == "héllo"
            assert text_of(await session.call_tool("remote__add", {"a": 2, "b": 40})) == "42"
        rows = await eventually(lambda: [r for r in home.audit_rows() if r["tool_name"] == "remote__add"])
        assert rows[0]["status"] == "ok" and rows[0]["downstream_id"] == server["id"]


# A shared instance is probed and spoken to statelessly (2026-07-28: list changes on a
# subscriptions/listen stream); a per-session one opens with initialize (a session, the GET stream).
ERAS = {"modern": (), "handshake": ("--instance", "per-session")}


@pytest.mark.parametrize("era", list(ERAS))
@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_progress_and_list_changed_reach_the_client(empty_home: Home, transport: str, era: str) -> None:
    home = empty_home
    with remote(home, transport) as url:
        add_remote(home, url, *ERAS[era])
        recorder = Recorder()
        progress: list[str] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")

        async with gateway(home, daemon=True, recorder=recorder) as session:
            result = await session.call_tool("remote__slow", {"seconds": 0.5}, progress_callback=on_progress)
            assert text_of(result) == "slept 0.5"
            assert "step 5/5" in progress, progress
            assert "remote__dynamic_1" not in await tool_names(session)
            mark = len(recorder.notifications)
            assert text_of(await session.call_tool("remote__add_tool", {})) == "dynamic_1"
            await recorder.wait_for("notifications/tools/list_changed", after=mark)
            assert "remote__dynamic_1" in await tool_names(session)
            assert text_of(await session.call_tool("remote__dynamic_1", {})) == "dynamic_1"


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_sampling_and_elicitation_from_a_remote_server_reach_the_client(empty_home: Home, transport: str) -> None:
    """Server-to-client requests made during a call (on its answer stream) go through the same relay as stdio's."""
    home = empty_home

    async def sampling(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="from the client"), model="fake"
        )

    async def elicitation(context: Any, params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"value": True})

    with remote(home, transport) as url:
        add_remote(home, url, *ERAS["handshake"])
        async with gateway(home, daemon=True, sampling_callback=sampling, elicitation_callback=elicitation) as s:
            assert text_of(await s.call_tool("remote__ask_llm", {"prompt": "hi"})) == "from the client"
            assert text_of(await s.call_tool("remote__confirm", {"question": "sure?"})) == "yes"


async def test_route_rules_apply_to_remote_tools(empty_home: Home) -> None:
    home = empty_home
    with remote(home, "streamable-http") as url:
        add_remote(home, url)
        root = home.add_workspace("A")
        home.add_route("--workspace", "A", "--tool", "remote__write_file", "--policy", "deny", "--name", "no-write")
        home.add_route("--workspace", "A", "--tool", "remote__echo", "--policy", "approve", "--name", "ask-echo")
        async with gateway(home, cwd=root, daemon=True) as session:
            assert "remote__write_file" not in await tool_names(session)
            assert "remote__write_file" in await call_error(session, "remote__write_file", {"path": "x"})
            outcome: dict[str, Any] = {}

            async def parked() -> None:
                outcome["result"] = await session.call_tool("remote__echo", {"text": "ship it"})

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(parked)

                def pending() -> Any:
                    status, body = api(home, "GET", "/api/v1/approvals")
                    assert status == 200
                    return next((a for a in body if a["tool_name"] == "remote__echo"), None)

                approval = await eventually(pending)
                assert "result" not in outcome
                status, _ = api(home, "POST", f"/api/v1/approvals/{approval['id']}/resolve", body={"approved": True})
                assert status == 200
            assert text_of(outcome["result"]) == "ship it"
        assert "write " not in (home.work / "remote.log").read_text()
        rows = await eventually(lambda: [r for r in home.audit_rows() if r["tool_name"] == "remote__echo"])
        assert rows[0]["approval_id"] == approval["id"] and rows[0]["status"] == "ok"


async def test_auth_scope_and_definition_headers_reach_the_server(empty_home: Home) -> None:
    home = empty_home
    with remote(home, "streamable-http") as url:
        add_remote(home, url, "--header", "X-Team=blue")
        home.cli_json("scope", "add", "remote-key", "--server", "remote", "--header", "Authorization=Bearer s3cr3t-t0ken")
        home.add_route("--global", "--tool", "remote__*", "--server", "remote", "--scope", "remote-key")
        async with gateway(home) as session:
            assert text_of(await session.call_tool("remote__header", {"name": "Authorization"})) == "Bearer s3cr3t-t0ken"
            assert text_of(await session.call_tool("remote__header", {"name": "X-Team"})) == "blue"
    logs = "".join(p.read_text(errors="replace") for p in (home.path / "logs").glob("*") if p.is_file())
    assert "s3cr3t-t0ken" not in logs + home.stderr_text()


async def test_a_server_that_is_down_fails_clearly_and_is_retried(empty_home: Home) -> None:
    home = empty_home
    port = free_port()
    add_remote(home, f"http://127.0.0.1:{port}/mcp")
    async with gateway(home, daemon=True) as session:
        text = await call_error(session, "remote__echo", {"text": "hi"})
        assert "remote" in text and f"127.0.0.1:{port}/mcp" in text and "connection refused" in text, text
        with remote(home, "streamable-http", port=port):

            async def answered() -> bool:
                try:
                    return text_of(await session.call_tool("remote__echo", {"text": "up"})) == "up"
                except Exception:  # noqa: BLE001 - still in backoff
                    return False

            deadline = time.monotonic() + 20
            while not await answered():
                assert time.monotonic() < deadline, "the pool never reached the server once it was up"
                await anyio.sleep(0.5)


@pytest.mark.parametrize("era", list(ERAS))
async def test_a_server_restarted_mid_session_is_initialized_again(empty_home: Home, era: str) -> None:
    home = empty_home
    port = free_port()
    with remote(home, "streamable-http", port=port) as url:
        add_remote(home, url, *ERAS[era])
        async with gateway(home, daemon=True) as session:
            assert text_of(await session.call_tool("remote__echo", {"text": "one"})) == "one"
            with _restarted(home, port):
                # The new process knows nothing of the session: a 404, then a new session, unseen.
                assert text_of(await session.call_tool("remote__echo", {"text": "two"})) == "two"
    starts = [line for line in (home.work / "remote.log").read_text().splitlines() if line.startswith("start ")]
    assert len(starts) >= 2
    if era == "handshake":
        assert "forgot its session (404)" in (home.path / "logs" / "remote.log").read_text()


@contextmanager
def _restarted(home: Home, port: int) -> Iterator[None]:
    """Stops the fixture listening on `port` (the one `remote` started) and starts a new one there."""
    pids = [int(line.split()[1]) for line in (home.work / "remote.log").read_text().splitlines() if line.startswith("start ")]
    os.kill(pids[-1], 15)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                time.sleep(0.05)
        except OSError:
            break
    with remote(home, "streamable-http", port=port):
        yield


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("500", "answered 500 Internal Server Error"), ("html", "content type text/html"), ("json", "not JSON-RPC")],
)
async def test_a_server_answering_garbage_fails_clearly_and_the_daemon_lives_on(
    empty_home: Home, mode: str, expected: str
) -> None:
    home = empty_home
    with remote(home, "streamable-http") as good, remote(home, mode, script=BROKEN) as bad:
        add_remote(home, good, name="good")
        add_remote(home, bad, name="bad")
        async with gateway(home, daemon=True) as session:
            text = await call_error(session, "bad__anything", {})
            assert "server 'bad'" in text and bad in text and expected in text, text
            assert text_of(await session.call_tool("good__echo", {"text": "still here"})) == "still here"
        status, _ = api(home, "GET", "/api/v1/downstreams")
        assert status == 200


async def test_a_server_whose_stream_never_carries_an_event_fails_within_the_call_timeout(empty_home: Home) -> None:
    """An event stream of keep-alive comments only: the server's start (probe, then initialize)
    ends in a clear error within the startup timeout, not a hang, and the other server serves on."""
    home = empty_home
    home.cli("settings", "set", "startup_timeout_sec", "4")
    with remote(home, "streamable-http") as good, remote(home, "silent", script=BROKEN) as silent:
        add_remote(home, good, name="good")
        home.cli_json("server", "add", "silent", "--url", silent, "--call-timeout", "3")
        async with gateway(home, daemon=True) as session:
            started = time.monotonic()
            text = await call_error(session, "silent__anything", {})
            assert "server 'silent'" in text, text
            assert time.monotonic() - started < 45, "the silent stream was not bounded"
            assert text_of(await session.call_tool("good__echo", {"text": "still here"})) == "still here"


async def test_twenty_concurrent_calls_on_one_remote_server(empty_home: Home) -> None:
    home = empty_home
    with remote(home, "streamable-http") as url:
        add_remote(home, url)
        async with gateway(home, daemon=True) as session:
            results: dict[int, str] = {}

            async def call(i: int) -> None:
                results[i] = text_of(await session.call_tool("remote__slow", {"seconds": 2}))

            started = time.monotonic()
            async with anyio.create_task_group() as tasks:
                for i in range(20):
                    tasks.start_soon(call, i)
            elapsed = time.monotonic() - started
            assert results == {i: "slept 2" for i in range(20)}
            # One after another they take 40 s; the bound leaves a loaded machine ample room.
            assert elapsed < 25, f"20 calls of 2 s took {elapsed:.1f} s: they were not concurrent"


@pytest.mark.parametrize("era", list(ERAS))
@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_a_remote_call_cancelled_by_the_client_is_cancelled_downstream(
    empty_home: Home, transport: str, era: str
) -> None:
    """The client gives up on a long call: the remote server hears of it and the session goes on."""
    home = empty_home
    with remote(home, transport) as url:
        add_remote(home, url, *ERAS[era])
        async with gateway(home, daemon=True) as session:
            with anyio.move_on_after(3) as scope:
                await session.call_tool("remote__slow", {"seconds": 30})
            assert scope.cancelled_caught
            await eventually(lambda: "cancelled slow" in remote_events(home))
            assert text_of(await session.call_tool("remote__echo", {"text": "after"})) == "after"
        rows = await eventually(lambda: [r for r in home.audit_rows() if r["tool_name"] == "remote__slow"])
        assert rows[0]["status"] == "cancelled", rows[0]


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_remote_resources_and_templates_are_listed_and_read(empty_home: Home, transport: str) -> None:
    home = empty_home
    with remote(home, transport) as url:
        add_remote(home, url)
        async with gateway(home, daemon=True) as session:
            resources = (await session.list_resources()).resources
            readme = [r for r in resources if "readme" in str(r.uri)]
            assert len(readme) == 1, [str(r.uri) for r in resources]
            contents = (await session.read_resource(str(readme[0].uri))).contents
            assert isinstance(contents[0], types.TextResourceContents)
            assert contents[0].text == "Junction fixture readme."
            templates = (await session.list_resource_templates()).resource_templates
            items = [t for t in templates if "items/{id}" in t.uri_template]
            assert len(items) == 1, [t.uri_template for t in templates]
            contents = (await session.read_resource(items[0].uri_template.replace("{id}", "7"))).contents
            assert isinstance(contents[0], types.TextResourceContents) and contents[0].text == "item 7"
